package rg

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/nn"
)

// TestFusionShapes: for k = 1..5 the fused map has the content map's
// shape, and an untrained fusion returns the source's content map exactly
// (so RG-UNIT starts from GMM-UNIT's decoding); a wrong neighbour count is
// a build error.
func TestFusionShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c, side, n := tiny.ContentChannels(), tiny.Size/4, 2
	mk := func() *tensor.Dense {
		d := make([]float32, n*c*side*side)
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		return tensor.New(tensor.WithShape(n, c, side, side), tensor.WithBacking(d))
	}
	for k := 1; k <= 5; k++ {
		f, err := NewFusion(tiny, k, 3)
		if err != nil {
			t.Fatal(err)
		}
		b := nn.NewBuilder()
		b.Use(f.P)
		src := mk()
		var nbs []*G.Node
		for range k {
			nbs = append(nbs, b.P(mk()))
		}
		out := f.Build(b, b.P(src), nbs)
		if b.Err() != nil {
			t.Fatalf("k=%d: %v", k, b.Err())
		}
		m := G.NewTapeMachine(b.G)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		if !out.Shape().Eq(tensor.Shape{n, c, side, side}) {
			t.Fatalf("k=%d: shape %v", k, out.Shape())
		}
		got, want := out.Value().Data().([]float32), src.Data().([]float32)
		for i := range got {
			if d := got[i] - want[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("k=%d: untrained fusion changes the content map at %d: %v vs %v", k, i, got[i], want[i])
			}
		}
		m.Close()
		// A wrong neighbour count.
		b2 := nn.NewBuilder()
		b2.Use(f.P)
		if f.Build(b2, b2.P(src), slices.Clone(nbs[:k-1])) != nil || b2.Err() == nil {
			t.Fatalf("k=%d: fusing %d neighbours did not fail", k, k-1)
		}
	}
	for _, k := range []int{0, -1, 17} {
		if _, err := NewFusion(tiny, k, 1); err == nil {
			t.Errorf("k=%d accepted", k)
		}
	}
}
