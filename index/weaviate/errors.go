package weaviate

import "errors"

var (
	// ErrURL: a weaviate:// URL that does not parse.
	ErrURL = errors.New("weaviate: bad index URL")
	// ErrUnreachable: the server did not answer (down, wrong address).
	ErrUnreachable = errors.New("weaviate: unreachable")
	// ErrPartial: some shard of the class has no replica on a healthy
	// node, so an answer would miss part of the data.
	ErrPartial = errors.New("weaviate: partial answer")
	// ErrMismatch: the class exists with another layout (attributes,
	// dimension) than this index needs.
	ErrMismatch = errors.New("weaviate: class mismatch")
	// ErrBatch: the server refused some objects of a batch.
	ErrBatch = errors.New("weaviate: batch refused")
	// ErrClosed: the index was closed.
	ErrClosed = errors.New("weaviate: index closed")
	// ErrQuery: a search argument out of range.
	ErrQuery = errors.New("weaviate: bad query")
)
