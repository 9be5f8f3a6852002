package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// Defaults of Options.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 64
	maxLevel              = 16
	// exactBelow: a filter admitting less than this fraction of the items is
	// answered by an exact scan of the admitted items.
	exactBelow = 0.01
)

// Options configure an HNSW index. The zero value is M=16,
// efConstruction=200, efSearch=64, squared L2, seed 1.
type Options struct {
	M              int // neighbours per node on upper layers (2M on layer 0)
	EfConstruction int // beam width while inserting
	EfSearch       int // default beam width of Search
	Metric         Metric
	Seed           uint64 // level generator seed (builds are reproducible)
}

// HNSW is an in-memory hierarchical navigable small world graph.
type HNSW struct {
	mu     sync.RWMutex
	dim    int
	metric Metric
	dist   func(a, b []float32) float32
	m, m0  int
	efC    int
	efS    int
	ml     float64
	rng    *rand.Rand

	vecs    []float32         // internal id i at [i*dim, (i+1)*dim)
	ext     []uint64          // internal -> store id
	ids     map[uint64]uint32 // store id -> live internal id
	levels  []uint8
	links0  []uint32   // per node: count, then m0 slots
	upper   [][]uint32 // per node with level > 0: per layer count + m slots
	deleted []bool
	live    int

	entry    uint32
	top      int // level of entry; -1 when empty
	closed   bool
	ins      insertScratch
	searches sync.Pool
}

type insertScratch struct {
	sc         scratch
	cands, sel []node
	ids        []uint32
	// link's buffers: it runs while insert still iterates sel.
	shrink, shrinkSel []node
	shrinkIDs         []uint32
}

// NewHNSW returns an empty index for vectors of dimension dim.
func NewHNSW(dim int, opts *Options) (*HNSW, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if dim <= 0 {
		return nil, fmt.Errorf("%w: dimension %d", ErrOptions, dim)
	}
	if o.M == 0 {
		o.M = DefaultM
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
	if o.M < 2 || o.M > 256 || o.EfConstruction < o.M || o.EfSearch < 1 || o.Metric > InnerProduct {
		return nil, fmt.Errorf("%w: M=%d efConstruction=%d efSearch=%d metric=%d", ErrOptions, o.M, o.EfConstruction, o.EfSearch, o.Metric)
	}
	return &HNSW{
		dim: dim, metric: o.Metric, dist: distFunc(o.Metric),
		m: o.M, m0: 2 * o.M, efC: o.EfConstruction, efS: o.EfSearch,
		ml:  1 / math.Log(float64(o.M)),
		rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)),
		ids: map[uint64]uint32{}, top: -1,
	}, nil
}

func (h *HNSW) vec(i uint32) []float32 {
	o := int(i) * h.dim
	return h.vecs[o : o+h.dim : o+h.dim]
}

func (h *HNSW) neighbors(i uint32, layer int) []uint32 {
	if layer == 0 {
		b := int(i) * (h.m0 + 1)
		return h.links0[b+1 : b+1+int(h.links0[b])]
	}
	u := h.upper[i]
	b := (layer - 1) * (h.m + 1)
	return u[b+1 : b+1+int(u[b])]
}

// slots returns node i's neighbour record on a layer: a count, then the
// layer's capacity of slots (2M on layer 0, M above).
func (h *HNSW) slots(i uint32, layer int) []uint32 {
	if layer == 0 {
		b := int(i) * (h.m0 + 1)
		return h.links0[b : b+1+h.m0]
	}
	b := (layer - 1) * (h.m + 1)
	return h.upper[i][b : b+1+h.m]
}

func (h *HNSW) setNeighbors(i uint32, layer int, ns []uint32) {
	s := h.slots(i, layer)
	s[0] = uint32(copy(s[1:], ns))
}

func (h *HNSW) randomLevel() int {
	u := 1 - h.rng.Float64() // (0, 1]
	return min(int(-math.Log(u)*h.ml), maxLevel)
}

