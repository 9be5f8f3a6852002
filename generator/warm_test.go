package generator

import (
	"slices"
	"testing"

	"rgunit/embed"
)

// TestWarmStart: a 32 px model starts a 64 px one: E_c and G are copied
// whole, E_a where its shapes agree, and the moving averages restart
// from the copied weights; a model of another width shares only the
// layers whose shapes do not depend on it.
func TestWarmStart(t *testing.T) {
	t.Parallel()
	schema := embed.Schema{Attrs: []string{"A", "B"}, Dim: 2}
	src, err := NewUNIT(Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: schema, Batch: 1, Seed: 1, Recipe: Recipe{EMA: 0.999}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := NewUNIT(Config{Arch: embed.Arch{Size: 64, Width: 4, ResBlocks: 1}, Schema: schema, Batch: 1, Seed: 9, Recipe: Recipe{EMA: 0.999}})
	if err != nil {
		t.Fatal(err)
	}
	share := dst.WarmStart(src)
	if share < 0.8 || share > 1 {
		t.Fatalf("copied %.2f of the weights", share)
	}
	for _, n := range dst.Ec.P.Names() {
		if !slices.Equal(dst.Ec.P.Get(n).Data().([]float32), src.EMA.Ec.Get(n).Data().([]float32)) {
			t.Fatalf("E_c %s not copied", n)
		}
		if !slices.Equal(dst.EMA.Ec.Get(n).Data().([]float32), dst.Ec.P.Get(n).Data().([]float32)) {
			t.Fatalf("E_c's moving average %s does not restart from the copy", n)
		}
	}
	for _, n := range dst.G.P.Names() {
		if !slices.Equal(dst.G.P.Get(n).Data().([]float32), src.EMA.G.Get(n).Data().([]float32)) {
			t.Fatalf("G %s not copied", n)
		}
	}
	wide, _ := NewUNIT(Config{Arch: embed.Arch{Size: 32, Width: 8, ResBlocks: 1}, Schema: schema, Batch: 1, Seed: 1})
	if s := wide.WarmStart(src); s > 0.3 {
		t.Fatalf("a model of another width took %.2f of the weights", s)
	}
}
