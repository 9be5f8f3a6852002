package rg

import (
	"errors"
	"math/rand/v2"
	"rgunit/generator"
	"slices"
	"testing"
)

// rgInputs makes n random images, codes and k neighbour maps for u.
func rgInputs(u *generator.UNIT, n, k int, seed uint64) (x []float32, codes [][]float32, nbs [][]float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := u.Config.Arch.Size
	x = make([]float32, n*3*s*s)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	for range n {
		c := make([]float32, u.Config.Schema.CodeDim())
		u.Config.Schema.Sample([]int8{1, -1, -1, 1, -1}, rng, c)
		codes = append(codes, c)
	}
	cs := u.ContentShape()
	for range k {
		m := make([]float32, n*cs[0]*cs[1]*cs[2])
		for i := range m {
			m[i] = float32(rng.NormFloat64())
		}
		nbs = append(nbs, m)
	}
	return x, codes, nbs
}

// TestRGStartsAsGMMUNIT: an untrained RG-UNIT decodes exactly what its
// stage-1 model decodes, whatever the neighbours (the fusion starts as the
// identity on the source's content), for k = 1..5; and its checkpoint
// round-trips bit for bit once the fusion has changed.
func TestRGStartsAsGMMUNIT(t *testing.T) {
	u, _ := generator.NewUNIT(tinyConfig(2))
	for k := 1; k <= 5; k++ {
		r, err := New(u, u.D, Config{K: k, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		x, codes, nbs := rgInputs(u, 3, k, uint64(k))
		got, err := r.Translate(x, codes, nbs)
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		want, err := u.Translate(x, codes)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if len(got[i]) != 3*32*32 {
				t.Fatalf("k=%d: output of %d values", k, len(got[i]))
			}
			for j := range got[i] {
				if d := got[i][j] - want[i][j]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("k=%d: untrained RG-UNIT differs from GMM-UNIT at %d/%d: %v vs %v", k, i, j, got[i][j], want[i][j])
				}
			}
		}
		if _, err := r.Translate(x, codes, nbs[:k-1]); err == nil {
			t.Fatalf("k=%d: %d neighbour maps accepted", k, k-1)
		}
	}
	// Round trip after changing the fusion.
	r, _ := New(u, nil, Config{K: 3, Seed: 3})
	w := r.Fusion.P.Get("f2.w").Data().([]float32)
	for i := range w {
		w[i] += 0.01 * float32(i%7)
	}
	r.Step = 12
	r.Config.Retrieval = 4
	blob, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(blob, u)
	if err != nil {
		t.Fatal(err)
	}
	if rv, step, err := CheckpointInfo(blob); err != nil || rv != 4 || step != 12 || back.Step != 12 {
		t.Fatalf("version %d step %d (%d) %v", rv, step, back.Step, err)
	}
	x, codes, nbs := rgInputs(u, 2, 3, 9)
	a, _ := r.Translate(x, codes, nbs)
	b, _ := back.Translate(x, codes, nbs)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatal("reloaded RG-UNIT translates differently")
		}
	}
	// Damaged or mismatched checkpoints are refused.
	for _, bad := range [][]byte{blob[:len(blob)/2], append(slices.Clone(blob), 1), []byte("nope")} {
		if _, err := Unmarshal(bad, u); !errors.Is(err, generator.ErrCheckpoint) {
			t.Fatalf("damaged checkpoint: %v", err)
		}
	}
	other := tinyConfig(2)
	other.Arch.Width = 4
	o, _ := generator.NewUNIT(other)
	if _, err := Unmarshal(blob, o); !errors.Is(err, generator.ErrCheckpoint) {
		t.Fatalf("checkpoint over another architecture: %v", err)
	}
	if _, err := New(u, nil, Config{K: 17}); err == nil {
		t.Fatal("k = 17 accepted")
	}
}

// TestRGStepFreezes: a stage-3 step changes G's convolutions and the
// fusion but never E_c, E_a or G's code MLP, and lowers the loss on a
// repeated batch.
func TestRGStepFreezes(t *testing.T) {
	st := facesStore(t, 32)
	d, _ := generator.LoadDataset(st, faceSchema, 32, 8)
	u, _ := generator.NewUNIT(tinyConfig(4))
	r, err := New(u, u.D, Config{K: 2, Seed: 5, LR: 1e-3, Beta1: 0.5, Beta2: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	snap := func() map[string][]float32 {
		out := map[string][]float32{}
		for _, n := range u.Ec.P.Names() {
			out["ec/"+n] = slices.Clone(u.Ec.P.Get(n).Data().([]float32))
		}
		for _, n := range u.Ea.P.Names() {
			out["ea/"+n] = slices.Clone(u.Ea.P.Get(n).Data().([]float32))
		}
		for _, n := range r.G.P.Names() {
			out["g/"+n] = slices.Clone(r.G.P.Get(n).Data().([]float32))
		}
		for _, n := range r.Fusion.P.Names() {
			out["f/"+n] = slices.Clone(r.Fusion.P.Get(n).Data().([]float32))
		}
		return out
	}
	before := snap()
	tr, err := NewTrainer(r)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	b := d.Batch(rng, 4)
	content, err := u.Content(b.X, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Neighbours: the batch's own content maps, rotated (stand-ins for
	// retrieved items).
	per := len(content) / 4
	rot := func(s int) []float32 {
		out := make([]float32, 0, len(content))
		for i := range 4 {
			j := (i + s) % 4
			out = append(out, content[j*per:(j+1)*per]...)
		}
		return out
	}
	batch := Batch{Batch: b, NbTgt: [][]float32{rot(1), rot(2)}, NbSrc: [][]float32{rot(3), rot(1)}}
	var first, last generator.Losses
	for i := range 30 {
		l, err := tr.Step(batch)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = l
		}
		last = l
	}
	if last.Rec >= first.Rec*0.9 {
		t.Errorf("reconstruction L1 %.4f -> %.4f: stage 3 does not learn", first.Rec, last.Rec)
	}
	after := snap()
	for name, v := range before {
		changed := !slices.Equal(v, after[name])
		frozen := name[:3] == "ec/" || name[:3] == "ea/" || (name[:2] == "g/" && isCodeMLP(name[2:]))
		if frozen && changed {
			t.Errorf("%s changed in stage 3", name)
		}
		if !frozen && !changed {
			t.Errorf("%s did not train", name)
		}
	}
	if _, err := tr.Step(Batch{Batch: b, NbTgt: batch.NbTgt[:1], NbSrc: batch.NbSrc}); err == nil {
		t.Error("a batch with one target neighbour map accepted for k = 2")
	}
}
