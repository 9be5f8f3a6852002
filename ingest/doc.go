// Package ingest fills a [storage.Store] from image files and folders.
//
// [Run] walks the given paths (folders recursively, in lexical order, hidden
// files and folders skipped), reads and hashes each file, skips files whose
// content is already stored without decoding them, decodes and normalizes
// the rest on all cores ([imageio.Load]), and writes the results in input
// order, one transaction per batch, so that ids are deterministic and a run
// killed at any point leaves a consistent database that the next run
// completes. Labels come from a [LabelTable] parsed before anything is
// written ([LoadLabels], [ParseLabels]).
//
// Files in folders that neither carry an image extension nor start with an
// image signature (sidecar .txt, .json, ...) are ignored and only counted.
// Files that look like images but cannot be used are skipped with a reason:
// empty, truncated or corrupt, unsupported format, over the pixel budget,
// over the file-size budget.
package ingest
