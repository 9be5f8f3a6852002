package index

import (
	"fmt"
	"sync"
)

// Exact is a brute-force index: exact results, O(n) per query.
type Exact struct {
	mu     sync.RWMutex
	dim    int
	metric Metric
	dist   func(a, b []float32) float32
	vecs   []float32
	ids    []uint64
	pos    map[uint64]int
	closed bool
}

// NewExact returns an empty exact index.
func NewExact(dim int, metric Metric) (*Exact, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("%w: dimension %d", ErrOptions, dim)
	}
	return &Exact{dim: dim, metric: metric, dist: distFunc(metric), pos: map[uint64]int{}}, nil
}

func (e *Exact) Add(id uint64, vec []float32) error {
	v, err := prepare(vec, e.dim, e.metric)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if _, ok := e.pos[id]; ok {
		return fmt.Errorf("%w: %d", ErrExists, id)
	}
	e.pos[id] = len(e.ids)
	e.ids = append(e.ids, id)
	e.vecs = append(e.vecs, v...)
	return nil
}

func (e *Exact) Delete(id uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	i, ok := e.pos[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	last := len(e.ids) - 1
	copy(e.vecs[i*e.dim:(i+1)*e.dim], e.vecs[last*e.dim:])
	e.ids[i] = e.ids[last]
	e.pos[e.ids[i]] = i
	e.ids, e.vecs = e.ids[:last], e.vecs[:last*e.dim]
	delete(e.pos, id)
	return nil
}

func (e *Exact) Search(q []float32, k int, opts *SearchOptions) ([]Result, error) {
	if err := checkK(k, 0); err != nil {
		return nil, err
	}
	q, err := prepare(q, e.dim, e.metric)
	if err != nil {
		return nil, err
	}
	var filter func(uint64) bool
	if opts != nil {
		filter = opts.Filter
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	return scan(q, k, e.vecs, e.dim, len(e.ids), e.dist,
		func(i int) bool { return filter == nil || filter(e.ids[i]) }, func(i int) uint64 { return e.ids[i] }), nil
}

// scan is the exact top-k over n stored vectors: keep says whether a
// position may be returned, idOf maps it to its id.
func scan(q []float32, k int, vecs []float32, dim, n int, dist func(a, b []float32) float32, keep func(int) bool, idOf func(int) uint64) []Result {
	var res heap
	for i := range n {
		if !keep(i) {
			continue
		}
		d := dist(q, vecs[i*dim:(i+1)*dim])
		if len(res) < k || d < res.worst() {
			res.pushBounded(node{d: d, id: uint32(i)}, k)
		}
	}
	nodes := drainSorted(&res, nil)
	out := make([]Result, len(nodes))
	for i, nd := range nodes {
		out[i] = Result{ID: idOf(int(nd.id)), Distance: nd.d}
	}
	return out
}

func (e *Exact) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.ids)
}

func (e *Exact) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed, e.vecs, e.ids, e.pos = true, nil, nil, nil
	return nil
}
