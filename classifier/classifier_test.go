package classifier

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func gauss(rng *rand.Rand, n, d int, mean, std float64) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, d)
		for j := range out[i] {
			out[i][j] = float32(mean + std*rng.NormFloat64())
		}
	}
	return out
}

// TestFrechet checks FD against closed forms: 0 for one set against
// itself, |m|^2 for a shift, d (s1 - s2)^2 for isotropic scales.
func TestFrechet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := gauss(rng, 4000, 4, 0, 1)
	if fd := FrechetDistance(a, a); math.Abs(fd) > 1e-6 {
		t.Fatalf("FD(a, a) = %v", fd)
	}
	b := gauss(rng, 4000, 4, 1, 1)
	if fd := FrechetDistance(a, b); math.Abs(fd-4) > 0.3 {
		t.Fatalf("shift by 1 in 4 dims: FD %v, want ~4", fd)
	}
	c := gauss(rng, 4000, 4, 0, 2)
	if fd := FrechetDistance(a, c); math.Abs(fd-4) > 0.4 {
		t.Fatalf("std 1 vs 2 in 4 dims: FD %v, want ~4", fd)
	}
}

func TestDiversity(t *testing.T) {
	if d := Diversity([][]float32{{0, 0}, {1, 1}, {0, 3}}); math.Abs(d-(1+1.5+1.5)/3) > 1e-9 { // per-pair mean L1: 1, 1.5, 1.5
		t.Fatalf("diversity %v", d)
	}
}

// TestTrainPredictSaveLoad: the classifier learns a trivially separable
// attribute, and a saved copy predicts bit-identically.
func TestTrainPredictSaveLoad(t *testing.T) {
	c, err := New(Config{Size: 32, Width: 4, Attrs: []string{"Bright"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var d Data
	for i := range 64 {
		v := float32(-0.5)
		if i%2 == 0 {
			v = 0.5
		}
		x := make([]float32, 3*32*32)
		for j := range x {
			x[j] = v + float32(0.2*rng.NormFloat64())
		}
		d.X = append(d.X, x)
		d.Labels = append(d.Labels, []int8{map[bool]int8{true: 1, false: -1}[v > 0]})
	}
	if err := c.Train(t.Context(), d, 60, 16, nil); err != nil {
		t.Fatal(err)
	}
	logits, feats, err := c.PredictAll(d.X)
	if err != nil || len(feats[0]) != c.FeatureDim() {
		t.Fatal(err)
	}
	if acc, _ := Accuracy(logits, d.Labels); acc < 0.95 {
		t.Fatalf("accuracy %.3f on a separable attribute", acc)
	}
	blob, _ := c.MarshalBinary()
	r, err := Decode(blob)
	if err != nil {
		t.Fatal(err)
	}
	l2, _, _ := r.PredictAll(d.X[:3])
	for i := range l2 {
		for a := range l2[i] {
			if l2[i][a] != logits[i][a] {
				t.Fatal("reloaded classifier predicts differently")
			}
		}
	}
	if _, err := Decode(blob[:len(blob)-1]); !errors.Is(err, ErrModel) {
		t.Fatalf("truncated model: %v", err)
	}
}

// FuzzDecode: any bytes give a classifier or ErrModel, never a panic.
func FuzzDecode(f *testing.F) {
	c, _ := New(Config{Size: 32, Width: 2, Attrs: []string{"A", "B"}})
	blob, _ := c.MarshalBinary()
	f.Add(blob)
	f.Add([]byte{2, '{', '}'})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Decode(b); err != nil && !errors.Is(err, ErrModel) {
			t.Fatalf("error without ErrModel: %v", err)
		}
	})
}
