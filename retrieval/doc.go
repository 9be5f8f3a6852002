// Package retrieval is stage 2 of RG-UNIT on a database: the retrieval
// model (the triplet-trained embedder with the frozen stage-1 networks it
// was trained on), its training, the index of every item, and queries.
//
// The types are few: Model (a checkpoint: config, frozen E_c/E_a/G, the
// embedder, its optimizer), Session (a store opened for queries with its model
// and index) and Neighbour (one result).
//
// In the store, model version V (of ModelName) owns:
//
//	models/retrieval/V         the checkpoint (see Model.MarshalBinary)
//	vectors/retrieval-V        id -> emb(E_c(x), mean of E_a(x)), Dim floats
//	vectors/attrs-V            id -> P(attribute = +1 | E_a(x)), one float per attribute
//	index/retrieval-V          the HNSW over the embeddings (package index)
//
// The index name carries the version it was built with, so a query under a
// newer model finds no index of its version and says to run reindex.
package retrieval
