package index

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Defaults of Options.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 64
	maxLevel              = 16
	// DefaultExactBelow is Options.ExactBelow's default: on clustered
	// 50k x 128 (rgunit bench ann --filtered) the exact scan of the
	// admitted items beats the filtered walk (ef 64, both at recall 1) up
	// to about 7% admitted, 3,500 items (16x at 0.5%, 1.6x at 5%), and
	// loses from 10% (0.6x). The walk's cost depends little on the
	// index's size and the scan's grows with it, so the rule is a count.
	DefaultExactBelow = 3000
)

// nodeLocks is the number of striped node locks.
const nodeLocks = 4096

// lockOf is the mutex held while node i's lists are rewritten.
func (h *HNSW) lockOf(i uint32) *sync.Mutex { return &h.locks[i%nodeLocks] }

// Node states (in each node record, read and written atomically).
const (
	stateInserting uint32 = iota // id taken, links being built: walked, not returned
	stateLive
	stateDeleted // tombstone: walked through, never returned
)

// Options configure an HNSW index. The zero value is M=16,
// efConstruction=200, efSearch=64, squared L2, seed 1.
type Options struct {
	M              int // neighbours per node on upper layers (2M on layer 0)
	EfConstruction int // beam width while inserting
	EfSearch       int // default beam width of Search
	Metric         Metric
	Seed           uint64 // level seed: a serial build is reproducible
	// ExactBelow: a filter admitting fewer than this many items (estimated
	// from a sample) is answered by an exact scan of the admitted items
	// (0: DefaultExactBelow; negative: never). Not stored.
	ExactBelow int
	// Quantize: Float (the zero value) or SQ8. An SQ8 index fits each
	// dimension's range on the first vectors it receives (the first Add or
	// AddBatch: give it a batch of at least a thousand).
	Quantize Quantization
}

