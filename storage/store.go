package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the on-disk schema this package reads and writes.
const SchemaVersion = 1

// DefaultImageSize is the side of the normalized images of a new database.
const DefaultImageSize = 64

// Bounds on the normalized image size.
const (
	MinImageSize = 8
	MaxImageSize = 1024
)

var (
	bucketMeta    = []byte("meta")
	bucketItems   = []byte("items")
	bucketImages  = []byte("images")
	bucketHashes  = []byte("hashes")
	bucketVectors = []byte("vectors")
	bucketModels  = []byte("models")
	bucketIndex   = []byte(IndexBucket)

	keySchema    = []byte("schema")
	keyImageSize = []byte("image_size")
	keyCreated   = []byte("created")
	// keyChecksums marks a database whose records (items, images,
	// vectors, models) end with a CRC-32C: every database created since;
	// older ones have none and are read as before.
	keyChecksums = []byte("checksums")

	allBuckets = [][]byte{bucketMeta, bucketItems, bucketImages, bucketHashes, bucketVectors, bucketModels, bucketIndex}
)

// Options configure Open. The zero value opens or creates a writable
// database of DefaultImageSize images, waiting up to 1 s for the file lock.
type Options struct {
	// ReadOnly opens an existing database for reading only.
	ReadOnly bool
	// ImageSize is the side of the normalized images. It is recorded when the
	// database is created; opening an existing database with a different
	// non-zero ImageSize fails with ErrImageSize. Zero means "the database's"
	// (DefaultImageSize for a new one).
	ImageSize int
	// Timeout is how long to wait for the file lock (default 1 s).
	Timeout time.Duration
	// NoSync skips fsync on commit: faster, but a machine crash (not a process
	// crash) may lose or corrupt the last transactions. For tests and benches.
	NoSync bool
}

// Store is an open rgunit database. Its methods are safe for concurrent use.
type Store struct {
	db        *bolt.DB
	path      string
	imageSize int
	readOnly  bool
	sums      bool // records carry a CRC-32C (keyChecksums)

	closeOnce sync.Once
	closeErr  error
}

// Open opens the database at path, creating it unless opts.ReadOnly is set.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.ImageSize != 0 && (o.ImageSize < MinImageSize || o.ImageSize > MaxImageSize) {
		return nil, fmt.Errorf("%w: image size %d outside [%d, %d]", ErrInvalid, o.ImageSize, MinImageSize, MaxImageSize)
	}
	fi, statErr := os.Stat(path)
	switch {
	case statErr == nil && fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotDatabase, path)
	case errors.Is(statErr, fs.ErrNotExist) && o.ReadOnly:
		return nil, fmt.Errorf("%w: %s (ingest images to create one)", ErrNoDatabase, path)
	case statErr == nil && fi.Size() == 0 && o.ReadOnly:
		return nil, fmt.Errorf("%w: %s is empty", ErrNotDatabase, path)
	}
	if statErr == nil && fi.Size() > 0 {
		if err := checkMagic(path); err != nil {
			return nil, err
		}
		if err := checkSize(path); err != nil {
			return nil, err
		}
	}
	var db *bolt.DB
	err := guarded(path, func() (err error) {
		db, err = bolt.Open(path, 0o644, &bolt.Options{
			Timeout:  o.Timeout,
			ReadOnly: o.ReadOnly,
			NoSync:   o.NoSync,
			PageSize: 16384, // used only when the file is created
		})
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, lockedError(path)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, fmt.Errorf("%w: %s: %v", ErrNotDatabase, path, err)
		}
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, readOnly: o.ReadOnly}
	if err := guarded(path, func() error { return s.init(o.ImageSize) }); err != nil {
		db.Close()
		return nil, err
	}
	if !o.ReadOnly {
		writeHolder(path)
	}
	return s, nil
}

// boltMagic is the number bbolt writes at offset 16 of its meta pages.
const boltMagic = 0xED0CDAED

// checkMagic refuses a non-empty file that does not start with a bbolt meta
// page, before bbolt sees it.
func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer f.Close()
	var hdr [20]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || binary.LittleEndian.Uint32(hdr[16:]) != boltMagic {
		return fmt.Errorf("%w: %s is not a bbolt file", ErrNotDatabase, path)
	}
	return nil
}

