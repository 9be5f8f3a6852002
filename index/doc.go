// Package index is rgunit's approximate-nearest-neighbour index.
//
// [Index] is the one interface. Implementations:
//
//   - [HNSW], after Malkov and Yashunin (arXiv 1603.09320): a layered graph,
//     greedy descent through the upper layers, an ef-bounded beam search with
//     the standard stop rule, the neighbour-selection heuristic (their
//     Algorithm 4), M neighbours per upper layer and 2M on layer 0, separate
//     efConstruction and efSearch, level multiplier 1/ln(M).
//   - [Stored], an HNSW kept in a bbolt bucket (the store's "index" bucket,
//     or a file of its own with [OpenFile]).
//   - [SQ8] ([Options].Quantize), either of them walking byte codes: one
//     byte per dimension, scaled per dimension (fitted on the first vectors
//     and again each time the index doubles, up to 4,096), compared with
//     the float query by AVX2 kernels; the nearest 2k candidates (at least
//     20) are re-ranked by their float vectors. A [Stored] SQ8 index keeps
//     no float vector in memory (bytes per vector at 128-d and M 16: 304
//     against 688 for float and hnswlib's 656), and re-ranks from a file
//     mapped beside the database (below).
//   - [Exact], a brute-force scan: the benches' ground truth. (An HNSW
//     answers a filter admitting fewer than [Options].ExactBelow items,
//     3,000 by default, by scanning the admitted items: measured faster
//     than the filtered walk up to about 7% of 50k items.)
//
// Outside the product: rgunit/bench/coderhnsw adapts github.com/coder/hnsw
// for the bench's comparison, rgunit/internal/vecgen makes the synthetic
// sets, and rgunit/index/indextest checks an implementation against the
// interface's contract.
//
// # Layout and speed
//
// Internal ids are dense uint32s mapped to the store's uint64 ids. Each
// node's layer-0 record (a count, then 2M neighbour slots), its state, its
// store id and its vector lie next to each other in one flat []uint32, as in
// hnswlib, so that expanding, admitting or returning a node reads next to
// the vector just compared (7% faster per query than separate arrays at
// 50k x 128, and 1.5% more for state and id); on Linux that array is
// advised onto transparent huge pages. Upper layers exist only for the nodes
// that have them; visited sets are pooled generation counters, so a search
// allocates nothing but its result slice; squared L2 on an AVX2 CPU
// computes a node's unvisited neighbours' distances in one kernel call
// (l2GatherAVX2: 7% per query against a call per distance, which was 5%
// faster than calling through the metric's function). Distances are our
// AVX2+FMA
// assembly kernels (kernels_amd64.s; pure Go elsewhere): BenchmarkDistance at
// dimension 128 measured 31-34 ns against github.com/viterin/vek's 37-40 ns
// and an unrolled Go loop's 81-120 ns. The beam search gathers a node's
// unvisited neighbours and prefetches their vectors before computing any
// distance, so the cache misses overlap (search up to 2x, build 1.5x faster
// at 100k x 128); the exact scan prefetches 8 rows ahead (1.3x).
//
// # Concurrency
//
// Every method is safe for concurrent use. Searches and inserts share a
// read lock; neighbour-list words are read and written atomically, and
// striped mutexes (4,096, by internal id; no code holds two) serialize the
// rewrites of one node's lists, so inserts run in parallel ([HNSW.AddBatch] uses all cores) and searches run alongside
// them. Growing the arrays, Delete and Close take the lock exclusively.
// Levels come from a hash of the seed and the internal id, so a serial build
// is reproducible.
//
// # Deletes
//
// A delete tombstones the node (searches walk through it and never return
// it) and rebuilds, with the heuristic, the list of every live neighbour that
// pointed back to it from its other neighbours and the deleted node's.
//
// # On-disk format ([Stored])
//
//	<bucket>                      e.g. index/<model> in the store
//	  "meta"   -> JSON {format, dim, metric, m, ef_construction, ef_search,
//	              seed, entry, top}
//	  vectors/ -> internal id (uint32 BE) : store id (uint64 LE), level (byte),
//	              dim x float32 LE            written once, append-only
//	  links/   -> internal id (uint32 BE) : state (byte: 1 live, 2 deleted),
//	              then per layer 0..level: count (uint16 LE), ids (uint32 LE)
//
// A batch inserts in memory, then commits in one transaction the new vectors,
// the links of every node whose lists changed and the header. Opening reads
// each record once (no rebuild), validates every id and count, then walks
// layer 0 from the entry point: a vector stored without links, or a live node
// the walk cannot reach, is linked again (and committed) before the index is
// returned. If a commit fails the in-memory index is reloaded from disk.
//
// An SQ8 index adds to "meta" its "quantize" ("sq8"), "quantizer" (per
// dimension "lo" and "step": code = round((v - lo) / step), clamped to
// 0..255) and "token" (a random identity); its vectors records keep the
// float vectors, from which opening makes the codes. Re-ranking reads the
// float vectors from a cache of that bucket, a file beside the database
// (<database>.<bucket path joined by ->.floats, mapped read-only):
//
//	header  "RGUNITF1", token (uint64 LE), dim (uint32 LE)
//	record  dim x float32 LE, CRC-32C of the id (uint32 LE) and the floats
//	        (uint32 LE); record i = internal id i
//
// Records are appended after the commit that stored them, so the file may
// lag the index but never leads it: a writable open appends what it lacks
// (another index's token or dimension: it starts the file again), and a
// record it lacks or that fails its CRC is read from the bucket (a B-tree
// lookup per candidate: half the queries per second, which is why the file
// exists). Without it (read-only, a platform without mmap) the bucket
// answers.
package index
