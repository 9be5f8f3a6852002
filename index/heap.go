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
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d <= s[i].d {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *heap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= last {
			break
		}
		if r := c + 1; r < last && s[r].d < s[c].d {
			c = r
		}
		if s[i].d <= s[c].d {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// pushBounded adds n (a real distance) to a result set of negated distances
// holding at most k, dropping the furthest.
func (h *heap) pushBounded(n node, k int) {
	h.push(node{d: -n.d, id: n.id})
	if len(*h) > k {
		h.pop()
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
