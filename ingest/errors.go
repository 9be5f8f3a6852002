package ingest

import "errors"

var (
	// ErrLabels: a malformed labels file. Nothing is written when it is returned.
	ErrLabels = errors.New("ingest: malformed labels file")
	// ErrPath: an input path that does not exist or cannot be read.
	ErrPath = errors.New("ingest: bad input path")
)
