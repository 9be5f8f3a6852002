package index

import (
	"context"
	"slices"
	"sync/atomic"
	"unsafe"
)

// What a beam search may return (nodes it rejects are still walked).
const (
	admitLive   = iota // live nodes only (queries)
	admitBuild         // anything not deleted, inserts in flight included (construction)
	admitFilter        // live nodes the filter accepts
)

// greedy walks layer l from ep to a local minimum. It never steps onto a
// node whose insert is still running: its lower lists may be empty yet, and
// a beam search started there would find nothing.
func (h *HNSW) greedy(q *probe, ep node, l int, sc *scratch) node {
	for changed := true; changed; {
		changed = false
		sc.ids = h.readList(ep.id, l, sc.ids[:0])
		for _, nb := range sc.ids {
			prefetch(unsafe.Pointer(h.vecAddr(nb)), h.lines)
		}
		sc.dists = slices.Grow(sc.dists[:0], len(sc.ids))[:len(sc.ids)]
		h.distances(q, sc.ids, sc.dists)
		for j, nb := range sc.ids {
			if h.nodeState(nb) == stateInserting {
				continue
			}
			if d := sc.dists[j]; d < ep.d {
				ep, changed = node{d: d, id: nb}, true
			}
		}
	}
	return ep
}

// distances fills out with the distances from q to the nodes of ids: on an
// AVX2 CPU for squared L2 (and SQ8's cosine) in one kernel call for all of
// them (BenchmarkSearchHop in alternating runs: 4% faster per query in
// the beam search, 3% more in the greedy descent), else one by one.
func (h *HNSW) distances(q *probe, ids []uint32, out []float32) {
	if len(ids) == 0 {
		return
	}
	switch {
	case !hasAVX2:
	case h.q == nil && h.avxL2:
		l2GatherAVX2(&q.v[0], h.vecAddr(0), &ids[0], len(ids), 4*h.stride, h.dim, &out[0])
		return
	case h.q != nil && h.opts.Metric != InnerProduct:
		sq8L2GatherAVX2(&q.a[0], &h.q.Step[0], h.vecAddr(0), &ids[0], len(ids), 4*h.stride, h.dim, &out[0])
		if h.opts.Metric == Cosine {
			for j := range out[:len(ids)] {
				out[j] /= 2
			}
		}
		return
	}
	for j, i := range ids {
		out[j] = h.distTo(q, i)
	}
}

// admits reports whether node i may be returned in mode.
func (h *HNSW) admits(i uint32, mode int, filter func(uint64) bool) bool {
	st := atomic.LoadUint32(h.statep(i))
	switch mode {
	case admitBuild:
		return st != stateDeleted
	case admitFilter:
		return st == stateLive && filter(h.extOf(i))
	}
	return st == stateLive
}

// searchLayer is the ef-bounded beam search on one layer, with the standard
// stop rule: stop when the nearest unexpanded candidate is further than the
// furthest of ef results. The result is left in sc.res (at most ef nodes,
// negated distances).
func (h *HNSW) searchLayer(q *probe, eps []node, ef, l int, sc *scratch, mode int, filter func(uint64) bool) {
	sc.vis.reset(h.capacity())
	sc.cand, sc.res = sc.cand[:0], sc.res[:0]
	for _, e := range eps {
		if !sc.vis.visit(e.id) {
			continue
		}
		sc.cand.push(e)
		if h.admits(e.id, mode, filter) {
			sc.res.pushBounded(e, ef)
		}
	}
	for len(sc.cand) > 0 {
		c := sc.cand.pop()
		if len(sc.res) >= ef && c.d > sc.res.worst() {
			break
		}
		// Gather the unvisited neighbours and prefetch their vectors, so
		// that the cache misses overlap instead of stalling each distance
		// (a few in flight, or one ahead as hnswlib does, measured the same).
		s := h.slots(c.id, l)
		cnt := min(int(atomic.LoadUint32(&s[0])), len(s)-1)
		sc.ids = sc.ids[:0]
		for j := 1; j <= cnt; j++ {
			if nb := atomic.LoadUint32(&s[j]); sc.vis.visit(nb) {
				sc.ids = append(sc.ids, nb)
			}
		}
		for _, nb := range sc.ids {
			prefetch(unsafe.Pointer(h.vecAddr(nb)), h.lines)
		}
		sc.dists = slices.Grow(sc.dists[:0], len(sc.ids))[:len(sc.ids)]
		h.distances(q, sc.ids, sc.dists)
		for j, nb := range sc.ids {
			d := sc.dists[j]
			if len(sc.res) < ef || d < sc.res.worst() {
				sc.cand.push(node{d: d, id: nb})
				if h.admits(nb, mode, filter) {
					sc.res.pushBounded(node{d: d, id: nb}, ef)
				}
			}
		}
	}
}

