package generator

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/generator/internal/gan"
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
		out, err := u.RunGraphWith(nil, []gan.Input{{Name: "x", Shape: []int{n, 3, 32, 32}, Data: x}}, func(b *nn.Builder, in []*G.Node) *G.Node {
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

// TestCachedGraphsNewModels: models made and dropped one after another
// (a test process, a server that reloads its models) never get another
// model's cached graph. The cache was keyed by the weights' address, which
// a new model can get once the old one is collected: a width-4 model's
// graph then answered for a width-8 one (1,024 content values instead of
// 2,048, seen as a failed query in the CLI tests).
func TestCachedGraphsNewModels(t *testing.T) {
	x := make([]float32, 3*32*32)
	for i := range 40 {
		width := 4 + 4*(i%2)
		u, err := NewUNIT(Config{Arch: embed.Arch{Size: 32, Width: width, ResBlocks: 1}, Schema: embed.Schema{Attrs: []string{"A"}, Dim: 2}, Batch: 1, Seed: uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := u.Content(x, 1)
		if err != nil {
			t.Fatal(err)
		}
		if s := u.ContentShape(); len(c) != s[0]*s[1]*s[2] {
			t.Fatalf("model %d (width %d): %d content values, want %d", i, width, len(c), s[0]*s[1]*s[2])
		}
		runtime.GC() // frees u: the next model may take its addresses
	}
}
