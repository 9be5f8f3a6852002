package index

import "sync/atomic"

// Report is what [HNSW.Check] finds.
type Report struct {
	Nodes       int      `json:"nodes"`       // internal ids, tombstones included
	Live        int      `json:"live"`        // ids searches can return
	Deleted     int      `json:"deleted"`     // tombstones
	Unreachable []uint64 `json:"unreachable"` // live ids no search can reach from the entry point
}

// Check walks layer 0 from the entry point (through tombstones) and reports
// the live ids it cannot reach. A consistent index reports none.
func (h *HNSW) Check() Report {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var r Report
	for _, i := range h.unreachable() {
		r.Unreachable = append(r.Unreachable, h.ext[i])
	}
	r.Nodes = int(h.n.Load())
	for i := range r.Nodes {
		switch atomic.LoadUint32(&h.state[i]) {
		case stateLive:
			r.Live++
		case stateDeleted:
			r.Deleted++
		}
	}
	return r
}

// unreachable returns the internal ids that are not deleted and that a walk
// of layer 0 from the entry point does not reach (mu held).
func (h *HNSW) unreachable() []uint32 {
	n := int(h.n.Load())
	ep, top := h.entry()
	seen := make([]bool, n)
	if top >= 0 {
		stack := []uint32{ep}
		seen[ep] = true
		var ns []uint32
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			ns = h.readList(x, 0, ns[:0])
			for _, y := range ns {
				if !seen[y] {
					seen[y] = true
					stack = append(stack, y)
				}
			}
		}
	}
	var out []uint32
	for i := range n {
		if !seen[i] && atomic.LoadUint32(&h.state[i]) != stateDeleted {
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
		if other, ok := h.ids[h.ext[in]]; ok && other != in {
			h.state[in] = stateDeleted
			touched = append(touched, in)
			continue
		}
		for l := 0; l <= int(h.levels[in]); l++ {
			h.writeList(in, l, nil)
		}
		wasLive := h.state[in] == stateLive
		h.state[in] = stateInserting
		s.touched = append(s.touched[:0], in)
		h.insert(in, int(h.levels[in]), s)
		h.state[in] = stateLive
		if !wasLive {
			h.ids[h.ext[in]] = in
			h.live.Add(1)
		}
		touched = append(touched, s.touched...)
	}
	return touched
}
