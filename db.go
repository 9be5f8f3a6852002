package rgunit

import (
	"errors"
	"fmt"
	"sync"

	"rgunit/guided"
	"rgunit/retrieval"
	"rgunit/storage"
)

var (
	// ErrNoModels: the database has no retrieval model (ingest with the
	// shipped models, or train one: rgunit train unit, then train
	// retrieval).
	ErrNoModels = errors.New("rgunit: the database has no retrieval model")
	// ErrModels: the models asked for cannot be given to the database (a
	// damaged bundle, or a database with models of its own).
	ErrModels = errors.New("rgunit: the models cannot be given to this database")
)

// Options configure Open. The zero value opens (or creates) the database
// for reading and writing.
type Options struct {
	// ReadOnly opens an existing database for reading only: several
	// readers can hold it at once.
	ReadOnly bool
	// ImageSize is the side of a new database's stored images (0: 64).
	ImageSize int
}

// DB is an open database. Its methods are safe for concurrent use; Close
// it when done.
type DB struct {
	st *storage.Store

	mu sync.Mutex
	tr *guided.Translator // the retrieval model, index and RG-UNIT, opened on first use
}

// Open opens the database at path, creating it unless o.ReadOnly is set
// (a new database gets its models from its first Ingest).
func Open(path string, o *Options) (*DB, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	st, err := storage.Open(path, &storage.Options{ReadOnly: opts.ReadOnly, ImageSize: opts.ImageSize})
	if err != nil {
		return nil, err
	}
	return &DB{st: st}, nil
}

// New returns a DB over an open store (Close closes it).
func New(st *storage.Store) *DB { return &DB{st: st} }

// Store is the database's store, for what this package does not cover.
func (d *DB) Store() *storage.Store { return d.st }

// Close closes the index and the file. It is safe to call more than once.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.tr != nil {
		err = d.tr.Close()
		d.tr = nil
	}
	return errors.Join(err, d.st.Close())
}

// translator opens the retrieval model, its index and the RG-UNIT model
// on first use (and again after the models change).
func (d *DB) translator() (*guided.Translator, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tr != nil {
		return d.tr, nil
	}
	if _, _, err := retrieval.Load(d.st); errors.Is(err, retrieval.ErrNoModel) {
		return nil, fmt.Errorf("%w: %s", ErrNoModels, d.st.Path())
	}
	tr, err := guided.Open(d.st)
	if err != nil {
		return nil, err
	}
	d.tr = tr
	return tr, nil
}

// forget closes what translator opened, after the models or the index
// changed.
func (d *DB) forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tr != nil {
		d.tr.Close()
		d.tr = nil
	}
}

// Stats summarizes the database.
func (d *DB) Stats() (storage.Stats, error) { return d.st.Stats() }
