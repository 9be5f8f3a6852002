package storage

import "errors"

var (
	// ErrLocked: another process holds the database.
	ErrLocked = errors.New("storage: database is in use by another process")
	// ErrSchemaVersion: the file was written by an rgunit with another schema.
	ErrSchemaVersion = errors.New("storage: unsupported database schema version")
	// ErrImageSize: the database was created for another image resolution.
	ErrImageSize = errors.New("storage: image size differs from the database's")
	// ErrNotDatabase: the file exists but is not an rgunit database.
	ErrNotDatabase = errors.New("storage: not an rgunit database")
	// ErrNoDatabase: a read-only open of a path where no database exists.
	ErrNoDatabase = errors.New("storage: no database at this path")
	// ErrNotFound: no item with that id.
	ErrNotFound = errors.New("storage: no such item")
	// ErrCorrupt: a stored record does not decode.
	ErrCorrupt = errors.New("storage: corrupt record")
	// ErrReadOnly: a write on a store opened read-only.
	ErrReadOnly = errors.New("storage: database is open read-only")
	// ErrClosed: use of a closed store.
	ErrClosed = errors.New("storage: database is closed")
	// ErrInvalid: a record or argument that cannot be stored.
	ErrInvalid = errors.New("storage: invalid argument")
)
