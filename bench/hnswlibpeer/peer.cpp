// hnswlib peer of rgunit bench ann: builds hnswlib's HNSW (Debian's
// libhnswlib-dev, header-only) on one thread from an fvecs base set and
// answers fvecs queries at each ef, timing both. Built and run by
// bench/hnswlib.go; not part of rgunit.
//
//   peer BASE.fvecs QUERY.fvecs M EF_CONSTRUCTION K OUT.ivecs EF...
//
// Prints "build SECONDS BYTES_PER_VECTOR", then "search EF SECONDS" per
// ef, and writes each ef's result ids (k int32 per query, nearest first,
// 0-based positions in BASE; -1 where fewer) to OUT.ivecs, ef after ef.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

static std::vector<float> readFvecs(const char *path, int &dim, size_t &n) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "cannot open %s\n", path);
        std::exit(2);
    }
    std::vector<float> out;
    n = 0;
    dim = 0;
    int d;
    while (f.read(reinterpret_cast<char *>(&d), 4)) {
        if (dim == 0) dim = d;
        if (d != dim) {
            std::fprintf(stderr, "%s: row %zu has %d dimensions, not %d\n", path, n, d, dim);
            std::exit(2);
        }
        size_t at = out.size();
        out.resize(at + d);
        if (!f.read(reinterpret_cast<char *>(&out[at]), 4 * d)) {
            std::fprintf(stderr, "%s: truncated\n", path);
            std::exit(2);
        }
        n++;
    }
    return out;
}

int main(int argc, char **argv) {
    if (argc < 8) {
        std::fprintf(stderr, "usage: peer BASE.fvecs QUERY.fvecs M EF_CONSTRUCTION K OUT.ivecs EF...\n");
        return 2;
    }
    int dim, qdim;
    size_t n, nq;
    std::vector<float> base = readFvecs(argv[1], dim, n);
    std::vector<float> queries = readFvecs(argv[2], qdim, nq);
    if (qdim != dim || n == 0) {
        std::fprintf(stderr, "base %zu x %d, queries %zu x %d\n", n, dim, nq, qdim);
        return 2;
    }
    int m = std::atoi(argv[3]), efc = std::atoi(argv[4]), k = std::atoi(argv[5]);
    hnswlib::L2Space space(dim);
    auto t0 = std::chrono::steady_clock::now();
    hnswlib::HierarchicalNSW<float> alg(&space, n, m, efc, 100);
    for (size_t i = 0; i < n; i++) alg.addPoint(&base[i * dim], i);
    double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Memory: every element's level-0 block (links, vector, label), plus
    // its upper-layer link lists.
    double bytes = double(alg.size_data_per_element_) * n;
    for (size_t i = 0; i < n; i++) bytes += double(alg.size_links_per_element_) * alg.element_levels_[i];
    // Peak resident set so far (the vectors read and the index built), in
    // MiB: the parent's rusage of a child counts the parent's own RSS at
    // the fork, so the peer reads its own.
    double rss = 0;
    {
        std::ifstream st("/proc/self/status");
        std::string line;
        while (std::getline(st, line))
            if (line.rfind("VmHWM:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
    }
    std::printf("build %.6f %.2f %.1f\n", build, bytes / n, rss);
    std::ofstream out(argv[6], std::ios::binary);
    std::vector<int> ids(k);
    for (int a = 7; a < argc; a++) {
        int ef = std::atoi(argv[a]);
        alg.setEf(ef);
        std::vector<int> all(nq * k, -1);
        // The best of several passes over the queries (at least 3 and
        // 0.3 s in all), as the Go side measures: one pass of a fast index
        // lasts milliseconds, and its first runs on cold caches.
        double secs = 1e300, total = 0;
        for (int pass = 0; pass < 3 || total < 0.3; pass++) {
            auto s0 = std::chrono::steady_clock::now();
            for (size_t q = 0; q < nq; q++) {
                auto res = alg.searchKnn(&queries[q * dim], k);
                int got = res.size();
                for (int j = got - 1; j >= 0; j--) {
                    all[q * k + j] = int(res.top().second);
                    res.pop();
                }
            }
            double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
            secs = std::min(secs, t);
            total += t;
        }
        std::printf("search %d %.6f\n", ef, secs);
        for (size_t q = 0; q < nq; q++) {
            out.write(reinterpret_cast<const char *>(&k), 4);
            out.write(reinterpret_cast<const char *>(&all[q * k]), 4 * k);
        }
    }
    return 0;
}
