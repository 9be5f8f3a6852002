package vecgen

import "testing"

// TestSets: the same seed gives the same data, clustered points sit near
// their centres, and Recall counts hits among the first k.
func TestSets(t *testing.T) {
	t.Parallel()
	a, cents := Clustered(200, 8, 5, 0.1, 1)
	b, _ := Clustered(200, 8, 5, 0.1, 1)
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatal("Clustered is not a function of its seed")
			}
		}
	}
	for _, v := range append(a, ClusteredQueries(50, cents, 0.1, 2)...) {
		best := 1e9
		for _, c := range cents {
			var d float64
			for j := range v {
				d += float64((v[j] - c[j]) * (v[j] - c[j]))
			}
			best = min(best, d)
		}
		if best > 8*0.1*0.1*9 { // 3 sigma per coordinate
			t.Fatalf("a point %v from every centre", best)
		}
	}
	if g := Gaussian(10, 4, 3); len(g) != 10 || len(g[0]) != 4 {
		t.Fatal("Gaussian shape")
	}
	got := [][]uint64{{1, 2, 3}, {4, 9, 9}}
	truth := [][]uint64{{1, 2, 3}, {4, 5, 6}}
	self := func(id uint64) uint64 { return id }
	if r := Recall(got, self, truth, 3); r < 0.66 || r > 0.67 {
		t.Fatalf("Recall %v, want 2/3", r)
	}
	if Recall(nil, self, nil, 10) != 0 {
		t.Fatal("Recall of nothing")
	}
}
