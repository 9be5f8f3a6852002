package bench

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"rgunit/internal/vecgen"
)

// hnswlibPeer is the source of the hnswlib peer (hnswlibpeer/peer.cpp),
// compiled on first use against Debian's libhnswlib-dev.
//
//go:embed hnswlibpeer/peer.cpp
var hnswlibPeer []byte

// HNSWLibHeader is where Debian's libhnswlib-dev puts hnswlib.
const HNSWLibHeader = "/usr/include/hnswlib/hnswlib.h"

// ErrNoHNSWLib: the hnswlib peer cannot be built here.
var ErrNoHNSWLib = errors.New("bench: hnswlib is not available (apt-get install libhnswlib-dev g++)")

// HNSWLibPeer returns the path of the peer binary, compiling it into the
// user cache (once per source version) when needed.
func HNSWLibPeer(ctx context.Context) (string, error) {
	if _, err := os.Stat(HNSWLibHeader); err != nil {
		return "", fmt.Errorf("%w: no %s", ErrNoHNSWLib, HNSWLibHeader)
	}
	cxx, err := exec.LookPath("c++")
	if err != nil {
		return "", fmt.Errorf("%w: no C++ compiler", ErrNoHNSWLib)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "rgunit")
	bin := filepath.Join(dir, fmt.Sprintf("hnswlib-peer-%x", sha256.Sum256(hnswlibPeer))[:len("hnswlib-peer-")+12])
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := bin + ".cpp"
	if err := os.WriteFile(src, hnswlibPeer, 0o644); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	if out, err := exec.CommandContext(ctx, cxx, "-O3", "-march=native", "-std=c++17", "-o", tmp, src, "-lpthread").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: compiling the peer: %v\n%s", ErrNoHNSWLib, err, out)
	}
	return bin, os.Rename(tmp, bin)
}

// WriteFvecs writes vectors in the .fvecs format (each: its dimension as
// int32, then the floats, little-endian).
func WriteFvecs(w io.Writer, vecs [][]float32) error {
	bw := bufio.NewWriter(w)
	var b [4]byte
	for _, v := range vecs {
		binary.LittleEndian.PutUint32(b[:], uint32(len(v)))
		bw.Write(b[:])
		for _, x := range v {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			bw.Write(b[:])
		}
	}
	return bw.Flush()
}

