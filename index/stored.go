package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	berrors "go.etcd.io/bbolt/errors"

	faults "rgunit/internal/guard"
)

// Stored is an [HNSW] index kept in a bbolt bucket. Every change commits in
// one transaction with the vectors it links, so a crash at any point leaves
// the last committed state: an index that opens, rebuilds nothing and is
// consistent. Searches run in memory, concurrently with writes; writes are
// serialized (a batch inserts on all cores, then commits).
type Stored struct {
	h        atomic.Pointer[HNSW]
	db       DB
	own      *bolt.DB // the file OpenFile opened, closed with the index
	path     [][]byte // bucket path from the top level
	readOnly bool

	wmu         sync.Mutex // one writer at a time
	persisted   uint32     // internal ids whose vectors are committed
	commitEvery int
	closed      atomic.Bool
	opened      OpenInfo
	// floats: an SQ8 index's float vectors mapped from the file beside the
	// database (nil: read from the bucket).
	floats     *floatFile
	floatsPath string
	floatErr   atomic.Value // string: why the float file was given up
}

// StoredOptions configure OpenStored. The zero value opens an existing
// index (or creates one with the default Options when Dim is set).
type StoredOptions struct {
	// Dim is the dimension to create the index with; for an existing index
	// it must be 0 or match.
	Dim int
	// Options apply when the index is created; an existing index keeps its
	// own (EfSearch excepted: a non-zero value overrides it for this open).
	Options Options
	// CommitEvery is how many vectors AddBatch inserts per transaction.
	// The default is 4096 or an eighth of the index, whichever is more: a
	// commit rewrites the pages of every node whose lists changed and
	// checks the graph's reachability, so a fixed size costs quadratic time
	// on a large build (a million vectors: 244 commits, 19 GB written); a
	// kill still loses at most the last transaction's inserts.
	CommitEvery int
}

// OpenInfo says what opening a stored index found.
type OpenInfo struct {
	Created  bool `json:"created"`
	Nodes    int  `json:"nodes"`
	Live     int  `json:"live"`
	Relinked int  `json:"relinked"` // nodes found unreachable or unlinked and linked again
	// FloatFile: why an SQ8 index re-ranks from its bucket rather than the
	// float file beside the database (empty when it maps the file).
	FloatFile string        `json:"float_file,omitempty"`
	Seconds   float64       `json:"seconds"`
	Duration  time.Duration `json:"-"`
}

// DB is where a stored index keeps its records: a bbolt database, or a
// store that runs bbolt transactions in its file for it (storage.Store's
// Records), so that the index commits in the same file as the items.
type DB interface {
	View(fn func(*bolt.Tx) error) error
	Update(fn func(*bolt.Tx) error) error
	IsReadOnly() bool
}

