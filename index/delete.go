package index

import (
	"context"
	"fmt"
	"slices"
)

// Delete tombstones id and repairs the lists that pointed to it: searches
// walk through the tombstone but never return it, and every live neighbour
// of the deleted node gets its list rebuilt, with the heuristic, from its
// other neighbours and the deleted node's.
func (h *HNSW) Delete(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	h.idsMu.Lock()
	in, ok := h.ids[id]
	if ok {
		delete(h.ids, id)
	}
	h.idsMu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	(*h.statep(in)) = stateDeleted
	h.live.Add(-1)
	s, _ := h.inserts.Get().(*insertScratch)
	if s == nil {
		s = new(insertScratch)
	}
	s.touched = append(s.touched[:0], in)
	h.repair(in, s)
	h.noteDirty(s.touched)
	h.inserts.Put(s)
	return nil
}

// repair rewrites, on every layer of x, the lists of x's live neighbours
// that point back to x (mu held exclusively). Lists that point to x from
// nodes x does not list keep the edge: the tombstone stays walkable.
func (h *HNSW) repair(x uint32, s *insertScratch) {
	var nbs, theirs []uint32
	for l := int(h.levels[x]); l >= 0; l-- {
		nbs = h.readList(x, l, nbs[:0])
		for _, n := range nbs {
			if (*h.statep(n)) == stateDeleted {
				continue
			}
			theirs = h.readList(n, l, theirs[:0])
			if !slices.Contains(theirs, x) {
				continue
			}
			nv := h.nodeProbe(n, &s.np)
			s.shrink = s.shrink[:0]
			add := func(c uint32) {
				if c == n || c == x || (*h.statep(c)) == stateDeleted ||
					slices.ContainsFunc(s.shrink, func(e node) bool { return e.id == c }) {
					return
				}
				s.shrink = append(s.shrink, node{d: h.distTo(nv, c), id: c})
			}
			for _, c := range theirs {
				add(c)
			}
			for _, c := range nbs {
				add(c)
			}
			h.shrinkTo(n, l, h.mmax(l), s)
			s.touched = append(s.touched, n)
		}
	}
}
