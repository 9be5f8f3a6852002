package rg

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/nn"
)

// TestChromaHF: the stage-3 speckle loss is 0 for images whose colour is
// smooth (a grey ramp, any brightness texture with R = G = B, a constant
// tint), positive for colour noise, and its value is the mean |Laplacian|
// of R-G and B-G inside the border, as computed by hand.
func TestChromaHF(t *testing.T) {
	t.Parallel()
	const n, s = 2, 8
	rng := rand.New(rand.NewPCG(3, 4))
	img := func(f func(c, y, x int) float32) []float32 {
		d := make([]float32, n*3*s*s)
		for i := range n {
			for c := range 3 {
				for y := range s {
					for x := range s {
						d[((i*3+c)*s+y)*s+x] = f(c, y, x)
					}
				}
			}
		}
		return d
	}
	eval := func(d []float32) float64 {
		b := nn.NewBuilder()
		out := chromaHF(b, b.P(tensor.New(tensor.WithShape(n, 3, s, s), tensor.WithBacking(d))), n, s)
		if b.Err() != nil {
			t.Fatal(b.Err())
		}
		m := G.NewTapeMachine(b.G)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return float64(out.Value().Data().(float32))
	}
	grey := make([]float32, s*s)
	for i := range grey {
		grey[i] = float32(rng.Float64()*2 - 1)
	}
	for name, d := range map[string][]float32{
		"grey texture": img(func(_, y, x int) float32 { return grey[y*s+x] }),
		"tinted ramp":  img(func(c, y, x int) float32 { return float32(x)/s + []float32{0.3, 0, -0.2}[c] }),
	} {
		if v := eval(d); math.Abs(v) > 1e-6 {
			t.Errorf("%s: %v, want 0", name, v)
		}
	}
	noise := img(func(c, y, x int) float32 { return float32(rng.NormFloat64()) * 0.3 })
	var want float64
	for i := range n {
		at := func(c, y, x int) float64 { return float64(noise[((i*3+c)*s+y)*s+x]) }
		for y := 1; y < s-1; y++ {
			for x := 1; x < s-1; x++ {
				lap := func(c int) float64 {
					return at(c, y-1, x) + at(c, y+1, x) + at(c, y, x-1) + at(c, y, x+1) - 4*at(c, y, x)
				}
				want += math.Abs(lap(0)-lap(1)) + math.Abs(lap(2)-lap(1))
			}
		}
	}
	want /= float64(n * 2 * (s - 2) * (s - 2))
	if got := eval(noise); want < 0.1 || math.Abs(got-want) > 1e-4*want {
		t.Fatalf("colour noise: %v, want %v", got, want)
	}
}
