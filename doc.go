// Package rgunit is the library behind the rgunit command: one database
// file (package storage) holding an image collection, the models trained
// on it and a retrieval index, and the three jobs its users have:
//
//   - Ingest image files and folders (labels optional), giving a new
//     database the shipped models and indexing new items;
//   - Query neighbours by content and target attributes;
//   - Translate images to target attributes with retrieval guidance.
//
// Open returns a DB; its methods hold the product's rules (a stored file
// given as a source is that item; a removal leaves the store and the
// index in one transaction; a new database gets the shipped models until
// it holds an item or a model), so a program that uses this package
// behaves as the command does. TrainUnit, TrainRetrieval, TrainRG and TrainClassifier train the
// models on the database, resuming from its checkpoints.
//
// # Where the pipeline lives
//
//	stage 1, GMM-UNIT   embed (E_c, E_a, the code schema), generator (G, D, the
//	                    UNIT model, its recipe, trainer and checkpoints)
//	stage 2, retrieval  embed (the embedder and its triplets), retrieval (the
//	                    retrieval model, its training, the index of every item,
//	                    queries), index (the HNSW index itself)
//	stage 3, RG-UNIT    generator/rg (the fusion and the guided decoder, its
//	                    trainer and checkpoints), guided (neighbours retrieved
//	                    for training and translation, model bundles)
//	evaluation          classifier (the judge of target accuracy, FD-cls),
//	                    bench (Tables 1-3, the index against hnswlib)
//	shared              split (the held-back tenth, labelled fractions),
//	                    internal/loop (the resumable training loop), nn (layers,
//	                    GEMM), storage (the database file), ingest, imageio
package rgunit