// Add inserts vec under id. Re-adding a deleted id is allowed.
func (h *HNSW) Add(id uint64, vec []float32) error {
	v, err := prepare(vec, h.dim, h.metric)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if _, ok := h.ids[id]; ok {
		return fmt.Errorf("%w: %d", ErrExists, id)
	}
	if len(h.ext) >= math.MaxUint32-1 {
		return fmt.Errorf("%w: index is full", ErrOptions)
	}
	in := uint32(len(h.ext))
	level := h.randomLevel()
	h.vecs = append(h.vecs, v...)
	h.ext = append(h.ext, id)
	h.levels = append(h.levels, uint8(level))
	h.links0 = append(h.links0, make([]uint32, h.m0+1)...)
	var up []uint32
	if level > 0 {
		up = make([]uint32, level*(h.m+1))
	}
	h.upper = append(h.upper, up)
	h.deleted = append(h.deleted, false)
	h.ids[id] = in
	h.live++
	if h.top < 0 {
		h.entry, h.top = in, level
		return nil
	}
	h.insert(in, level)
	if level > h.top {
		h.entry, h.top = in, level
	}
	return nil
}

// insert links node in into the graph (write lock held).
func (h *HNSW) insert(in uint32, level int) {
	q := h.vec(in)
	s := &h.ins
	ep := node{d: h.dist(q, h.vec(h.entry)), id: h.entry}
	for l := h.top; l > level; l-- {
		ep = h.greedy(q, ep, l)
	}
	eps := append(s.cands[:0], ep)
	for l := min(level, h.top); l >= 0; l-- {
		h.searchLayer(q, eps, h.efC, l, &s.sc, nil)
		s.cands = drainSorted(&s.sc.res, s.cands[:0])
		s.sel = h.selectNeighbors(s.cands, h.m, s.sel[:0])
		s.ids = s.ids[:0]
		for _, n := range s.sel {
			s.ids = append(s.ids, n.id)
		}
		h.setNeighbors(in, l, s.ids)
		mmax := h.m
		if l == 0 {
			mmax = h.m0
		}
		for _, n := range s.sel {
			h.link(n.id, in, n.d, l, mmax)
		}
		eps = s.cands
	}
}

// link adds in to n's neighbours on layer l, shrinking them with the
// heuristic when they overflow. It allocates nothing once the scratch
// buffers have grown.
func (h *HNSW) link(n, in uint32, d float32, l, mmax int) {
	slots := h.slots(n, l)
	if c := int(slots[0]); c < mmax {
		slots[c+1] = in
		slots[0]++
		return
	}
	s := &h.ins
	s.shrink = append(s.shrink[:0], node{d: d, id: in})
	nv := h.vec(n)
	for _, x := range h.neighbors(n, l) {
		s.shrink = append(s.shrink, node{d: h.dist(nv, h.vec(x)), id: x})
	}
	slices.SortFunc(s.shrink, cmpNode)
	s.shrinkSel = h.selectNeighbors(s.shrink, mmax, s.shrinkSel[:0])
	s.shrinkIDs = s.shrinkIDs[:0]
	for _, x := range s.shrinkSel {
		s.shrinkIDs = append(s.shrinkIDs, x.id)
	}
	h.setNeighbors(n, l, s.shrinkIDs)
}

func cmpNode(a, b node) int {
	switch {
	case a.d < b.d:
		return -1
	case a.d > b.d:
		return 1
	}
	return int(a.id) - int(b.id)
}

// selectNeighbors is the heuristic of Malkov and Yashunin (Algorithm 4):
// walking candidates nearest first, keep one only if it is nearer to the
// base than to every neighbour kept so far. cands must be sorted ascending.
func (h *HNSW) selectNeighbors(cands []node, m int, out []node) []node {
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		cv := h.vec(c.id)
		good := true
		for _, r := range out {
			if h.dist(cv, h.vec(r.id)) < c.d {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
		}
	}
	return out
}

// greedy walks layer l from ep to a local minimum.
func (h *HNSW) greedy(q []float32, ep node, l int) node {
	for changed := true; changed; {
		changed = false
		for _, nb := range h.neighbors(ep.id, l) {
			if d := h.dist(q, h.vec(nb)); d < ep.d {
				ep, changed = node{d: d, id: nb}, true
			}
		}
	}
	return ep
}

