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
// given as a source is that item; a removal reaches the index before the
// store; a new database gets the shipped models until it holds an item or
// a model), so a program that uses this package behaves as the command
// does. Training the models is the command's `train` subcommands (packages
// generator, retrieval and guided).
package rgunit
