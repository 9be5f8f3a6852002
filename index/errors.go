package index

import "errors"

var (
	// ErrDimension: a vector whose length is not the index's dimension.
	ErrDimension = errors.New("index: wrong vector dimension")
	// ErrNotFinite: a vector with a NaN or infinite component.
	ErrNotFinite = errors.New("index: vector has NaN or Inf components")
	// ErrBadK: k <= 0, or ef < k.
	ErrBadK = errors.New("index: bad k or ef")
	// ErrNotFound: delete of an id the index does not hold.
	ErrNotFound = errors.New("index: no such id")
	// ErrExists: add of an id the index already holds.
	ErrExists = errors.New("index: id already present")
	// ErrClosed: use of a closed index.
	ErrClosed = errors.New("index: closed")
	// ErrOptions: invalid options.
	ErrOptions = errors.New("index: invalid options")
	// ErrCorrupt: a stored index does not decode or is inconsistent.
	ErrCorrupt = errors.New("index: stored index is corrupt")
	// ErrReadOnly: a write to an index opened from a read-only database.
	ErrReadOnly = errors.New("index: read-only")
	// ErrMismatch: a stored index opened with another dimension.
	ErrMismatch = errors.New("index: stored index has other parameters")
	// ErrZeroVector: a zero vector under the cosine metric.
	ErrZeroVector = errors.New("index: zero vector has no direction (cosine metric)")
)
