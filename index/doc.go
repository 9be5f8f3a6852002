// Package index will hold rgunit's approximate-nearest-neighbour index: an
// HNSW graph persisted in the storage package's bbolt file, behind one Index
// interface with an adapter over github.com/coder/hnsw for comparison.
//
// Nothing is implemented yet; see the project's index issue.
package index
