package guided

import "errors"

var (
	// ErrNoModel: the database has no RG-UNIT model.
	ErrNoModel = errors.New("guided: no RG-UNIT model in the database")
	// ErrVersion: the RG-UNIT model was trained over another retrieval
	// model than the database's, or a bundle does not fit the database.
	ErrVersion = errors.New("guided: model versions do not match")
	// ErrBundle: a model bundle that does not decode.
	ErrBundle = errors.New("guided: bad model bundle")
	// ErrNoNeighbours: retrieval found no item to guide with.
	ErrNoNeighbours = errors.New("guided: no neighbours to guide with")
)
