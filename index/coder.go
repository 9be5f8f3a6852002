package index

import (
	"cmp"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sync"

	"github.com/coder/hnsw"
)

// CoderHNSW adapts github.com/coder/hnsw to [Index], so the bench can show
// the gap and a fixed upstream release can be adopted by a version bump.
// v0.6.1 (the only version the module proxy serves) panics on a wrong
// dimension and on a re-added key, crashes on search-after-delete and
// during concurrent writes, keeps the caller's slice and returns unsorted
// results; the adapter validates every input, copies vectors, serializes
// access, keeps deletes as its own tombstones, sorts results and turns any
// upstream panic into [ErrUpstream].
type CoderHNSW struct {
	mu      sync.Mutex
	g       *hnsw.Graph[uint64]
	dim     int
	metric  Metric
	dist    func(a, b []float32) float32
	efC     int
	ids     map[uint64]bool // id -> deleted
	deleted int
	closed  bool
}

// NewCoderHNSW returns an empty coder/hnsw graph with opts' M, metric,
// seed, and efConstruction as its build-time EfSearch (it has no separate
// efConstruction).
func NewCoderHNSW(dim int, opts *Options) (*CoderHNSW, error) {
	o, err := resolve(dim, opts)
	if err != nil {
		return nil, err
	}
	g := hnsw.NewGraph[uint64]()
	g.M = o.M
	g.Ml = 1 / float64(o.M)
	g.Rng = rand.New(rand.NewSource(int64(o.Seed)))
	d := distFunc(o.Metric)
	g.Distance = d
	return &CoderHNSW{g: g, dim: dim, metric: o.Metric, dist: d, efC: o.EfConstruction, ids: map[uint64]bool{}}, nil
}

// guard runs fn, turning an upstream panic into an error.
func guard(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrUpstream, r)
		}
	}()
	fn()
	return nil
}

func (c *CoderHNSW) Add(ctx context.Context, id uint64, vec []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := prepare(vec, c.dim, c.metric)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.ids[id]; ok {
		// Upstream would replace (or panic); a deleted id's node is still
		// in its graph, so it cannot come back either.
		return fmt.Errorf("%w: %d", ErrExists, id)
	}
	v = slices.Clone(v)
	c.g.EfSearch = c.efC
	if err := guard(func() { c.g.Add(hnsw.MakeNode(id, v)) }); err != nil {
		return err
	}
	c.ids[id] = false
	return nil
}

// Delete tombstones id in the adapter (upstream's Delete corrupts its graph).
func (c *CoderHNSW) Delete(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if del, ok := c.ids[id]; !ok || del {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	c.ids[id] = true
	c.deleted++
	return nil
}

// Search asks upstream for max(ef, k) nodes (plus the tombstones' count),
// drops tombstones and filtered ids, and returns the k nearest, sorted.
func (c *CoderHNSW) Search(ctx context.Context, q []float32, k int, opts *SearchOptions) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if err := checkK(k, o.Ef); err != nil {
		return nil, err
	}
	q, err := prepare(q, c.dim, c.metric)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if len(c.ids) == c.deleted {
		return nil, nil
	}
	ef := o.Ef
	if ef == 0 {
		ef = max(DefaultEfSearch, k)
	}
	c.g.EfSearch = ef
	var nodes []hnsw.Node[uint64]
	if err := guard(func() { nodes = c.g.Search(q, min(ef+c.deleted, len(c.ids))) }); err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(nodes))
	for _, n := range nodes {
		if c.ids[n.Key] || (o.Filter != nil && !o.Filter(n.Key)) {
			continue
		}
		out = append(out, Result{ID: n.Key, Distance: c.dist(q, n.Value)})
	}
	slices.SortFunc(out, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(k, len(out))], nil
}

func (c *CoderHNSW) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids) - c.deleted
}

func (c *CoderHNSW) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed, c.g, c.ids = true, nil, nil
	return nil
}

var _ Index = (*CoderHNSW)(nil)