// OpenStored opens the index kept in the bucket at path (top-level bucket
// first) of db, creating it when it does not exist and db is writable.
func OpenStored(db DB, path []string, opts *StoredOptions) (*Stored, error) {
	var o StoredOptions
	if opts != nil {
		o = *opts
	}
	if len(path) == 0 {
		return nil, fmt.Errorf("%w: empty bucket path", ErrOptions)
	}
	start := time.Now()
	s := &Stored{db: db, readOnly: db.IsReadOnly()}
	for _, p := range path {
		s.path = append(s.path, []byte(p))
	}
	if f, ok := db.(interface{ Path() string }); ok && f.Path() != "" {
		s.floatsPath = FloatFilePath(f.Path(), path...)
	}
	err := view(db, func(tx *bolt.Tx) error {
		b := s.bucket(tx)
		if b == nil {
			return nil
		}
		h, unlinked, err := load(b)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(path, "/"), err)
		}
		if o.Dim != 0 && o.Dim != h.dim {
			return fmt.Errorf("%w: %s has dimension %d, not %d", ErrMismatch, strings.Join(path, "/"), h.dim, o.Dim)
		}
		if o.Options.EfSearch > 0 {
			h.opts.EfSearch = o.Options.EfSearch
		}
		h.track = true
		s.adopt(h)
		s.persisted = h.n.Load()
		return s.repairOnOpen(unlinked)
	})
	if err != nil {
		return nil, err
	}
	if s.h.Load() == nil {
		if s.readOnly {
			return nil, fmt.Errorf("%w: no index at %s in a read-only database", ErrReadOnly, strings.Join(path, "/"))
		}
		h, err := NewHNSW(o.Dim, &o.Options)
		if err != nil {
			return nil, err
		}
		h.sums = true // new indexes checksum their records
		if o.Options.Quantize == SQ8 {
			h.onDisk, h.token = true, rand.Uint64()|1
		}
		s.adopt(h)
		s.opened.Created = true
		err = update(db, func(tx *bolt.Tx) error {
			b, err := s.createBucket(tx)
			if err != nil {
				return err
			}
			for _, name := range [][]byte{bucketVectors, bucketLinks} {
				if _, err := b.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			return h.writeNodes(b, 0, 0, nil)
		})
		if err != nil {
			return nil, fmt.Errorf("index: create %s: %w", strings.Join(path, "/"), err)
		}
	} else if s.opened.Relinked > 0 && !s.readOnly {
		// Relinked nodes: commit their lists now, so the next open is clean.
		if err := s.commit(); err != nil {
			return nil, err
		}
	}
	s.h.Load().track = true
	s.openFloats()
	s.opened.Duration = time.Since(start)
	s.opened.Seconds = s.opened.Duration.Seconds()
	r := s.h.Load()
	s.opened.Nodes, s.opened.Live = int(r.n.Load()), r.Len()
	s.commitEvery = o.CommitEvery
	return s, nil
}

// OpenFile opens (or creates) a stored index in a bbolt file of its own, in
// a top-level bucket "index". Close closes the file too.
func OpenFile(path string, opts *StoredOptions) (*Stored, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, PageSize: 16384})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("index: %s is in use by another process", path)
		}
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	s, err := OpenStored(db, []string{"index"}, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.own = db
	return s, nil
}

// FloatFilePath is where an SQ8 index kept in the bucket at path of the
// database file dbPath keeps its float file. Whoever drops the bucket
// removes it (it is a cache: an index that finds none makes it again).
func FloatFilePath(dbPath string, path ...string) string {
	return dbPath + "." + strings.Join(path, "-") + ".floats"
}

// adopt makes h the index in memory; an SQ8 index reads the float vectors
// it re-ranks with from the file.
func (s *Stored) adopt(h *HNSW) {
	if h.onDisk {
		h.floatsOf = func(ids []uint32, fn func(int, []float32)) error { return s.readFloats(h, ids, fn) }
	}
	s.h.Store(h)
}

// openFloats opens an SQ8 index's float file (writable: brought up to the
// committed nodes). A file that cannot be opened or written is done
// without, saying why in Opened: the bucket answers, slower.
func (s *Stored) openFloats() {
	h := s.h.Load()
	if !h.onDisk || s.floatsPath == "" {
		return
	}
	ff, err := openFloatFile(s.floatsPath, h.token, h.dim, int(s.persisted), !s.readOnly)
	if err != nil {
		s.floatErr.Store(err.Error())
		return
	}
	if ff == nil {
		return
	}
	s.floats = ff
	s.extendFloats(h, s.persisted)
}

