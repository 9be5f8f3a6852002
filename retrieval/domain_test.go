package retrieval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFitTemperatures: labels drawn from sigmoid(logit / 5) give back a
// temperature near 5; labels that the sign separates get the floor that
// keeps float32 probabilities apart (the 99th percentile of |logit|, about
// 2.58 x 20, over 15); an attribute without labels gives 1.
func TestFitTemperatures(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var logits [][]float64
	var labels [][]int8
	for range 5000 {
		l := r.NormFloat64() * 20
		y := int8(-1)
		if r.Float64() < 1/(1+math.Exp(-l/5)) {
			y = 1
		}
		sep := int8(1)
		if l < 0 {
			sep = -1
		}
		logits = append(logits, []float64{l, l, l})
		labels = append(labels, []int8{y, sep, 0})
	}
	got := FitTemperatures(logits, labels)
	if math.Abs(got[0]-5) > 0.5 || math.Abs(got[1]-2.58*20/15) > 0.3 || math.Abs(got[2]-1) > 0.01 {
		t.Fatalf("temperatures %v, want about 5, 3.4, 1", got)
	}
}

// TestDomainFit: a domain fitted on features scores them near 1 and a
// shifted set far beyond its 99th percentile; Sample draws without
// regular strides.
func TestDomainFit(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	feats := func(n int, shift float64) [][]float64 {
		var out [][]float64
		for range n {
			f := make([]float64, 20)
			for i := range f {
				f[i] = r.NormFloat64()*float64(i+1) + shift*float64(i+1)
			}
			out = append(out, f)
		}
		return out
	}
	d, err := FitDomain(feats(2000, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Median < 0.8 || d.Median > 1.2 || d.P99 <= d.Median {
		t.Fatalf("fit: median %v, p99 %v", d.Median, d.P99)
	}
	far := 0
	for _, f := range feats(100, 2) {
		if d.Distance(f) > d.P99 {
			far++
		}
	}
	if far < 95 {
		t.Fatalf("%d of 100 shifted items beyond p99", far)
	}
	if _, err := FitDomain(feats(5, 0), 0); err == nil {
		t.Fatal("a domain of 5 items")
	}
	ids := make([]uint64, 6000)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	s := Sample(ids, 2000)
	phases := map[uint64]int{}
	for _, id := range s {
		phases[id%6]++
	}
	if len(s) != 2000 || len(phases) != 6 {
		t.Fatalf("sample of %d, phases %v", len(s), phases)
	}
}

// TestDomainCorrelations: items whose features each lie within the
// training spread but do not move together as the training items' do
// (cartoon faces against a photo model) are far once whitened, while new
// items of the training kind stay near; a domain without Whiten (a bundle
// made before it) scores z-scores alone.
func TestDomainCorrelations(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	const dim = 30
	// Training kind: two latent factors drive every feature.
	inDomain := func(n int) [][]float64 {
		var out [][]float64
		for range n {
			a, b := r.NormFloat64(), r.NormFloat64()
			f := make([]float64, dim)
			for i := range f {
				f[i] = a*math.Cos(float64(i)) + b*math.Sin(float64(i)) + 0.3*r.NormFloat64()
			}
			out = append(out, f)
		}
		return out
	}
	d, err := FitDomain(inDomain(2000), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Whiten) != dim*dim {
		t.Fatalf("whitening of %d values, want %d", len(d.Whiten), dim*dim)
	}
	// The other kind: every feature independent, with the same spread.
	other := make([][]float64, 200)
	for k := range other {
		other[k] = make([]float64, dim)
		for i := range other[k] {
			other[k][i] = d.Mean[i] + d.Std[i]*r.NormFloat64()
		}
	}
	median := func(d *Domain, fs [][]float64) float64 {
		ds := make([]float64, len(fs))
		for i, f := range fs {
			ds[i] = d.Distance(f)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	if m := median(d, other); m <= d.P99 {
		t.Fatalf("independent features: median %.2f within the training p99 %.2f", m, d.P99)
	}
	if m := median(d, inDomain(200)); m > d.P99 || m > 1.3*d.Median {
		t.Fatalf("new items of the training kind: median %.2f (training median %.2f, p99 %.2f)", m, d.Median, d.P99)
	}
	diag := *d
	diag.Whiten = nil
	if m := median(&diag, other); m > 1.2 {
		t.Fatalf("z-scores alone put the independent features at %.2f (want about 1: their marginals match)", m)
	}
}

// TestDomainMismatch: a domain of other features (a hand-made bundle)
// gives no distance instead of a panic, and one recorded before the pixel
// statistics reads the model's features only.
func TestDomainMismatch(t *testing.T) {
	t.Parallel()
	d := &Domain{Mean: []float64{0, 0}, Std: []float64{1, 1}}
	if got := d.Distance([]float64{3, 4, 1, 1, 1, 1}); math.Abs(got-math.Sqrt(12.5)) > 1e-9 {
		t.Errorf("pre-pixel domain: %v, want %v", got, math.Sqrt(12.5))
	}
	for _, bad := range []*Domain{
		{Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}},
		{Mean: []float64{0, 0}, Std: []float64{1}},
		{Mean: []float64{0, 0}, Std: []float64{1, 1}, Pixels: 5},
		{Mean: []float64{0, 0}, Std: []float64{1, 1}, Pixels: -1},
	} {
		if got := bad.Distance([]float64{1, 2}); !math.IsNaN(got) {
			t.Errorf("%+v: distance %v, want NaN", bad, got)
		}
	}
}
