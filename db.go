package rgunit

import (
	"errors"
	"fmt"
	"os"
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
	// ErrRequest: an argument the library refuses (a k the model cannot
	// use, ...); the error's text says which and what to pass.
	ErrRequest = errors.New("rgunit: bad request")
)

// requestError is a refused argument: its text alone, and ErrRequest to
// errors.Is.
type requestError struct{ msg string }

func (e requestError) Error() string        { return e.msg }
func (e requestError) Is(target error) bool { return target == ErrRequest }

func badRequest(format string, args ...any) error {
	return requestError{msg: fmt.Sprintf(format, args...)}
}

// Options configure Open. The zero value opens (or creates) the database
// for reading and writing.
type Options struct {
	// ReadOnly opens an existing database for reading only: several
	// readers can hold it at once.
	ReadOnly bool
	// Existing refuses to create a database: a missing or empty file is
	// storage.ErrNoDatabase (ReadOnly implies it). The CLI's commands
	// other than ingest open this way.
	Existing bool
	// ImageSize is the side of a new database's stored images (0: 64).
	ImageSize int
	// AllowPartial lets queries and translations answer from a remote
	// index that misses a shard, marked partial, instead of failing.
	AllowPartial bool
}

// DB is an open database. Its methods are safe for concurrent use; Close
// it when done.
type DB struct {
	st   *storage.Store
	opts Options

	// use: operations that use idx or tr hold it for reading; forget
	// takes it to swap them after a write, so a query never runs on a
	// closed index.
	use sync.RWMutex
	mu  sync.Mutex

	infoMu    sync.Mutex
	infoCache *modelInfo         // see info
	idx       *retrieval.Session // the retrieval model and index, opened on first use
	tr        *guided.Translator // RG-UNIT over idx, loaded on first use
}

// Open opens the database at path, creating it unless o.ReadOnly is set
// (a new database gets its models from its first Ingest).
func Open(path string, o *Options) (*DB, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Existing || opts.ReadOnly {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: %s (create one with rgunit ingest)", storage.ErrNoDatabase, path)
		case err == nil && fi.Mode().IsRegular() && fi.Size() == 0:
			// bbolt would make an empty file a new database.
			return nil, fmt.Errorf("%w: %s is an empty file, not an rgunit database (create one with rgunit ingest)", storage.ErrNoDatabase, path)
		}
	}
	st, err := storage.Open(path, &storage.Options{ReadOnly: opts.ReadOnly, ImageSize: opts.ImageSize})
	if err != nil {
		return nil, err
	}
	return &DB{st: st, opts: opts}, nil
}

// New returns a DB over an open store (Close closes it); of o, only
// AllowPartial applies (the store is open already).
func New(st *storage.Store, o *Options) *DB {
	d := &DB{st: st}
	if o != nil {
		d.opts = *o
	}
	return d
}

// Store is the database's store, for what this package does not cover.
func (d *DB) Store() *storage.Store { return d.st }

// Close closes the index and the file. It is safe to call more than once.
func (d *DB) Close() error {
	d.use.Lock()
	defer d.use.Unlock()
	d.mu.Lock()
	err := d.closeIndex()
	d.mu.Unlock()
	return errors.Join(err, d.st.Close())
}

// closeIndex closes what index and translator opened (d.mu held).
func (d *DB) closeIndex() error {
	var err error
	if d.idx != nil {
		err = d.idx.Close()
	}
	d.idx, d.tr = nil, nil
	return err
}

// index opens the retrieval model and its index on first use (and again
// after the models change).
func (d *DB) index() (*retrieval.Session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.indexLocked()
}

func (d *DB) indexLocked() (*retrieval.Session, error) {
	if d.idx != nil {
		return d.idx, nil
	}
	if _, _, err := retrieval.Load(d.st); errors.Is(err, retrieval.ErrNoModel) {
		return nil, fmt.Errorf("%w: %s (import the shipped models with rgunit model import default, or train them: rgunit train unit, then rgunit train retrieval)", ErrNoModels, d.st.Path())
	}
	idx, err := retrieval.OpenWith(d.st, &retrieval.OpenOptions{AllowPartial: d.opts.AllowPartial})
	if err != nil {
		return nil, err
	}
	d.idx = idx
	return idx, nil
}

// translator loads the RG-UNIT model over the index on first use.
func (d *DB) translator() (*guided.Translator, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tr != nil {
		return d.tr, nil
	}
	idx, err := d.indexLocked()
	if err != nil {
		return nil, err
	}
	tr, err := guided.NewTranslator(idx)
	if err != nil {
		return nil, err
	}
	d.tr = tr
	return tr, nil
}

// forget closes what index and translator opened, after the models or the
// index changed.
func (d *DB) forget() {
	d.use.Lock()
	defer d.use.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeIndex()
}

// reading holds the open index and translator against forget until the
// returned function is called.
func (d *DB) reading() func() {
	d.use.RLock()
	return d.use.RUnlock
}