// extendFloats appends to the float file the committed vectors it lacks,
// below n: pending ones from memory, older ones (a crash came between a
// commit and its append) from the bucket. It runs after a commit has
// succeeded, so a failure does not fail the write: the file is given up
// for this open (Opened says why) and the bucket answers.
func (s *Stored) extendFloats(h *HNSW, n uint32) {
	ff := s.floats
	if ff == nil || !ff.writable || int(n) <= ff.n {
		return
	}
	from := uint32(ff.n)
	ids := make([]uint32, 0, n-from)
	for i := from; i < n; i++ {
		ids = append(ids, i)
	}
	vecs := make([][]float32, len(ids))
	err := s.readFloats(h, ids, func(j int, v []float32) { vecs[j] = slices.Clone(v) })
	if err == nil {
		err = ff.extend(vecs)
	}
	if err != nil {
		s.floatErr.Store(err.Error())
		ff.disable()
	}
}

// readFloats calls fn with the float vector of each node of h's ids: from
// the float file, pending ones from memory, then the others from their
// committed records (looked up after the pending ones, so that a vector
// committed meanwhile is in the transaction's view).
func (s *Stored) readFloats(h *HNSW, ids []uint32, fn func(j int, v []float32)) error {
	var vec []float32
	var rest []int // positions in ids still to read
	if ff := s.floats; ff != nil {
		if !littleEndian {
			vec = make([]float32, h.dim)
		}
		ff.mu.RLock()
		err := faults.Do(func() error {
			for _, i := range ids { // the misses overlap, as in the walk
				ff.prefetch(i)
			}
			for j, i := range ids {
				if v := ff.vector(i, vec); v != nil {
					fn(j, v)
				} else {
					rest = append(rest, j)
				}
			}
			return nil
		}, corrupt)
		ff.mu.RUnlock()
		if err != nil {
			return err
		}
	} else {
		rest = make([]int, len(ids))
		for j := range ids {
			rest[j] = j
		}
	}
	if len(rest) == 0 {
		return nil
	}
	vec = make([]float32, h.dim)
	h.pendMu.Lock()
	rest = slices.DeleteFunc(rest, func(j int) bool {
		v, ok := h.pending[ids[j]]
		if ok {
			fn(j, v)
		}
		return ok
	})
	h.pendMu.Unlock()
	if len(rest) == 0 {
		return nil
	}
	return view(s.db, func(tx *bolt.Tx) error {
		b := s.bucket(tx)
		if b == nil || b.Bucket(bucketVectors) == nil {
			return fmt.Errorf("%w: bucket %s vanished", ErrCorrupt, s.path)
		}
		vb := b.Bucket(bucketVectors)
		var key [4]byte
		for _, j := range rest {
			binary.BigEndian.PutUint32(key[:], ids[j])
			v, err := h.unseal(vb.Get(key[:]), "vector", ids[j])
			if err != nil {
				return err
			}
			if len(v) != 9+4*h.dim {
				return fmt.Errorf("%w: vector record %d: %d bytes", ErrCorrupt, ids[j], len(v))
			}
			decodeFloats(v[9:], vec)
			fn(j, vec)
		}
		return nil
	})
}

func (s *Stored) bucket(tx *bolt.Tx) *bolt.Bucket {
	b := tx.Bucket(s.path[0])
	for _, p := range s.path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(p)
	}
	return b
}

func (s *Stored) createBucket(tx *bolt.Tx) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(s.path[0])
	for _, p := range s.path[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists(p)
	}
	return b, err
}

// repairOnOpen links the nodes stored without links, and any live node a
// walk from the entry point cannot reach (flagged, then inserted again).
func (s *Stored) repairOnOpen(unlinked []uint32) error {
	h := s.h.Load()
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, top := h.entry(); top < 0 && int(h.n.Load()) > 0 {
		return fmt.Errorf("%w: %d nodes but no entry point", ErrCorrupt, h.n.Load())
	}
	if ep, _ := h.entry(); slices.Contains(unlinked, ep) {
		return fmt.Errorf("%w: the entry point has no links record", ErrCorrupt)
	}
	if len(unlinked) == 0 && h.reachable {
		return nil // its writer walked the graph before committing
	}
	// Unlinked nodes are walked as "inserting" until relinked; the walk
	// below finds any other live node that cannot be reached.
	h.noteDirty(h.relink(unlinked))
	s.opened.Relinked = len(unlinked) + len(h.ensureReachable())
	return nil
}

