package index

import (
	"context"
	"fmt"
	"sync"
	"unsafe"
)

// Exact is a brute-force index: exact results, O(n) per query.
type Exact struct {
	mu     sync.RWMutex
	dim    int
	metric Metric
	dist   func(a, b []float32) float32
	lines  int
	vecs   []float32
	ids    []uint64
	pos    map[uint64]int
	closed bool
}

// scanAhead: the exact scan prefetches the vector this many rows ahead.
var scanAhead = 8 // BenchmarkExactScan: 6.9 ms per 100k x 128 query without, 5.2 ms at 8 (4: 5.6, 16: 5.5)

// NewExact returns an empty exact index.
func NewExact(dim int, metric Metric) (*Exact, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("%w: dimension %d", ErrOptions, dim)
	}
	return &Exact{dim: dim, metric: metric, dist: metric.Distance(), lines: prefetchLines(dim), pos: map[uint64]int{}}, nil
}

func (e *Exact) Add(ctx context.Context, id uint64, vec []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := Prepare(vec, e.dim, e.metric)
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

func (e *Exact) Delete(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
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

func (e *Exact) Search(ctx context.Context, q []float32, k int, opts *SearchOptions) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckK(k, 0); err != nil {
		return nil, err
	}
	q, err := Prepare(q, e.dim, e.metric)
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
	var res heap
	for i := range len(e.ids) {
		if filter != nil && !filter(e.ids[i]) {
			continue
		}
		if j := (i + scanAhead) * e.dim; j < len(e.vecs) {
			prefetch(unsafe.Pointer(&e.vecs[j]), e.lines)
		}
		d := e.dist(q, e.vecs[i*e.dim:(i+1)*e.dim])
		if len(res) < k || d < res.worst() {
			res.pushBounded(node{d: d, id: uint32(i)}, k)
		}
	}
	nodes := drainSorted(&res, nil)
	out := make([]Result, len(nodes))
	for i, nd := range nodes {
		out[i] = Result{ID: e.ids[nd.id], Distance: nd.d}
	}
	return out, nil
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
