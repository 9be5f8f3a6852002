// Package coderhnsw adapts github.com/coder/hnsw to [index.Index], so that
// `rgunit bench ann` can show the gap to our own HNSW, and a fixed upstream
// release can be adopted by a version bump. It is bench code: the product
// never builds one.
package coderhnsw

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"

	"github.com/coder/hnsw"

	"rgunit/index"
)

// ErrUpstream: github.com/coder/hnsw panicked; the adapter turned the
// panic into this error.
var ErrUpstream = errors.New("coderhnsw: coder/hnsw failed")

// Index is github.com/coder/hnsw behind [index.Index]. v0.6.1 (the only version the module proxy serves) panics on a wrong
// dimension and on a re-added key, crashes on search-after-delete and
// during concurrent writes, keeps the caller's slice and returns unsorted
// results; the adapter validates every input, copies vectors, serializes
// access, keeps deletes as its own tombstones, sorts results and turns any
// upstream panic into [ErrUpstream].
type Index struct {
	mu      sync.Mutex
	g       *hnsw.Graph[uint64]
	dim     int
	metric  index.Metric
	dist    func(a, b []float32) float32
	efC     int
	ids     map[uint64]bool // id -> deleted
	deleted int
	closed  bool
}

// New returns an empty coder/hnsw graph with opts' M, metric, seed, and
// efConstruction as its build-time EfSearch (it has no separate
// efConstruction).
func New(dim int, opts *index.Options) (*Index, error) {
	o, err := index.Resolve(dim, opts)
	if err != nil {
		return nil, err
	}
	g := hnsw.NewGraph[uint64]()
	g.M = o.M
	g.Ml = 1 / float64(o.M)
	g.Rng = rand.New(rand.NewSource(int64(o.Seed)))
	d := o.Metric.Distance()
	g.Distance = d
	return &Index{g: g, dim: dim, metric: o.Metric, dist: d, efC: o.EfConstruction, ids: map[uint64]bool{}}, nil
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

func (c *Index) Add(ctx context.Context, id uint64, vec []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := index.Prepare(vec, c.dim, c.metric)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return index.ErrClosed
	}
	if _, ok := c.ids[id]; ok {
		// Upstream would replace (or panic); a deleted id's node is still
		// in its graph, so it cannot come back either.
		return fmt.Errorf("%w: %d", index.ErrExists, id)
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
func (c *Index) Delete(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return index.ErrClosed
	}
	if del, ok := c.ids[id]; !ok || del {
		return fmt.Errorf("%w: %d", index.ErrNotFound, id)
	}
	c.ids[id] = true
	c.deleted++
	return nil
}

// Search asks upstream for max(ef, k) nodes (plus the tombstones' count),
// drops tombstones and filtered ids, and returns the k nearest, sorted.
func (c *Index) Search(ctx context.Context, q []float32, k int, opts *index.SearchOptions) ([]index.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o index.SearchOptions
	if opts != nil {
		o = *opts
	}
	if err := index.CheckK(k, o.Ef); err != nil {
		return nil, err
	}
	q, err := index.Prepare(q, c.dim, c.metric)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, index.ErrClosed
	}
	if len(c.ids) == c.deleted {
		return nil, nil
	}
	ef := o.Ef
	if ef == 0 {
		ef = max(index.DefaultEfSearch, k)
	}
	c.g.EfSearch = ef
	var nodes []hnsw.Node[uint64]
	if err := guard(func() { nodes = c.g.Search(q, min(ef+c.deleted, len(c.ids))) }); err != nil {
		return nil, err
	}
	out := make([]index.Result, 0, len(nodes))
	for _, n := range nodes {
		if c.ids[n.Key] || (o.Filter != nil && !o.Filter(n.Key)) {
			continue
		}
		out = append(out, index.Result{ID: n.Key, Distance: c.dist(q, n.Value)})
	}
	slices.SortFunc(out, func(a, b index.Result) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(k, len(out))], nil
}

func (c *Index) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids) - c.deleted
}

func (c *Index) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed, c.g, c.ids = true, nil, nil
	return nil
}

var _ index.Index = (*Index)(nil)
