package index

import (
	"context"
	"errors"
	"math"
	"testing"
)

// FuzzDecodeRecords: any bytes as a vectors or links record give an error
// wrapping ErrCorrupt or a node that satisfies the graph's invariants; and
// a record that decodes re-encodes to the same bytes.
func FuzzDecodeRecords(f *testing.F) {
	h, _ := NewHNSW(2, &Options{M: 2})
	data := [][]float32{{0, 0}, {1, 0}, {0, 1}, {1, 1}}
	for i, v := range data {
		h.Add(context.Background(), uint64(i+1), v)
	}
	f.Add(h.encodeVector(1, nil), h.encodeLinks(1, nil))
	f.Add(h.encodeVector(0, nil), h.encodeLinks(0, nil))
	f.Add([]byte{}, []byte{1, 0, 0})
	n := uint32(len(data))
	f.Fuzz(func(t *testing.T, vrec, lrec []byte) {
		g, _ := NewHNSW(2, &Options{M: 2})
		g.resize(int(n))
		for i := range n { // nodes 1..3 as stored; node 0 from the fuzzer
			if i > 0 {
				if err := g.decodeVector(i, h.encodeVector(i, nil)); err != nil {
					t.Fatal(err)
				}
				if g.levels[i] > 0 {
					g.upper[i] = &make([]uint32, int(g.levels[i])*(g.m+1))[0]
				}
			}
		}
		g.n.Store(n)
		if err := g.decodeVector(0, vrec); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		if got := g.encodeVector(0, nil); string(got) != string(vrec) {
			t.Fatalf("vector record does not round-trip")
		}
		for _, x := range g.vec(0) {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatal("non-finite component accepted")
			}
		}
		if g.levels[0] > 0 {
			g.upper[0] = &make([]uint32, int(g.levels[0])*(g.m+1))[0]
		}
		if err := g.decodeLinks(0, lrec, n); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		for l := 0; l <= int(g.levels[0]); l++ {
			ns := g.readList(0, l, nil)
			if len(ns) > g.mmax(l) {
				t.Fatalf("layer %d: %d neighbours", l, len(ns))
			}
			for _, x := range ns {
				if x == 0 || x >= n || int(g.levels[x]) < l {
					t.Fatalf("layer %d: bad neighbour %d", l, x)
				}
			}
		}
		if got := g.encodeLinks(0, nil); string(got) != string(lrec) {
			t.Fatalf("links record does not round-trip: %v vs %v", got, lrec)
		}
	})
}
