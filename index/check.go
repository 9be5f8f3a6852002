package index

import (
	"slices"
	"sync/atomic"
)

// Report is what [HNSW.Check] finds.
type Report struct {
	Nodes       int      `json:"nodes"`       // internal ids, tombstones included
	Live        int      `json:"live"`        // ids searches can return
	Deleted     int      `json:"deleted"`     // tombstones
	Unreachable []uint64 `json:"unreachable"` // live ids no search can reach from the entry point
}

// Check walks the graph from the entry point as searches do (top layer
// down, through tombstones) and reports the live ids no search can reach. A
// consistent index reports none.
func (h *HNSW) Check() Report {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var r Report
	for _, i := range h.unreachable() {
		r.Unreachable = append(r.Unreachable, h.extOf(i))
	}
	r.Nodes = int(h.n.Load())
	for i := range r.Nodes {
		switch atomic.LoadUint32(h.statep(uint32(i))) {
		case stateLive:
			r.Live++
		case stateDeleted:
			r.Deleted++
		}
	}
	return r
}

// unreachable returns the internal ids that are not deleted and that no
// search can reach (mu held). A search descends from the entry point, so the
// reachable set is built top-down: the nodes reached on layer l+1 start a
// walk of layer l (the walks pass through tombstones).
func (h *HNSW) unreachable() []uint32 {
	n := int(h.n.Load())
	ep, top := h.entry()
	seen := make([]bool, n)
	if top >= 0 {
		seen[ep] = true
		reached := []uint32{ep}
		var ns []uint32
		for l := top; l >= 0; l-- {
			stack := slices.Clone(reached)
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				ns = h.readList(x, l, ns[:0])
				for _, y := range ns {
					if !seen[y] {
						seen[y] = true
						stack = append(stack, y)
						reached = append(reached, y)
					}
				}
			}
		}
	}
	var out []uint32
	for i := range n {
		if !seen[i] && atomic.LoadUint32(h.statep(uint32(i))) != stateDeleted {
			out = append(out, uint32(i))
		}
	}
	return out
}

// relink links the given nodes (not deleted, not the entry point) into the
// graph again, as if inserted anew: their lists are cleared and rebuilt and
// their new neighbours link back (mu held exclusively). A node whose id is
// live elsewhere is tombstoned instead. It returns the internal ids whose
// records changed.
func (h *HNSW) relink(nodes []uint32) []uint32 {
	s := new(insertScratch)
	var touched []uint32
	for _, in := range nodes {
		if other, ok := h.ids[h.extOf(in)]; ok && other != in {
			(*h.statep(in)) = stateDeleted
			touched = append(touched, in)
			continue
		}
		for l := 0; l <= int(h.levels[in]); l++ {
			h.writeList(in, l, nil)
		}
		wasLive := (*h.statep(in)) == stateLive
		(*h.statep(in)) = stateInserting
		s.touched = append(s.touched[:0], in)
		h.insert(in, int(h.levels[in]), h.nodeProbe(in, &s.sc.nq), s)
		h.forceInEdge(in, s)
		(*h.statep(in)) = stateLive
		if !wasLive {
			h.ids[h.extOf(in)] = in
			h.live.Add(1)
		}
		touched = append(touched, s.touched...)
	}
	return touched
}

// forceInEdge makes sure some neighbour of in lists in on layer 0: the
// heuristic may have pruned every back-link (around hubs of high-dimensional
// data it keeps a single neighbour), leaving in unreachable. in's own list is
// first topped up to 2M with the nearest candidates the heuristic pruned
// (s.cands, left by insert), then in is appended to the first of them with a
// free slot, or else put in place of the furthest entry of the nearest one.
func (h *HNSW) forceInEdge(in uint32, s *insertScratch) {
	own := h.readList(in, 0, nil)
	for _, c := range s.cands {
		if len(own) >= h.m0 {
			break
		}
		if c.id != in && !slices.Contains(own, c.id) && (*h.statep(c.id)) != stateDeleted {
			own = append(own, c.id)
		}
	}
	h.writeList(in, 0, own)
	if len(own) == 0 {
		return
	}
	for _, n := range own {
		if slices.Contains(h.readList(n, 0, nil), in) {
			return
		}
	}
	for _, n := range own {
		if ns := h.readList(n, 0, nil); len(ns) < h.m0 {
			h.writeList(n, 0, append(ns, in))
			s.touched = append(s.touched, n)
			return
		}
	}
	n := own[0]
	ns := h.readList(n, 0, nil)
	nv := h.nodeProbe(n, &s.np)
	far := 0
	for j, x := range ns {
		if h.distTo(nv, x) > h.distTo(nv, ns[far]) {
			far = j
		}
	}
	ns[far] = in
	h.writeList(n, 0, ns)
	s.touched = append(s.touched, n)
}

// EnsureReachable links again every live node that a walk of layer 0 from
// the entry point cannot reach (the heuristic can prune all of a node's
// in-edges, most often on data of high intrinsic dimension), and returns how
// many it relinked. A stored index runs it before each commit, so what is on
// disk is fully reachable and a reopen has nothing to repair.
func (h *HNSW) EnsureReachable() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ensureReachable())
}

// ensureReachable is EnsureReachable with mu held exclusively; a stored
// index records the changed nodes as dirty. It returns the nodes it relinked.
func (h *HNSW) ensureReachable() []uint32 {
	var all []uint32
	for round := 0; round < 4; round++ {
		bad := h.unreachable()
		if len(bad) == 0 {
			break
		}
		all = append(all, bad...)
		h.noteDirty(h.relink(bad))
	}
	return all
}