// init checks (or, for a new file, writes) the schema version and image size.
func (s *Store) init(wantSize int) error {
	check := func(tx *bolt.Tx) (bool, error) {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return false, fmt.Errorf("%w: %s has no rgunit metadata", ErrNotDatabase, s.path)
			}
			return false, nil
		}
		v := meta.Get(keySchema)
		if len(v) != 4 {
			return false, fmt.Errorf("%w: %s has no schema version", ErrNotDatabase, s.path)
		}
		if got := binary.BigEndian.Uint32(v); got != SchemaVersion {
			return false, fmt.Errorf("%w: %s has schema version %d, this rgunit reads version %d", ErrSchemaVersion, s.path, got, SchemaVersion)
		}
		sz := meta.Get(keyImageSize)
		if len(sz) != 4 {
			return false, fmt.Errorf("%w: %s has no image size", ErrNotDatabase, s.path)
		}
		s.imageSize = int(binary.BigEndian.Uint32(sz))
		if wantSize != 0 && wantSize != s.imageSize {
			return false, fmt.Errorf("%w: %s holds %dx%d images, asked for %dx%d", ErrImageSize, s.path, s.imageSize, s.imageSize, wantSize, wantSize)
		}
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				return false, fmt.Errorf("%w: %s lacks bucket %q", ErrNotDatabase, s.path, b)
			}
		}
		s.sums = string(meta.Get(keyChecksums)) == "crc32c"
		return true, nil
	}
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = check(tx)
		return err
	})
	if err != nil || ok {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("%w: %s is not initialized", ErrNotDatabase, s.path)
	}
	if wantSize == 0 {
		wantSize = DefaultImageSize
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if ok, err := check(tx); err != nil || ok { // lost a race to another initializer
			return err
		}
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("storage: init %s: %w", s.path, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
		meta.Put(keyImageSize, binary.BigEndian.AppendUint32(nil, uint32(wantSize)))
		meta.Put(keyCreated, binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano())))
		meta.Put(keyChecksums, []byte("crc32c"))
		s.imageSize, s.sums = wantSize, true
		return nil
	})
}

// Close releases the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if !s.readOnly {
			removeHolder(s.path)
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// ImageSize returns the side of the database's normalized images.
func (s *Store) ImageSize() int { return s.imageSize }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// view and update wrap bbolt's transactions with the store's own errors.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	err := guarded(s.path, func() error { return s.db.View(fn) })
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return s.damaged(err)
}

// damaged names the file and says what to do for a record that does not
// decode (ErrCorrupt), which is damage too.
func (s *Store) damaged(err error) error {
	if errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrDamaged) {
		return fmt.Errorf("%w: %s: %w (restore a backup; rgunit check --db %s says what is damaged)", ErrDamaged, s.path, err, s.path)
	}
	return err
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	err := guarded(s.path, func() error { return s.db.Update(fn) })
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return ErrClosed
	case errors.Is(err, berrors.ErrDatabaseReadOnly):
		return ErrReadOnly
	}
	return s.damaged(err)
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// Check runs bbolt's consistency check over the whole file and returns the
// problems it finds (none for a healthy database).
func (s *Store) Check() []error {
	var errs []error
	err := s.view(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// SizeBytes returns the size of the database file.
func (s *Store) SizeBytes() (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

// Records gives packages that keep their own records in the database file
// (the retrieval index, under [IndexBucket]) bbolt transactions in it, with
// the store's guards and errors; the store keeps its handle to itself.
func (s *Store) Records() Records { return Records{s} }

// Records runs bbolt transactions in a store's file (see Store.Records).
type Records struct{ s *Store }

// View runs fn in a read-only transaction.
func (r Records) View(fn func(*bolt.Tx) error) error { return r.s.view(fn) }

// Update runs fn in a read-write transaction.
func (r Records) Update(fn func(*bolt.Tx) error) error { return r.s.update(fn) }

// IsReadOnly reports whether the store was opened read-only.
func (r Records) IsReadOnly() bool { return r.s.readOnly }

// Path is the database file's path (a quantized index keeps its float
// vectors' cache beside it).
func (r Records) Path() string { return r.s.path }

// IndexBucket is the top-level bucket under which indexes keep their data.
const IndexBucket = "index"