func (o *Options) fill() error {
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.ExactBelow == 0 {
		o.ExactBelow = DefaultExactBelow
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if o.EfSearch == 0 {
		o.EfSearch = DefaultEfSearch
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.M < 2 || o.M > 256 || o.EfConstruction < o.M || o.EfSearch < 1 || o.Metric > InnerProduct || o.Quantize > SQ8 {
		return fmt.Errorf("%w: M=%d efConstruction=%d efSearch=%d metric=%d quantize=%d", ErrOptions, o.M, o.EfConstruction, o.EfSearch, o.Metric, o.Quantize)
	}
	return nil
}

// Resolve checks dim and opts (nil: the defaults) and returns the options
// with their defaults filled in, or [ErrOptions].
func Resolve(dim int, opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if dim <= 0 {
		return o, fmt.Errorf("%w: dimension %d", ErrOptions, dim)
	}
	return o, o.fill()
}

// HNSW is an in-memory hierarchical navigable small world graph. All its
// methods are safe for concurrent use; Add runs in parallel with other Adds
// and with searches.
type HNSW struct {
	// mu: searches and inserts hold it shared; growing the arrays, Delete,
	// Close and loading hold it exclusively.
	mu     sync.RWMutex
	dim    int
	opts   Options
	dist   func(a, b []float32) float32
	m, m0  int
	ml     float64
	lines  int  // cache lines to prefetch per vector
	avxL2  bool // squared L2 on a CPU with the AVX2 kernel: searches call it directly
	closed bool

	// Arrays sized to the capacity; they are replaced only under mu.Lock.
	//
	// nodes holds, per internal id i at [i*stride, (i+1)*stride), the
	// layer-0 neighbour record (a count, then m0 slots: atomic words), the
	// node's state (stateInserting, stateLive, stateDeleted: atomic), its
	// store id (two words, low first) and its vector (dim float32 bits):
	// a search that expands a node, admits it or returns it reads next to
	// the vector it has just compared, as hnswlib's layout does (no cache
	// miss into separate arrays).
	nodes    []uint32
	stride   int     // 1 + m0 + 3 + vecWords
	vecWords int     // dim (float) or dim/4 rounded up (SQ8 codes)
	levels   []uint8 // top layer of each node
	// upper: per node with level > 0, the first of level x (count + m
	// slots) atomic words (a pointer, not a slice: 8 bytes per node
	// instead of 24; the length follows from levels).
	upper []*uint32
	// locks: node i's lists are rewritten holding locks[i%len] (striped:
	// 8 bytes per node less than a mutex each; no code holds two).
	locks [nodeLocks]sync.Mutex

	// q is an SQ8 index's quantizer (nil: float vectors, or SQ8 before its
	// first vectors). raw holds an SQ8 index's float vectors for
	// re-ranking (dim per node), unless floatsOf reads them from elsewhere
	// (a stored index's file).
	q        *quantizer // replaced under mu held exclusively
	qMu      sync.Mutex // held while deciding to refit (before mu)
	fittedOn int        // vectors q was fitted on (qMu)
	raw      []float32
	floatsOf func(ids []uint32, fn func(j int, v []float32)) error // v is valid during the call
	// onDisk: an SQ8 index whose float vectors live in its file (a stored
	// index): no raw; pending holds those not yet committed.
	onDisk  bool
	token   uint64 // an SQ8 stored index's identity (its float file's header)
	pendMu  sync.Mutex
	pending map[uint32][]float32

	idsMu sync.Mutex
	ids   map[uint64]uint32 // store id -> live internal id
	// sums: a stored index writes and checks a CRC-32C on each record
	// (format 2).
	sums bool
	// reachable: loaded from a file whose writer made every live node
	// reachable before committing (see meta.Reachable).
	reachable bool
	n         atomic.Uint32 // internal ids handed out (all below are written)

	live    atomic.Int64
	ep      atomic.Uint64 // entry point: (top+1)<<32 | internal id; 0 when empty
	entryMu sync.Mutex    // held by an insert that raises the top level

	inserts  sync.Pool // *insertScratch
	searches sync.Pool // *scratch

	// track, if set, collects the internal ids whose lists changed (for
	// persistence); trackMu guards dirty.
	track   bool
	trackMu sync.Mutex
	dirty   []uint32
}

// NewHNSW returns an empty index for vectors of dimension dim.
func NewHNSW(dim int, opts *Options) (*HNSW, error) {
	o, err := Resolve(dim, opts)
	if err != nil {
		return nil, err
	}
	words, bytes := dim, 4*dim
	if o.Quantize == SQ8 {
		words, bytes = (dim+3)/4, dim
	}
	return &HNSW{
		dim: dim, opts: o, dist: o.Metric.Distance(),
		m: o.M, m0: 2 * o.M, ml: 1 / math.Log(float64(o.M)),
		stride: 1 + 2*o.M + 3 + words, vecWords: words,
		avxL2: hasAVX2 && o.Metric == L2,
		lines: prefetchLines(bytes),
		ids:   map[uint64]uint32{},
	}, nil
}

// Dim returns the vectors' dimension.
func (h *HNSW) Dim() int { return h.dim }

// Options returns the options the index was built with.
func (h *HNSW) Options() Options { return h.opts }

func (h *HNSW) capacity() int { return len(h.levels) }

// Reserve grows the index to hold n vectors without reallocating. Building
// a large index after Reserve also keeps its memory at what it needs.
func (h *HNSW) Reserve(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n > h.capacity() && !h.closed {
		h.resize(n)
	}
}

// grow makes room for at least one more node (takes mu exclusively).
func (h *HNSW) grow(need int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.capacity(); need > c && !h.closed {
		h.resize(max(need, c+c/2, 1024))
	}
}

// resize reallocates the arrays to capacity c (mu held exclusively).
func (h *HNSW) resize(c int) {
	n := int(h.n.Load())
	nodes := make([]uint32, c*h.stride)
	adviseHuge(nodes) // before the copy touches its pages
	copy(nodes, h.nodes[:n*h.stride])
	h.nodes = nodes
	levels := make([]uint8, c)
	copy(levels, h.levels[:n])
	h.levels = levels
	upper := make([]*uint32, c)
	copy(upper, h.upper[:n])
	h.upper = upper
	if h.opts.Quantize == SQ8 && !h.onDisk {
		raw := make([]float32, c*h.dim)
		copy(raw, h.raw[:n*h.dim])
		h.raw = raw
	}
}

// prefetchLines is how many 64-byte lines a vector of that many bytes may
// span (one more than its size needs, as it need not be line-aligned),
// capped at 16: the
// measured gain (search up to 2x, build 1.5x at dim 128) comes from
// overlapping misses, and more lines in flight only queue.
func prefetchLines(bytes int) int { return min((bytes+127)/64, 16) }

// statep points to node i's state word (read and written atomically while
// the index is shared).
func (h *HNSW) statep(i uint32) *uint32 { return &h.nodes[int(i)*h.stride+1+h.m0] }

// extOf is node i's store id.
func (h *HNSW) extOf(i uint32) uint64 {
	o := int(i)*h.stride + 2 + h.m0
	return uint64(h.nodes[o]) | uint64(h.nodes[o+1])<<32
}

func (h *HNSW) setExt(i uint32, id uint64) {
	o := int(i)*h.stride + 2 + h.m0
	h.nodes[o], h.nodes[o+1] = uint32(id), uint32(id>>32)
}

// vec returns node i's float vector (inside its record in nodes; for SQ8,
// in raw).
func (h *HNSW) vec(i uint32) []float32 {
	if h.opts.Quantize == SQ8 {
		return h.raw[int(i)*h.dim : (int(i)+1)*h.dim : (int(i)+1)*h.dim]
	}
	o := int(i)*h.stride + 1 + h.m0 + 3
	w := h.nodes[o : o+h.dim : o+h.dim]
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(w))), h.dim)
}

