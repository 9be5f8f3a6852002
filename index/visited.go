package index

// visited is a set of internal ids cleared in O(1) by bumping a generation.
// Marks are 16 bits (as hnswlib's): half the cache footprint of 32, for a
// full clear once in 65,535 searches.
type visited struct {
	gen   uint16
	marks []uint16
}

// reset prepares the set for n ids.
func (v *visited) reset(n int) {
	if len(v.marks) < n {
		v.marks = append(v.marks, make([]uint16, n-len(v.marks)+n/4)...)
	}
	v.gen++
	if v.gen == 0 { // wrapped: clear for real
		clear(v.marks)
		v.gen = 1
	}
}

// visit marks id and reports whether it was unmarked.
func (v *visited) visit(id uint32) bool {
	if v.marks[id] == v.gen {
		return false
	}
	v.marks[id] = v.gen
	return true
}

// scratch is per-search working memory, pooled.
type scratch struct {
	vis   visited
	cand  heap // candidates, nearest on top
	res   heap // results, negated distances: furthest on top
	nodes []node
	ids   []uint32 // a neighbour list being walked
	q, nq probe    // the query; a node's vector (inserts)
	exact []float32
	dists []float32 // distances to ids
}