// annHNSWLib measures hnswlib on d through the peer: a one-thread build
// with o's M and efConstruction, then recall@10 and one-thread QPS per
// ef, the same queries and ground truth as the other engines.
func annHNSWLib(ctx context.Context, d *ANNData, o ANNOptions, dir string, say func(string, ...any)) ([]ANNRow, error) {
	peer, err := HNSWLibPeer(ctx)
	if err != nil {
		return nil, err
	}
	base, query, out := filepath.Join(dir, "base.fvecs"), filepath.Join(dir, "query.fvecs"), filepath.Join(dir, "hnswlib.ivecs")
	for _, f := range []struct {
		path string
		vecs [][]float32
	}{{base, d.Base}, {query, d.Queries}} {
		w, err := os.Create(f.path)
		if err != nil {
			return nil, err
		}
		err = errors.Join(WriteFvecs(w, f.vecs), w.Close())
		if err != nil {
			return nil, err
		}
	}
	defer os.Remove(base)
	defer os.Remove(query)
	defer os.Remove(out)
	args := []string{base, query, strconv.Itoa(o.M), strconv.Itoa(o.EfConstruction), "10", out}
	for _, ef := range o.Efs {
		args = append(args, strconv.Itoa(max(ef, 10)))
	}
	say("%s: building hnswlib (M=%d, efConstruction=%d) on one thread", d.Name, o.M, o.EfConstruction)
	text, err := exec.CommandContext(ctx, peer, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("bench: hnswlib peer: %w", err)
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, err
	}
	ids, err := ReadIvecs(f, 0)
	f.Close()
	if err != nil {
		return nil, err
	}
	var rows []ANNRow
	var build, bytes, peak float64
	nq := len(d.Queries)
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		fs := strings.Fields(line)
		switch {
		case len(fs) == 4 && fs[0] == "build":
			build, _ = strconv.ParseFloat(fs[1], 64)
			bytes, _ = strconv.ParseFloat(fs[2], 64)
			peak, _ = strconv.ParseFloat(fs[3], 64)
		case len(fs) == 3 && fs[0] == "search":
			i := len(rows)
			if (i+1)*nq > len(ids) {
				return nil, fmt.Errorf("bench: hnswlib peer wrote %d result rows, want %d", len(ids), len(o.Efs)*nq)
			}
			ef, _ := strconv.Atoi(fs[1])
			secs, _ := strconv.ParseFloat(fs[2], 64)
			res := make([][]uint64, nq)
			for q := range nq {
				for _, id := range ids[i*nq+q] {
					if id >= 0 {
						res[q] = append(res[q], uint64(id)+1) // ids are base position + 1
					}
				}
			}
			recall := vecgen.Recall(res, func(id uint64) uint64 { return id }, d.Truth, 10)
			rows = append(rows, ANNRow{Dataset: d.Name, Engine: "hnswlib", Ef: ef, Recall: recall, QPS: float64(nq) / secs,
				BuildSeconds: build, BytesPerVec: bytes, RawBytesPerVec: float64(4 * len(d.Base[0])), PeakRSSMB: peak})
			say("%s: hnswlib ef=%d recall@10=%.4f qps=%.0f", d.Name, ef, recall, float64(nq)/secs)
		}
	}
	if len(rows) != len(o.Efs) {
		return nil, fmt.Errorf("bench: hnswlib peer answered %d efs of %d:\n%s", len(rows), len(o.Efs), text)
	}
	return rows, nil
}

// QPSAtRecall interpolates, over an engine's rows of one data set (any
// ef order), the QPS at which its recall@10 reaches target: linear
// between the two efs around it; 0 when no row reaches it.
func QPSAtRecall(rows []ANNRow, dataset, engine string, target float64) float64 {
	var pts []ANNRow
	for _, r := range rows {
		if r.Dataset == dataset && r.Engine == engine {
			pts = append(pts, r)
		}
	}
	slices.SortFunc(pts, func(a, b ANNRow) int { return cmp.Compare(a.Ef, b.Ef) })
	for i, p := range pts {
		if p.Recall < target {
			continue
		}
		if i == 0 || pts[i-1].Recall >= target {
			return p.QPS
		}
		lo := pts[i-1]
		f := (target - lo.Recall) / (p.Recall - lo.Recall)
		return lo.QPS + f*(p.QPS-lo.QPS)
	}
	return 0
}

// WriteRecallTargets writes, per data set and engine, the QPS at recall
// 0.95 and 0.99 and its ratio to hnswlib's when hnswlib ran.
func WriteRecallTargets(w io.Writer, rows []ANNRow) {
	type key struct{ dataset, engine string }
	var keys []key
	seen := map[key]bool{}
	for _, r := range rows {
		k := key{r.Dataset, r.Engine}
		if r.Engine != "exact" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		line := fmt.Sprintf("%s %s:", k.dataset, k.engine)
		for _, target := range []float64{0.95, 0.99} {
			q := QPSAtRecall(rows, k.dataset, k.engine, target)
			if q == 0 {
				line += fmt.Sprintf(" recall %.2f not reached;", target)
				continue
			}
			line += fmt.Sprintf(" %.0f QPS at recall %.2f", q, target)
			if lib := QPSAtRecall(rows, k.dataset, "hnswlib", target); lib > 0 && k.engine != "hnswlib" {
				line += fmt.Sprintf(" (%.2fx hnswlib)", q/lib)
			}
			line += ";"
		}
		fmt.Fprintln(w, strings.TrimSuffix(line, ";"))
	}
}

// FineEfs is the ef grid for comparisons at a recall (rgunit bench ann
// --engines ...,hnswlib).
var FineEfs = []int{10, 15, 20, 30, 40, 60, 80, 120, 160}
