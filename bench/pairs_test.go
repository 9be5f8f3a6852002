package bench

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/imageio"
)

var faceSchema = embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}

func TestPairs(t *testing.T) {
	dir := t.TempDir()
	faces := "../samples/faces"
	for _, n := range []string{"000001.png", "000002.png"} {
		b, err := os.ReadFile(filepath.Join(faces, n))
		if err != nil {
			t.Skip("testdata faces are named differently:", err)
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "pairs.txt"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("source target_image Black_Hair Blond_Hair Brown_Hair Male Young\n000001.png 000002.png -1 1 -1 1 1\n000002.png 000001_old.png -1 1 -1 1 -1\n")
	ps, err := ParsePairs(dir, faceSchema)
	if err != nil || len(ps) != 2 || ps[0].Kind != "hair" || ps[1].Kind != "age" || ps[0].Attrs[1] != 1 {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{"", "src tgt A\n", "source target_image Black_Hair\n",
		"source target_image Black_Hair Blond_Hair Brown_Hair Male Young\na b 1 1 1 1 2\n",
		"source target_image Black_Hair Blond_Hair Brown_Hair Male Young\na b 1 1\n"} {
		write(bad)
		if _, err := ParsePairs(dir, faceSchema); !errors.Is(err, ErrPairs) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Paired L1 with an untrained model: finite, and "no change" is 0 for
	// a pair whose target is its own source.
	write("source target_image Black_Hair Blond_Hair Brown_Hair Male Young\n000001.png 000001.png -1 1 -1 1 1\n")
	ps, _ = ParsePairs(dir, faceSchema)
	u, _ := generator.NewUNIT(generator.Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: faceSchema, Batch: 1, Seed: 1})
	b, _ := os.ReadFile(filepath.Join(dir, "000001.png"))
	img, _, _ := imageio.Load(b, 32, 1<<24)
	x, _ := generator.RGBATensor(img, 32)
	m := UNITMethod("gmm-unit", u, generator.CodePrior)
	r, err := Paired(m, ps, map[string]Source{"000001.png": {X: x, ID: 1}}, 0)
	if err != nil || r.Pairs != 1 || r.HairL1 <= 0 || r.HairL1Ident != 0 || r.HairSSIMIdent != 1 || r.HairSSIM >= 1 || r.Method != "gmm-unit" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := Paired(m, ps, map[string]Source{}, 0); !errors.Is(err, ErrPairs) {
		t.Fatalf("no sources: %v", err)
	}
}

// TestSSIM: 1 for identical images; for two flat images the closed form
// (2ab + C1) / (a^2 + b^2 + C1); symmetric; lower for noise.
func TestSSIM(t *testing.T) {
	const size = 16
	flat := func(v float32) []float32 {
		x := make([]float32, 3*size*size)
		for i := range x {
			x[i] = v
		}
		return x
	}
	a, b := flat(0.2), flat(-0.4)
	if s := SSIM(a, a, size); math.Abs(s-1) > 1e-12 {
		t.Fatalf("identical: %v", s)
	}
	c1 := 0.02 * 0.02
	la, lb := 0.2*(0.299+0.587+0.114), -0.4*(0.299+0.587+0.114)
	want := (2*la*lb + c1) / (la*la + lb*lb + c1)
	if s := SSIM(a, b, size); math.Abs(s-want) > 1e-6 {
		t.Fatalf("flat images: %v, want %v", s, want)
	}
	noise := flat(0)
	for i := range noise {
		noise[i] = float32(i%7)/3 - 1
	}
	if s1, s2 := SSIM(a, noise, size), SSIM(noise, a, size); math.Abs(s1-s2) > 1e-12 || s1 >= 0.5 {
		t.Fatalf("noise: %v %v", s1, s2)
	}
	if !math.IsNaN(SSIM(flat(0)[:3*8*8], flat(0)[:3*8*8], 8)) {
		t.Fatal("an image smaller than the window has an SSIM")
	}
}

// TestVerdict: RG-UNIT (the second row) is compared with every other row,
// counting the measures it wins.
func TestVerdict(t *testing.T) {
	row := func(name string, acc, fd float64) Row {
		return Row{TranslateResult: &TranslateResult{Method: name, TargetAcc: acc, FDcls: fd}}
	}
	v := verdict([]Row{row("base", 0.90, 2.0), row("rg", 0.95, 1.5), row("random", 0.97, 1.6)})
	for _, want := range []string{"rg is better than base on 2 of 2 measures", "rg is better than random on 1 of 2 measures", "FD-cls 1.500 vs 2.000 (-0.500)"} {
		if !strings.Contains(v, want) {
			t.Fatalf("verdict %q lacks %q", v, want)
		}
	}
	if verdict([]Row{row("base", 0.9, 2)}) != "" {
		t.Fatal("a verdict with one row")
	}
	// A paired accuracy difference inside its interval is no win: only
	// FD-cls counts.
	level := row("random", 0.969, 1.6)
	level.VsRG = &AccDiff{Diff: 0.002, CI95: 0.004}
	v = verdict([]Row{row("base", 0.90, 2.0), row("rg", 0.971, 1.5), level})
	for _, want := range []string{"rg is better than random on 1 of 1 measures that differ", "+0.0020 ± 0.0040, level within the 95% interval"} {
		if !strings.Contains(v, want) {
			t.Fatalf("verdict %q lacks %q", v, want)
		}
	}
}

// TestPairedAcc: the paired difference of two methods' target accuracy
// and its interval, on per-input hits.
func TestPairedAcc(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	coin := func(n int, p float64) []float64 {
		h := make([]float64, n)
		for i := range h {
			if rng.Float64() < p {
				h[i] = 1
			}
		}
		return h
	}
	same := coin(600, 0.9)
	better, wrong := slices.Clone(same), 0.0 // every miss turned right
	for i := range better {
		if better[i] == 0 {
			better[i], wrong = 1, wrong+1
		}
	}
	for _, c := range []struct {
		name      string
		a, b      []float64
		diff      float64 // want, within tol
		tol       float64
		level, ok bool
	}{
		{"the same hits", same, same, 0, 1e-12, true, true},
		{"a better where b misses", better, same, wrong / 600, 1e-12, false, true},
		{"independent coins, same rate", coin(600, 0.9), coin(600, 0.9), 0, 0.05, true, true},
		{"unlike inputs", same, same[:10], 0, 0, false, false},
	} {
		d, ok := PairedAcc(&TranslateResult{hits: c.a}, &TranslateResult{hits: c.b})
		if ok != c.ok {
			t.Fatalf("%s: ok %v", c.name, ok)
		}
		if !ok {
			continue
		}
		if math.Abs(d.Diff-c.diff) > c.tol || d.Level() != c.level {
			t.Errorf("%s: %v (level %v), want %+.3f (level %v)", c.name, d, d.Level(), c.diff, c.level)
		}
	}
	// Pairing: 10 wins on 600 inputs that share everything else are
	// told apart; the same gap between the unpaired rates would not be.
	a := slices.Clone(same)
	n := 0
	for i := range a {
		if a[i] == 0 && n < 10 {
			a[i], n = 1, n+1
		}
	}
	if d, _ := PairedAcc(&TranslateResult{hits: a}, &TranslateResult{hits: same}); d.Level() || math.Abs(d.Diff-10.0/600) > 1e-9 {
		t.Errorf("10 paired wins of 600: %v", d)
	}
}
