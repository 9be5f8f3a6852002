package index

// node is a graph node (or a scan position) with its distance to the query.
type node struct {
	d  float32
	id uint32
}

// heap is a binary min-heap on d. The candidate queue uses it as it is; the
// bounded result sets store negated distances, so that their top is the
// furthest result.
type heap []node

func (h *heap) push(n node) {
	*h = append(*h, n)
	s := *h
	i := len(s) - 1
	for i > 0 { // move the hole up, then place n
		p := (i - 1) / 2
		if s[p].d <= n.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = n
}

func (h *heap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	*h = s[:last]
	if last > 0 {
		siftDown(s[:last], s[last])
	}
	return top
}

// siftDown places n at the top of s (whose top is being replaced) and
// restores the heap order, moving a hole down rather than swapping.
func siftDown(s []node, n node) {
	i := 0
	for {
		c := 2*i + 1
		if c >= len(s) {
			break
		}
		if r := c + 1; r < len(s) && s[r].d < s[c].d {
			c = r
		}
		if n.d <= s[c].d {
			break
		}
		s[i] = s[c]
		i = c
	}
	s[i] = n
}

// pushBounded adds n (a real distance) to a result set of negated distances
// holding at most k: when full, n replaces the furthest if it is nearer (one
// sift down instead of a push and a pop).
func (h *heap) pushBounded(n node, k int) {
	neg := node{d: -n.d, id: n.id}
	if len(*h) < k {
		h.push(neg)
		return
	}
	if s := *h; len(s) > 0 && neg.d > s[0].d {
		siftDown(s, neg)
	}
}

// worst is the largest real distance in a result set of negated distances.
func (h heap) worst() float32 { return -h[0].d }

// drainSorted empties a result set of negated distances into out, nearest
// first, with real distances.
func drainSorted(res *heap, out []node) []node {
	n := len(*res)
	if cap(out) < n {
		out = make([]node, n)
	}
	out = out[:n]
	for i := n - 1; i >= 0; i-- {
		x := res.pop()
		out[i] = node{d: -x.d, id: x.id}
	}
	return out
}