func (s *Stored) takeDirty() []uint32 {
	h := s.h.Load()
	h.trackMu.Lock()
	defer h.trackMu.Unlock()
	d := h.dirty
	h.dirty = nil
	slices.Sort(d)
	return slices.Compact(d)
}

// commit makes every live node reachable, then writes the vectors
// inserted since the last commit, the links of the nodes whose lists
// changed and the header in one transaction. If it fails the in-memory
// index is reloaded from the database, so memory never runs ahead of disk.
func (s *Stored) commit() error {
	h := s.h.Load()
	h.EnsureReachable()
	dirty := s.takeDirty()
	n := h.n.Load()
	err := update(s.db, func(tx *bolt.Tx) error {
		b := s.bucket(tx)
		if b == nil {
			return fmt.Errorf("%w: bucket %s vanished", ErrCorrupt, s.path)
		}
		return h.writeNodes(b, s.persisted, n, dirty)
	})
	if err == nil {
		s.persisted = n
		s.extendFloats(h, n)
		h.committed(n)
		return nil
	}
	if errors.Is(err, berrors.ErrDatabaseReadOnly) {
		err = ErrReadOnly
	}
	err = fmt.Errorf("index: commit: %w", err)
	if rerr := s.reload(); rerr != nil {
		return errors.Join(err, fmt.Errorf("index: reload after failed commit: %w", rerr))
	}
	return err
}

// reload replaces the in-memory index with what the database holds.
func (s *Stored) reload() error {
	return view(s.db, func(tx *bolt.Tx) error {
		b := s.bucket(tx)
		if b == nil {
			return fmt.Errorf("%w: bucket vanished", ErrCorrupt)
		}
		h, unlinked, err := load(b)
		if err != nil {
			return err
		}
		old := s.h.Load()
		h.opts.EfSearch = old.opts.EfSearch
		h.track = true
		s.adopt(h)
		s.persisted = h.n.Load()
		if err := s.repairOnOpen(unlinked); err != nil {
			return err
		}
		old.Close()
		return nil
	})
}

func (s *Stored) writable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.readOnly {
		return ErrReadOnly
	}
	return nil
}

// Add inserts one vector and commits it.
func (s *Stored) Add(ctx context.Context, id uint64, vec []float32) error {
	return s.AddBatch(ctx, []uint64{id}, [][]float32{vec}, 1)
}

