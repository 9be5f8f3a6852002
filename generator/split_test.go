package generator

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"rgunit/embed"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// splitTrainer returns a trainer of the default recipe at batch 4 over the
// given parts, the same weights for every parts.
func splitTrainer(t *testing.T, parts int) (*UNIT, *Trainer) {
	t.Helper()
	c := Config{Arch: embed.Arch{Size: 32, Width: 8, ResBlocks: 1}, Schema: faceSchema, Batch: 4, Seed: 3, Parts: parts}
	c.Recipe = DefaultRecipe(10, &c.Arch, &c.Schema)
	u, err := NewUNIT(c)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	if tr.split.N() != parts {
		t.Fatalf("%d parts asked, %d built", parts, tr.split.N())
	}
	return u, tr
}

// TestSplitStep: a step over a batch split in two parts, run at once, is
// the step over the whole batch: the same losses, and the same gradients
// once the parts' are summed (to rounding); and it is deterministic.
func TestSplitStep(t *testing.T) {
	u1, whole := splitTrainer(t, 1)
	u2, split := splitTrainer(t, 2)
	batch := randomBatch(rand.New(rand.NewPCG(5, 5)), 4, 32, 5)
	draw := gan.Draw{Schema: faceSchema, StyleSwap: u1.Config.Recipe.StyleSwap, KLWeight: 0.5}
	var losses [2][]float64
	var dAdv [2]float64
	for i, tr := range []*Trainer{whole, split} {
		tr.split.Load(draw, 3, 0, batch)
		if err := tr.eaFrozen.CopyFrom(tr.u.Ea.P); err != nil {
			t.Fatal(err)
		}
		var err error
		if losses[i], dAdv[i], _, err = tr.split.Run(); err != nil {
			t.Fatal(err)
		}
	}
	close := func(what string, a, b, tol float64) {
		t.Helper()
		if math.Abs(a-b) > tol*math.Max(1, math.Abs(a)) {
			t.Errorf("%s: whole batch %v, two parts %v", what, a, b)
		}
	}
	for k := range losses[0] {
		close("G loss "+[]string{"adv", "cls", "rec", "content", "code", "cycle", "kl", "total"}[k], losses[0][k], losses[1][k], 1e-5)
	}
	close("D adv", dAdv[0], dAdv[1], 1e-5)

	// Gradients: the parts' mean against the whole batch's.
	rest := []*nn.Builder{split.split.Parts[1].B}
	if err := split.split.MeanGrads(u2.Ec.P, u2.Ea.P, u2.G.P); err != nil {
		t.Fatal(err)
	}
	for set, ps := range [][2]*nn.Params{{u1.Ec.P, u2.Ec.P}, {u1.Ea.P, u2.Ea.P}, {u1.G.P, u2.G.P}} {
		var diff, norm float64
		for _, name := range ps[0].Names() {
			a := grad(t, whole.split.Parts[0].B, ps[0], name)
			b := grad(t, split.split.Parts[0].B, ps[1], name)
			for i := range a {
				diff += float64(a[i]-b[i]) * float64(a[i]-b[i])
				norm += float64(a[i]) * float64(a[i])
			}
		}
		t.Logf("set %d: %.3g of %.3g", set, math.Sqrt(diff/norm), math.Sqrt(norm))
		if norm == 0 || math.Sqrt(diff/norm) > 1e-4 {
			t.Errorf("set %d: gradient of the two parts off the whole batch's by %.2g (norm %.3g)", set, math.Sqrt(diff/norm), math.Sqrt(norm))
		}
		if g := rest[0].P(ps[1].Get(ps[1].Names()[0])); g != nil {
			if v, _ := g.Grad(); v != nil {
				for _, x := range v.Data().([]float32) {
					if x != 0 {
						t.Fatalf("set %d: the second part's gradient was not cleared", set)
					}
				}
			}
		}
	}

	// Deterministic: the same split steps twice give the same losses.
	_, again := splitTrainer(t, 2)
	_, split2 := splitTrainer(t, 2)
	for step := range 2 {
		a, err := again.Step(batch)
		if err != nil {
			t.Fatal(err)
		}
		b, err := split2.Step(batch)
		if err != nil {
			t.Fatal(err)
		}
		a.Seconds, b.Seconds = 0, 0
		if a != b {
			t.Fatalf("step %d: two runs of the same split step: %+v, %+v", step, a, b)
		}
	}
}

func grad(t *testing.T, b *nn.Builder, p *nn.Params, name string) []float32 {
	t.Helper()
	v, err := b.P(p.Get(name)).Grad()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v.Data().([]float32)
}

func TestSplitParts(t *testing.T) {
	for _, tc := range []struct{ batch, parts, want int }{{8, 1, 1}, {8, 2, 2}, {8, 4, 4}, {8, 8, 8}, {6, 3, 3}} {
		if got, err := gan.Parts(tc.batch, tc.parts); err != nil || got != tc.want {
			t.Errorf("Parts(%d, %d) = %d, %v; want %d", tc.batch, tc.parts, got, err, tc.want)
		}
	}
	if got, err := gan.Parts(7, 0); err != nil || 7%got != 0 || got < 1 {
		t.Errorf("Parts(7, 0) = %d, %v", got, err)
	}
	for _, tc := range []struct{ batch, parts int }{{8, 3}, {8, -1}, {4, 8}} {
		c := Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: faceSchema, Batch: tc.batch, Seed: 1, Parts: tc.parts}
		u, err := NewUNIT(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewTrainer(u); !errors.Is(err, gan.ErrParts) {
			t.Errorf("batch %d in %d parts: %v, want ErrParts", tc.batch, tc.parts, err)
		}
	}
}