// slots returns node i's neighbour record on a layer: a count, then the
// layer's capacity of slots (2M on layer 0, M above). Its words are read and
// written atomically while the index is shared.
func (h *HNSW) slots(i uint32, layer int) []uint32 {
	if layer == 0 {
		b := int(i) * h.stride
		return h.nodes[b : b+1+h.m0 : b+1+h.m0]
	}
	b := (layer - 1) * (h.m + 1)
	u := unsafe.Slice(h.upper[i], int(h.levels[i])*(h.m+1))
	return u[b : b+1+h.m : b+1+h.m]
}

// readList appends node i's neighbours on layer l to out.
func (h *HNSW) readList(i uint32, l int, out []uint32) []uint32 {
	s := h.slots(i, l)
	c := min(int(atomic.LoadUint32(&s[0])), len(s)-1)
	for j := 1; j <= c; j++ {
		out = append(out, atomic.LoadUint32(&s[j]))
	}
	return out
}

// writeList replaces node i's neighbours on layer l (node lock held): slots
// first, then the count, so a concurrent reader sees valid ids only.
func (h *HNSW) writeList(i uint32, l int, ns []uint32) {
	s := h.slots(i, l)
	for j, x := range ns {
		atomic.StoreUint32(&s[j+1], x)
	}
	atomic.StoreUint32(&s[0], uint32(len(ns)))
}

func (h *HNSW) entry() (ep uint32, top int) {
	x := h.ep.Load()
	return uint32(x), int(x>>32) - 1
}

func (h *HNSW) setEntry(ep uint32, top int) { h.ep.Store(uint64(top+1)<<32 | uint64(ep)) }

func (h *HNSW) nodeState(i uint32) uint32 { return atomic.LoadUint32(h.statep(i)) }

// levelOf draws node in's level from a hash of the seed and its internal id,
// so levels do not depend on the order in which parallel inserts run.
func (h *HNSW) levelOf(in uint32) int {
	x := splitmix(h.opts.Seed ^ splitmix(uint64(in)))
	u := (float64(x>>11) + 1) / (1 << 53) // (0, 1]
	return min(int(-math.Log(u)*h.ml), maxLevel)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Len returns the number of live ids.
func (h *HNSW) Len() int { return int(h.live.Load()) }

// Has reports whether id is in the index (and not deleted).
func (h *HNSW) Has(id uint64) bool {
	h.idsMu.Lock()
	defer h.idsMu.Unlock()
	_, ok := h.ids[id]
	return ok
}

// MemoryBytes returns the bytes the index holds: the capacity of its arrays
// and an estimate of its id map (16 bytes per entry at Go's load factor).
func (h *HNSW) MemoryBytes() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := int64(cap(h.nodes))*4 + int64(cap(h.raw))*4 + int64(cap(h.levels)) +
		int64(cap(h.upper))*8 + nodeLocks*8
	for i, u := range h.upper {
		if u != nil {
			n += int64(h.levels[i]) * int64(h.m+1) * 4
		}
	}
	h.idsMu.Lock()
	defer h.idsMu.Unlock()
	return n + int64(len(h.ids))*16*8/7
}

// Slots returns the number of neighbour slots the graph has room for (2M per
// node on layer 0, M per upper layer).
func (h *HNSW) Slots() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := int(h.n.Load())
	s := int64(n) * int64(h.m0)
	for i := range n {
		s += int64(h.levels[i]) * int64(h.m)
	}
	return s
}

// Close releases the index's memory. It is safe to call more than once.
func (h *HNSW) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.nodes, h.levels, h.upper, h.raw = nil, nil, nil, nil
	h.idsMu.Lock()
	h.ids = nil
	h.idsMu.Unlock()
	return nil
}

var (
	_ Index = (*HNSW)(nil)
	_ Index = (*Exact)(nil)
)

// IDs returns the live ids, in ascending order.
func (h *HNSW) IDs() []uint64 {
	h.idsMu.Lock()
	out := make([]uint64, 0, len(h.ids))
	for id := range h.ids {
		out = append(out, id)
	}
	h.idsMu.Unlock()
	slices.Sort(out)
	return out
}