// Search returns up to k nearest live ids, nearest first.
func (h *HNSW) Search(ctx context.Context, q []float32, k int, opts *SearchOptions) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if err := CheckK(k, o.Ef); err != nil {
		return nil, err
	}
	q, err := Prepare(q, h.dim, h.opts.Metric)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return nil, ErrClosed
	}
	ep, top := h.entry()
	if top < 0 || h.live.Load() == 0 {
		return nil, nil
	}
	ef := o.Ef
	if ef == 0 {
		ef = max(h.opts.EfSearch, k)
	}
	mode := admitLive
	if o.Filter != nil {
		mode = admitFilter
	}
	sc, _ := h.searches.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer h.searches.Put(sc)
	p := h.probeFor(q, &sc.q)
	if mode == admitFilter && h.selectivity(o.Filter)*float64(h.live.Load()) < float64(h.opts.ExactBelow) {
		h.scanFiltered(p, k, o.Filter, sc)
	} else {
		cur := node{d: h.distTo(p, ep), id: ep}
		for l := top; l > 0; l-- {
			cur = h.greedy(p, cur, l, sc)
		}
		sc.nodes = append(sc.nodes[:0], cur)
		h.searchLayer(p, sc.nodes, ef, 0, sc, mode, o.Filter)
	}
	if h.q != nil {
		if err := h.rerank(q, k, sc); err != nil {
			return nil, err
		}
	}
	for len(sc.res) > k {
		sc.res.pop()
	}
	sc.nodes = drainSorted(&sc.res, sc.nodes)
	out := make([]Result, len(sc.nodes))
	for i, n := range sc.nodes {
		out[i] = Result{ID: h.extOf(n.id), Distance: n.d}
	}
	return out, nil
}

// selectivity estimates the fraction of live nodes filter accepts from an
// even sample of up to 1024 nodes (all of them in a small index).
func (h *HNSW) selectivity(filter func(uint64) bool) float64 {
	n := int(h.n.Load())
	step := max(1, n/1024)
	seen, ok := 0, 0
	for i := 0; i < n; i += step {
		seen++
		if h.admits(uint32(i), admitFilter, filter) {
			ok++
		}
	}
	return float64(ok) / float64(max(seen, 1))
}

// scanFiltered leaves in sc.res the top-k (for SQ8, the candidates to
// re-rank) over the live nodes filter accepts: exact for a float index.
func (h *HNSW) scanFiltered(q *probe, k int, filter func(uint64) bool, sc *scratch) {
	sc.res = sc.res[:0]
	if h.q != nil {
		k = h.rerankCount(k, k)
	}
	n := int(h.n.Load())
	for i := range n {
		if !h.admits(uint32(i), admitFilter, filter) {
			continue
		}
		d := h.distTo(q, uint32(i))
		if len(sc.res) < k || d < sc.res.worst() {
			sc.res.pushBounded(node{d: d, id: uint32(i)}, k)
		}
	}
}

// rerankCount is how many of an SQ8 search's candidates are re-ranked.
func (h *HNSW) rerankCount(k, ef int) int {
	return min(max(sq8Rerank*k, sq8RerankMin), max(ef, k))
}

// rerank replaces the code-distance candidates in sc.res by the nearest
// rerankCount of them with their distances from q's float vector, read
// from raw or through floatsOf.
func (h *HNSW) rerank(q []float32, k int, sc *scratch) error {
	for len(sc.res) > h.rerankCount(k, len(sc.res)) {
		sc.res.pop()
	}
	sc.ids = sc.ids[:0]
	for _, n := range sc.res {
		sc.ids = append(sc.ids, n.id)
	}
	sc.exact = slices.Grow(sc.exact[:0], len(sc.ids))[:len(sc.ids)]
	if err := h.nodeFloats(sc.ids, func(j int, v []float32) { sc.exact[j] = h.dist(q, v) }); err != nil {
		return err
	}
	sc.res = sc.res[:0]
	for j, id := range sc.ids {
		sc.res.pushBounded(node{d: sc.exact[j], id: id}, k)
	}
	return nil
}
