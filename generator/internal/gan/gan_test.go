package gan

import (
	"math/rand/v2"
	"slices"
	"testing"

	"rgunit/embed"
)

// TestMasks: the kept-block mask keeps the unchanged attributes' blocks
// and the free dimensions; with StyleSwap 1 the swap mask is the same.
func TestMasks(t *testing.T) {
	s := embed.Schema{Attrs: []string{"Male"}, Dim: 1, Free: 2}
	in := Inputs{SwapT: NewTensor(1, 3), KeepT: NewTensor(1, 3)}
	in.loadMasks(Draw{Schema: s, StyleSwap: 1}, rand.New(rand.NewPCG(1, 1)), Batch{Src: [][]int8{{1}}, Tgt: [][]int8{{-1}}})
	if keep := in.KeepT.Data().([]float32); !slices.Equal(keep, []float32{0, 1, 1}) {
		t.Fatalf("keep mask %v", keep)
	}
	if swap := in.SwapT.Data().([]float32); !slices.Equal(swap, []float32{0, 1, 1}) {
		t.Fatalf("swap mask %v", swap)
	}
}

func TestBodyAndRows(t *testing.T) {
	if _, err := FlatCodes([][]float32{{1, 2}, {3}}, 2); err == nil {
		t.Fatal("a short code accepted")
	}
	flat, _ := FlatCodes([][]float32{{1, 2}, {3, 4}}, 2)
	if r := Rows(flat, 2, 2); !slices.Equal(r[1], []float32{3, 4}) {
		t.Fatalf("rows %v", r)
	}
	if _, _, err := ReadBody([]byte{1, 2, 3}, nil); err == nil {
		t.Fatal("a damaged body read")
	}
}
