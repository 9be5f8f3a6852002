package index

// node is a graph node with its distance to the query.
type node struct {
	d  float32
	id uint32
}

// minHeap pops the nearest node first (the candidate queue).
type minHeap []node

func (h *minHeap) push(n node) {
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

func (h *minHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	down(s, 0, func(a, b float32) bool { return a < b })
	*h = s
	return top
}

// maxHeap keeps the furthest node on top (the bounded result set).
type maxHeap []node

func (h *maxHeap) push(n node) {
	*h = append(*h, n)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d >= s[i].d {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *maxHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	down(s, 0, func(a, b float32) bool { return a > b })
	*h = s
	return top
}

func down(s []node, i int, before func(a, b float32) bool) {
	n := len(s)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && before(s[r].d, s[l].d) {
			c = r
		}
		if !before(s[c].d, s[i].d) {
			return
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
}

// resultHeap is a max-heap of results with their external ids (exact scan).
type resultHeap []struct {
	node
	ext uint64
}

func (h *resultHeap) push(n node, ext uint64) {
	*h = append(*h, struct {
		node
		ext uint64
	}{n, ext})
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d >= s[i].d {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h resultHeap) replaceTop(n node, ext uint64) {
	h[0].node, h[0].ext = n, ext
	i, m := 0, len(h)
	for {
		l := 2*i + 1
		if l >= m {
			return
		}
		c := l
		if r := l + 1; r < m && h[r].d > h[l].d {
			c = r
		}
		if h[c].d <= h[i].d {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
