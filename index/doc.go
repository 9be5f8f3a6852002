// Package index is rgunit's approximate-nearest-neighbour index.
//
// [Index] is the one interface; [HNSW] implements it after Malkov and
// Yashunin (arXiv 1603.09320): a layered graph, greedy descent through the
// upper layers, an ef-bounded beam search with the standard stop rule, the
// neighbour-selection heuristic (their Algorithm 4), M neighbours per upper
// layer and 2M on layer 0, separate efConstruction and efSearch, and level
// multiplier 1/ln(M). [Exact] is a brute-force scan with the same interface:
// the ground truth of the benches and the fallback for very selective
// filters.
//
// Layout: internal ids are dense uint32s mapped to the store's uint64 ids;
// vectors live in one contiguous []float32; layer-0 neighbour lists in one
// flat []uint32 (a count, then 2M slots per node); upper layers only for the
// nodes that have them; visited sets are pooled generation counters, so a
// search allocates nothing but its result slice.
//
// Concurrency: any number of searches run together; Add and Delete take the
// write lock.
//
// Not yet done (see the index issue): persistence in the bbolt store, the
// coder/hnsw adapter, parallel build, neighbour repair after deletes.
package index