// AddBatch inserts vecs[i] under ids[i] on workers goroutines (0: all
// cores), committing every CommitEvery vectors. The whole batch is checked
// first (a bad vector or id changes nothing). If ctx is cancelled, what was
// inserted is committed and ctx's error returned.
func (s *Stored) AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	h := s.h.Load()
	prepared, err := h.checkBatch(ids, vecs)
	if err != nil {
		return err
	}
	h.grow(int(h.n.Load()) + len(ids))
	for lo, hi := 0, 0; lo < len(ids); lo = hi {
		hi = min(lo+s.commitSize(), len(ids))
		if err := h.fit(prepared[lo:]); err != nil {
			return err
		}
		err := h.addPrepared(ctx, ids[lo:hi], prepared[lo:hi], workers)
		if cerr := s.commit(); cerr != nil {
			return errors.Join(err, cerr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commitSize is how many inserts the next transaction takes (see
// StoredOptions.CommitEvery).
func (s *Stored) commitSize() int {
	if s.commitEvery > 0 {
		return s.commitEvery
	}
	return max(4096, int(s.h.Load().n.Load())/8)
}

// Delete tombstones id, repairs its neighbours' lists and commits.
func (s *Stored) Delete(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.DeleteBatch(ctx, []uint64{id})
}

// DeleteBatch tombstones every id of ids, repairs their neighbours' lists
// and commits them together: after a crash either all are deleted or none.
// An id that is not in the index fails the batch before anything changes.
func (s *Stored) DeleteBatch(ctx context.Context, ids []uint64) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.deleteInMemory(ctx, ids); err != nil {
		return err
	}
	return s.commit()
}

// DeleteIn is DeleteBatch inside tx, a read-write transaction on the
// index's database: the index's records commit with whatever else tx
// writes (a store's deletion of the same items), all or none. When tx does
// not commit, the index in memory is ahead of the file: Close it.
func (s *Stored) DeleteIn(tx *bolt.Tx, ids []uint64) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.deleteInMemory(context.Background(), ids); err != nil {
		return err
	}
	b := s.bucket(tx)
	if b == nil {
		return fmt.Errorf("%w: bucket %s vanished", ErrCorrupt, s.path)
	}
	h := s.h.Load()
	h.EnsureReachable()
	return h.writeNodes(b, s.persisted, h.n.Load(), s.takeDirty())
}

// deleteInMemory tombstones ids in the in-memory index (s.wmu held); on
// failure the index is reloaded from the file.
func (s *Stored) deleteInMemory(ctx context.Context, ids []uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h := s.h.Load()
	for _, id := range ids {
		if !h.Has(id) {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
	}
	for _, id := range ids {
		if err := h.Delete(context.Background(), id); err != nil && !errors.Is(err, ErrNotFound) { // listed twice
			if rerr := s.reload(); rerr != nil { // memory must not run ahead of disk
				return errors.Join(err, rerr)
			}
			return err
		}
	}
	return nil
}

// Search returns up to k nearest live ids, nearest first.
func (s *Stored) Search(ctx context.Context, q []float32, k int, opts *SearchOptions) ([]Result, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	return s.h.Load().Search(ctx, q, k, opts)
}

// Len returns the number of live ids.
func (s *Stored) Len() int { return s.h.Load().Len() }

// Has reports whether id is in the index (and not deleted).
func (s *Stored) Has(id uint64) bool { return s.h.Load().Has(id) }

// Dim returns the vectors' dimension.
func (s *Stored) Dim() int { return s.h.Load().Dim() }

// Check reports the index's consistency (see [HNSW.Check]).
func (s *Stored) Check() Report { return s.h.Load().Check() }

// Opened says what opening the index found and how long it took (and, for
// an SQ8 index, why it does without its float file, if it does).
func (s *Stored) Opened() OpenInfo {
	o := s.opened
	if e, ok := s.floatErr.Load().(string); ok {
		o.FloatFile = e
	}
	return o
}

// Quantization is how the index keeps the vectors it walks.
func (s *Stored) Quantization() Quantization { return s.h.Load().opts.Quantize }

// MemoryBytes returns the in-memory index's size (see [HNSW.MemoryBytes]).
func (s *Stored) MemoryBytes() int64 { return s.h.Load().MemoryBytes() }

// Close releases the index (and the file, for OpenFile). It is safe to call
// more than once.
func (s *Stored) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.h.Load().Close()
	err := s.floats.close()
	if s.own != nil {
		err = errors.Join(err, s.own.Close())
	}
	return err
}

var _ Index = (*Stored)(nil)

// IDs returns the live ids, in ascending order.
func (s *Stored) IDs() []uint64 { return s.h.Load().IDs() }

// view and update run bbolt transactions whose panics (bbolt asserts on
// damaged pages) and memory faults become errors wrapping ErrCorrupt.
func view(db DB, fn func(*bolt.Tx) error) error {
	return faults.Do(func() error { return db.View(fn) }, corrupt)
}

func update(db DB, fn func(*bolt.Tx) error) error {
	return faults.Do(func() error { return db.Update(fn) }, corrupt)
}

func corrupt(reason string) error { return fmt.Errorf("%w: %s", ErrCorrupt, reason) }
