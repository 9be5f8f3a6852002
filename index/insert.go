package index

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// insertScratch is one insert's working memory, pooled.
type insertScratch struct {
	sc         scratch
	cands, sel []node
	ids        []uint32
	// link's buffers: it runs while insert still iterates sel.
	shrink, shrinkSel []node
	shrinkIDs         []uint32
	touched           []uint32 // nodes whose lists changed (for persistence)
	np, cp            probe    // a linked node's vector; a candidate's (the heuristic)
}

// Add inserts vec under id. It may run concurrently with other Adds and
// with searches. Re-adding a deleted id is allowed.
func (h *HNSW) Add(ctx context.Context, id uint64, vec []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := Prepare(vec, h.dim, h.opts.Metric)
	if err != nil {
		return err
	}
	if err := h.fit([][]float32{v}); err != nil {
		return err
	}
	return h.add(id, v)
}

// add inserts a prepared vector.
func (h *HNSW) add(id uint64, v []float32) error {
	for {
		h.mu.RLock()
		if h.closed {
			h.mu.RUnlock()
			return ErrClosed
		}
		in, err := h.reserve(id)
		if err == errFull {
			need := h.capacity() + 1
			h.mu.RUnlock()
			h.grow(need)
			continue
		}
		if err != nil {
			h.mu.RUnlock()
			return err
		}
		h.place(in, id, v)
		h.mu.RUnlock()
		return nil
	}
}

var errFull = fmt.Errorf("index: capacity reached")

// reserve takes the next internal id for id (mu held shared).
func (h *HNSW) reserve(id uint64) (uint32, error) {
	h.idsMu.Lock()
	defer h.idsMu.Unlock()
	if _, ok := h.ids[id]; ok {
		return 0, fmt.Errorf("%w: %d", ErrExists, id)
	}
	n := h.n.Load()
	if n >= math.MaxUint32-1 {
		return 0, fmt.Errorf("%w: index is full", ErrOptions)
	}
	if int(n) >= h.capacity() {
		return 0, errFull
	}
	h.ids[id] = n
	h.n.Store(n + 1)
	return n, nil
}

// place writes node in's data and links it into the graph (mu held shared).
func (h *HNSW) place(in uint32, id uint64, v []float32) {
	level := h.levelOf(in)
	if h.q != nil {
		h.q.encode(v, h.codes(in))
	}
	switch {
	case h.q == nil || !h.onDisk:
		copy(h.vec(in), v)
	default: // kept until the stored index commits it
		h.pendMu.Lock()
		if h.pending == nil {
			h.pending = map[uint32][]float32{}
		}
		h.pending[in] = slices.Clone(v)
		h.pendMu.Unlock()
	}
	h.setExt(in, id)
	h.levels[in] = uint8(level)
	if level > 0 {
		h.upper[in] = &make([]uint32, level*(h.m+1))[0]
	}
	s, _ := h.inserts.Get().(*insertScratch)
	if s == nil {
		s = new(insertScratch)
	}
	s.touched = append(s.touched[:0], in)
	h.insert(in, level, h.probeFor(v, &s.sc.nq), s)
	atomic.StoreUint32(h.statep(in), stateLive)
	h.live.Add(1)
	h.noteDirty(s.touched)
	h.inserts.Put(s)
}

func (h *HNSW) noteDirty(ids []uint32) {
	if !h.track {
		return
	}
	h.trackMu.Lock()
	h.dirty = append(h.dirty, ids...)
	h.trackMu.Unlock()
}

// AddBatch inserts vecs[i] under ids[i] on workers goroutines (0: all
// cores). Every vector and id is checked before anything is inserted, so a
// bad batch changes nothing. Cancelling ctx stops it between inserts; the
// ids inserted so far stay.
func (h *HNSW) AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error {
	prepared, err := h.checkBatch(ids, vecs)
	if err != nil {
		return err
	}
	h.grow(int(h.n.Load()) + len(ids))
	if err := h.fit(prepared); err != nil {
		return err
	}
	return h.addPrepared(ctx, ids, prepared, workers)
}

// checkBatch validates a batch (dimensions, finite components, ids new and
// distinct) and returns the vectors in the metric's stored form.
func (h *HNSW) checkBatch(ids []uint64, vecs [][]float32) ([][]float32, error) {
	if len(ids) != len(vecs) {
		return nil, fmt.Errorf("%w: %d ids for %d vectors", ErrOptions, len(ids), len(vecs))
	}
	prepared := make([][]float32, len(vecs))
	seen := make(map[uint64]struct{}, len(ids))
	h.idsMu.Lock()
	defer h.idsMu.Unlock()
	for i, v := range vecs {
		p, err := Prepare(v, h.dim, h.opts.Metric)
		if err == nil {
			if _, dup := seen[ids[i]]; dup {
				err = fmt.Errorf("%w: %d appears twice in the batch", ErrExists, ids[i])
			} else if _, dup := h.ids[ids[i]]; dup {
				err = fmt.Errorf("%w: %d", ErrExists, ids[i])
			}
		}
		if err != nil {
			return nil, fmt.Errorf("vector %d (id %d): %w", i, ids[i], err)
		}
		seen[ids[i]] = struct{}{}
		prepared[i] = p
	}
	return prepared, nil
}

