package retrieval

import "errors"

var (
	// ErrNoModel: the store has no retrieval model (train one first).
	ErrNoModel = errors.New("retrieval: no retrieval model in the database")
	// ErrStale: the index was built with another model version.
	ErrStale = errors.New("retrieval: the index was built with another model version")
	// ErrNoIndex: the model's items have not been indexed.
	ErrNoIndex = errors.New("retrieval: no index for the model")
	// ErrEmpty: nothing to query.
	ErrEmpty = errors.New("retrieval: the database is empty")
	// ErrCheckpoint: a checkpoint blob that does not decode.
	ErrCheckpoint = errors.New("retrieval: bad checkpoint")
	// ErrQuery: a malformed query (k, ef, filters).
	ErrQuery = errors.New("retrieval: bad query")
)