// searchLayer is the ef-bounded beam search on one layer. Nodes that admit
// rejects (deleted, filtered out) are walked through but never returned.
// The result is left in sc.res (at most ef nodes, negated distances).
func (h *HNSW) searchLayer(q []float32, eps []node, ef, l int, sc *scratch, admit func(uint32) bool) {
	sc.vis.reset(len(h.ext))
	sc.cand, sc.res = sc.cand[:0], sc.res[:0]
	for _, e := range eps {
		if !sc.vis.visit(e.id) {
			continue
		}
		sc.cand.push(e)
		if admit == nil || admit(e.id) {
			sc.res.pushBounded(e, ef)
		}
	}
	for len(sc.cand) > 0 {
		c := sc.cand.pop()
		if len(sc.res) >= ef && c.d > sc.res.worst() {
			break
		}
		for _, nb := range h.neighbors(c.id, l) {
			if !sc.vis.visit(nb) {
				continue
			}
			d := h.dist(q, h.vec(nb))
			if len(sc.res) < ef || d < sc.res.worst() {
				sc.cand.push(node{d: d, id: nb})
				if admit == nil || admit(nb) {
					sc.res.pushBounded(node{d: d, id: nb}, ef)
				}
			}
		}
	}
}

// Search returns up to k nearest live ids, nearest first.
func (h *HNSW) Search(q []float32, k int, opts *SearchOptions) ([]Result, error) {
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if err := checkK(k, o.Ef); err != nil {
		return nil, err
	}
	q, err := prepare(q, h.dim, h.metric)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return nil, ErrClosed
	}
	if h.live == 0 {
		return nil, nil
	}
	ef := o.Ef
	if ef == 0 {
		ef = max(h.efS, k)
	}
	var admit func(uint32) bool
	switch {
	case o.Filter != nil:
		filter := o.Filter
		admit = func(i uint32) bool { return !h.deleted[i] && filter(h.ext[i]) }
		if h.selectivity(admit) < exactBelow {
			return scan(q, k, h.vecs, h.dim, len(h.ext), h.dist,
				func(i int) bool { return admit(uint32(i)) }, func(i int) uint64 { return h.ext[i] }), nil
		}
	case h.live < len(h.ext):
		admit = func(i uint32) bool { return !h.deleted[i] }
	}
	sc, _ := h.searches.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer h.searches.Put(sc)
	ep := node{d: h.dist(q, h.vec(h.entry)), id: h.entry}
	for l := h.top; l > 0; l-- {
		ep = h.greedy(q, ep, l)
	}
	h.searchLayer(q, []node{ep}, ef, 0, sc, admit)
	for len(sc.res) > k {
		sc.res.pop()
	}
	sc.nodes = drainSorted(&sc.res, sc.nodes)
	out := make([]Result, len(sc.nodes))
	for i, n := range sc.nodes {
		out[i] = Result{ID: h.ext[n.id], Distance: n.d}
	}
	return out, nil
}

// selectivity estimates the fraction of nodes admit accepts from an even
// sample of up to 1024 nodes (all of them in a small index).
func (h *HNSW) selectivity(admit func(uint32) bool) float64 {
	n := len(h.ext)
	step := max(1, n/1024)
	seen, ok := 0, 0
	for i := 0; i < n; i += step {
		seen++
		if admit(uint32(i)) {
			ok++
		}
	}
	return float64(ok) / float64(seen)
}

// Delete tombstones id: searches walk through it but never return it.
func (h *HNSW) Delete(id uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	in, ok := h.ids[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	delete(h.ids, id)
	h.deleted[in] = true
	h.live--
	return nil
}

// Len returns the number of live ids.
func (h *HNSW) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.live
}

// MemoryBytes returns the bytes the index holds: vectors, graph and maps.
func (h *HNSW) MemoryBytes() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := int64(cap(h.vecs))*4 + int64(cap(h.ext))*8 + int64(cap(h.levels)) + int64(cap(h.deleted)) +
		int64(cap(h.links0))*4 + int64(cap(h.upper))*24
	for _, u := range h.upper {
		n += int64(cap(u)) * 4
	}
	return n + int64(len(h.ids))*24 // map entries, roughly
}

// Close releases the index's memory. It is safe to call more than once.
func (h *HNSW) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.vecs, h.ext, h.ids, h.levels, h.links0, h.upper, h.deleted = nil, nil, nil, nil, nil, nil, nil
	return nil
}

var (
	_ Index = (*HNSW)(nil)
	_ Index = (*Exact)(nil)
)