// addPrepared inserts checked vectors on workers goroutines.
func (h *HNSW) addPrepared(ctx context.Context, ids []uint64, prepared [][]float32, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(ids)))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				if err := h.add(ids[i], prepared[i]); err != nil {
					errs[w] = fmt.Errorf("vector %d (id %d): %w", i, ids[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// insert links node in, whose vector q is, into the graph (mu held
// shared).
func (h *HNSW) insert(in uint32, level int, q *probe, s *insertScratch) {
	ep, top := h.entry()
	if level > top {
		// Raising the top level: hold entryMu for the whole insert so that
		// the entry point changes only to a fully linked node.
		h.entryMu.Lock()
		defer h.entryMu.Unlock()
		if ep, top = h.entry(); top < 0 {
			h.setEntry(in, level)
			return
		}
		if level > top {
			defer h.setEntry(in, level)
		}
	}
	cur := node{d: h.distTo(q, ep), id: ep}
	for l := top; l > level; l-- {
		cur = h.greedy(q, cur, l, &s.sc)
	}
	eps := append(s.cands[:0], cur)
	for l := min(level, top); l >= 0; l-- {
		h.searchLayer(q, eps, h.opts.EfConstruction, l, &s.sc, admitBuild, nil)
		s.cands = drainSorted(&s.sc.res, s.cands[:0])
		s.cands = slices.DeleteFunc(s.cands, func(n node) bool { return n.id == in }) // relink may meet itself
		s.sel = h.selectNeighbors(s.cands, h.m, s.sel[:0], &s.cp)
		h.setOwn(in, l, q, s)
		mmax := h.mmax(l)
		for _, n := range s.sel {
			h.link(n.id, in, n.d, l, mmax, s)
		}
		eps = s.cands
	}
}

func (h *HNSW) mmax(l int) int {
	if l == 0 {
		return h.m0
	}
	return h.m
}

// setOwn writes s.sel as node in's neighbours on layer l. A parallel insert
// may already have linked itself to in there; then both sets are merged
// with the heuristic.
func (h *HNSW) setOwn(in uint32, l int, q *probe, s *insertScratch) {
	h.lockOf(in).Lock()
	defer h.lockOf(in).Unlock()
	s.shrinkIDs = h.readList(in, l, s.shrinkIDs[:0])
	if len(s.shrinkIDs) == 0 {
		s.ids = s.ids[:0]
		for _, n := range s.sel {
			s.ids = append(s.ids, n.id)
		}
		h.writeList(in, l, s.ids)
		return
	}
	s.shrink = append(s.shrink[:0], s.sel...)
	for _, x := range s.shrinkIDs {
		if !slices.ContainsFunc(s.sel, func(n node) bool { return n.id == x }) {
			s.shrink = append(s.shrink, node{d: h.distTo(q, x), id: x})
		}
	}
	h.shrinkTo(in, l, h.mmax(l), s)
}

// link adds in to n's neighbours on layer l, shrinking them with the
// heuristic when they overflow. It allocates nothing once the scratch
// buffers have grown.
func (h *HNSW) link(n, in uint32, d float32, l, mmax int, s *insertScratch) {
	h.lockOf(n).Lock()
	defer h.lockOf(n).Unlock()
	slots := h.slots(n, l)
	c := int(atomic.LoadUint32(&slots[0]))
	for j := 1; j <= c; j++ {
		if atomic.LoadUint32(&slots[j]) == in {
			return
		}
	}
	s.touched = append(s.touched, n)
	if c < mmax {
		atomic.StoreUint32(&slots[c+1], in)
		atomic.StoreUint32(&slots[0], uint32(c+1))
		return
	}
	s.shrink = append(s.shrink[:0], node{d: d, id: in})
	nv := h.nodeProbe(n, &s.np)
	for j := 1; j <= c; j++ {
		x := atomic.LoadUint32(&slots[j])
		s.shrink = append(s.shrink, node{d: h.distTo(nv, x), id: x})
	}
	h.shrinkTo(n, l, mmax, s)
}

// shrinkTo sorts s.shrink (candidates with their distances to n), keeps at
// most mmax with the heuristic and writes them as n's list (lock held).
func (h *HNSW) shrinkTo(n uint32, l, mmax int, s *insertScratch) {
	slices.SortFunc(s.shrink, cmpNode)
	s.shrinkSel = h.selectNeighbors(s.shrink, mmax, s.shrinkSel[:0], &s.cp)
	s.shrinkIDs = s.shrinkIDs[:0]
	for _, x := range s.shrinkSel {
		s.shrinkIDs = append(s.shrinkIDs, x.id)
	}
	h.writeList(n, l, s.shrinkIDs)
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
func (h *HNSW) selectNeighbors(cands []node, m int, out []node, p *probe) []node {
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		var cv *probe
		good := true
		for _, r := range out {
			if cv == nil {
				cv = h.nodeProbe(c.id, p)
			}
			if h.distTo(cv, r.id) < c.d {
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
