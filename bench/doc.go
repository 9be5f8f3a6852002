// Package bench measures rgunit on real data and prints tables that compare
// each figure with a baseline measured in the same run (ratios, not absolute
// times: machines are noisy). The rgunit CLI exposes it as `rgunit bench`.
//
// [Ingest] compares full ingestion (read, hash, decode, normalize, encode,
// write in batched transactions) with raw decode+normalize of the same files
// on the same cores, and reports database bytes per image.
package bench
