// Package storage is rgunit's database: one bbolt file that holds every
// ingested item, its normalized image, and (for later stages) embedding
// vectors per model version, model blobs and index pages.
//
// The types are few: [Store] (open with [Open], close with [Store.Close]),
// [Item] (what is known about one ingested image), [Record] (what ingestion
// hands to [Store.Add]) and [Labels] (attribute name -> +1 or -1; an absent
// attribute is unknown).
//
// # On-disk format
//
// A bbolt file (16 KiB pages for new databases) with these top-level buckets:
//
//	meta     "schema"      -> uint32 BE   schema version (SchemaVersion)
//	         "image_size"  -> uint32 BE   side of the normalized square images
//	         "created"     -> int64 BE    unix nanoseconds
//	         "index_url"   -> string      remote index (weaviate://...), absent for the embedded one
//	items    id (uint64 BE) -> item record (below)
//	images   id (uint64 BE) -> PNG bytes of the normalized image
//	hashes   sha256 (32 B)  -> id (uint64 BE)   content-hash dedupe
//	vectors  <model version> (bucket) : id (uint64 BE) -> float32 LE ...
//	models   <name> (bucket)          : version (uint64 BE) -> blob
//	         names in use: gmm-unit (stage 1, package generator), retrieval
//	         (stage 2, package retrieval), rg-unit (stage 3, package
//	         generator), classifier (package classifier), bundle (the
//	         provenance JSON of an imported bundle, package guided)
//	index    <index name> (bucket)    : an HNSW graph and its vectors (see package index)
//	remote   <index name> (bucket)    : id (uint64 BE) -> 'a' | 'd'   changes the remote
//	         index has not acknowledged (pending add / delete); created on first
//	         use, so files without it need no migration
//
// Ids come from the items bucket's sequence, so an id is never reused, and a
// transaction that rolls back (a crash mid-batch) leaves no gap.
//
// An item record is:
//
//	byte     format (1)
//	[32]byte sha256 of the original file
//	uvarint  original width, uvarint original height
//	varint   time added, unix nanoseconds
//	uvarint  len(path), path bytes (as given to ingest, slash-separated)
//	uvarint  number of labels, then per label (sorted by name):
//	         uvarint len(name), name bytes, byte value (1 = +1, 0xff = -1)
//
// # Locking
//
// A writable open takes an exclusive flock on the file and a read-only open a
// shared one, so any number of read-only opens work together, and a second
// opener that cannot get its lock fails after Options.Timeout (1 s by
// default) with [ErrLocked]. bbolt does not allow a read-only open while a
// writer holds the file.
package storage
