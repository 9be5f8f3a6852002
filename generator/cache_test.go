package generator

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/nn"
)

// TestCachedGraphs: content maps and codes from reused graphs (single
// images and full chunks) equal those of graphs built for one run, for
// inputs that change between runs; a graph is built once per size.
func TestCachedGraphs(t *testing.T) {
	u, err := NewUNIT(Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: embed.Schema{Attrs: []string{"A", "B"}, Dim: 2}, Batch: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	img := func(n int) []float32 {
		x := make([]float32, n*3*32*32)
		for i := range x {
			x[i] = float32(r.Float64()*2 - 1)
		}
		return x
	}
	fresh := func(x []float32, n int, codes bool) []float32 {
		out, err := u.runGraphWith(nil, []graphInput{{"x", []int{n, 3, 32, 32}, x}}, func(b *nn.Builder, in []*G.Node) *G.Node {
			if codes {
				mu, _ := u.Ea.Build(b, in[0])
				return mu
			}
			return u.Ec.Build(b, in[0])
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, n := range []int{1, inferChunk} {
		a, b := img(n), img(n)
		before := nn.InferenceGraphs.Builds()
		for range 3 {
			if _, err := u.Content(a, n); err != nil {
				t.Fatal(err)
			}
		}
		if built := nn.InferenceGraphs.Builds() - before; built != 1 {
			t.Fatalf("n %d: three runs built %d graphs, want 1", n, built)
		}
		for round, x := range [][]float32{a, b, a} {
			c, err := u.Content(x, n)
			if err != nil {
				t.Fatal(err)
			}
			z, err := u.Codes(x, n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c, fresh(x, n, false)) || !slices.Equal(z, fresh(x, n, true)) {
				t.Fatalf("n %d, round %d: a reused graph's output differs from a fresh one's", n, round)
			}
		}
	}
}
