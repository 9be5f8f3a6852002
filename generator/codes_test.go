package generator

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"rgunit/embed"
)

// TestTranslationCode checks the code rule on a hand-made schema of two
// hair colours and Male, two dimensions each.
func TestTranslationCode(t *testing.T) {
	s := embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Male"}, Dim: 2}
	u := &UNIT{Config: Config{Schema: s}}
	stats := &CodeStats{Items: 10,
		Mean: [][2][]float32{{{-0.5, -0.5}, {0.5, 0.5}}, {{-0.6, -0.6}, {0.6, 0.6}}, {{-0.4, -0.4}, {0.4, 0.4}}},
		Std:  [][2][]float32{{{0.1, 0.1}, {0.1, 0.1}}, {{0.1, 0.1}, {0.1, 0.1}}, {{0.1, 0.1}, {0.1, 0.1}}}}
	src := []int8{1, -1, 1} // black hair, male
	tgt := []int8{-1, 1, 1} // blond hair, male: both hair blocks change
	mu := []float32{0.7, 0.3, -0.8, -0.2, 0.9, 0.1}
	guides := [][]float32{
		{-0.4, -0.6, 0.5, 0.7, 0.2, 0.2},  // blond: both hair blocks show the target
		{-0.6, -0.4, 0.7, 0.5, -0.5, 0.0}, // blond too
		{0.5, 0.5, -0.6, -0.6, 0.3, 0.3},  // black hair: its hair blocks are skipped
	}
	r := float32(Reach * 0.1 / math.Sqrt2)
	reach5 := &CodeStats{Items: stats.Items, Mean: stats.Mean, Std: stats.Std, Reach: 5}
	r5 := float32(5 * 0.1 / math.Sqrt2)
	cases := []struct {
		name   string
		mode   CodeMode
		stats  *CodeStats
		guides [][]float32
		want   []float32
	}{
		{"encoder, guides", CodeEncoder, stats, guides, []float32{-0.5 - r, -0.5 - r, 0.6 + r, 0.6 + r, 0.9, 0.1}},
		{"encoder, no guides: statistics", CodeEncoder, stats, nil, []float32{-0.5 - r, -0.5 - r, 0.6 + r, 0.6 + r, 0.9, 0.1}},
		{"encoder, guides that do not show the target: statistics", CodeEncoder, stats, guides[2:], []float32{-0.5 - r, -0.5 - r, 0.6 + r, 0.6 + r, 0.9, 0.1}},
		{"encoder, no statistics: every guide, else the prior", CodeEncoder, nil, guides[:1], []float32{-0.4, -0.6, 0.5, 0.7, 0.9, 0.1}},
		{"encoder, nothing: the prior means", CodeEncoder, nil, nil, []float32{-1, -1, 1, 1, 0.9, 0.1}},
		{"prior", CodePrior, stats, guides, []float32{-1, -1, 1, 1, 1, 1}},
		{"mixed", CodeMixed, stats, guides, []float32{-1, -1, 1, 1, 0.9, 0.1}},
		{"encoder, the model's own reach of 5", CodeEncoder, reach5, guides, []float32{-0.5 - r5, -0.5 - r5, 0.6 + r5, 0.6 + r5, 0.9, 0.1}},
	}
	// The guides' mean for the changed blocks: (-0.4-0.6)/2 = -0.5 for
	// black's dimensions, (0.5+0.7)/2 = 0.6 for blond's: the target
	// domains' means, which Reach moves 3 std (0.1) further along the
	// axis (1, 1)/sqrt 2: r per dimension.
	for _, c := range cases {
		u.Config.Stats = c.stats
		got := u.TranslationCode(c.mode, mu, src, tgt, c.guides, nil)
		for i := range got {
			if d := got[i] - c.want[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s: code %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
	// A kept attribute is never touched, whatever the guides say.
	u.Config.Stats = stats
	same := u.TranslationCode(CodeEncoder, mu, src, src, guides, nil)
	if !slices.Equal(same, mu) {
		t.Fatalf("a translation to the source's own values changed the code: %v vs %v", same, mu)
	}
	// Samples vary the changed blocks only, around the rule's code.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		c := u.TranslationCode(CodeEncoder, mu, src, tgt, guides, rng)
		if c[4] != mu[4] || c[5] != mu[5] {
			t.Fatalf("a sample changed the kept Male block: %v", c)
		}
		for i := range 4 {
			if d := c[i] - []float32{-0.5 - r, -0.5 - r, 0.6 + r, 0.6 + r}[i]; d > 0.6 || d < -0.6 { // 6 std
				t.Fatalf("sample %v too far from the rule's code", c)
			}
		}
	}
}

// TestReach checks how far a changed block is moved: along the axis between
// the two domains' means only, to Reach of the target domain's standard
// deviations along that axis past its mean, and never back.
func TestReach(t *testing.T) {
	// One attribute of two dimensions: -1 around (0, 0), +1 around (2, 0),
	// the +1 domain spread 0.2 along the axis (x) and 5 across it.
	st := &CodeStats{Items: 4,
		Mean: [][2][]float32{{{0, 0}, {2, 0}}},
		Std:  [][2][]float32{{{1, 1}, {0.2, 5}}}}
	cases := []struct {
		name        string
		block, want []float32
	}{
		{"at the mean: 3 std further", []float32{2, 0}, []float32{2.6, 0}},
		{"between the domains, off the axis: only x moves", []float32{1, 0.7}, []float32{2.6, 0.7}},
		{"short by a little", []float32{2.5, -3}, []float32{2.6, -3}},
		{"already past: untouched", []float32{3.5, 1}, []float32{3.5, 1}},
	}
	for _, c := range cases {
		b := slices.Clone(c.block)
		st.reach(b, 0, 1, 3)
		for j := range b {
			if d := b[j] - c.want[j]; d > 1e-5 || d < -1e-5 {
				t.Errorf("%s: %v -> %v, want %v", c.name, c.block, b, c.want)
				break
			}
		}
	}
	// Towards -1 (the domain of spread 1 along the axis): 3 past (0, 0).
	b := []float32{1, 2}
	st.reach(b, 0, 0, 3)
	if math.Abs(float64(b[0]+3)) > 1e-5 || b[1] != 2 {
		t.Errorf("towards -1: %v, want [-3 2]", b)
	}
	// Equal means (an attribute never seen): nothing to move along.
	flat := &CodeStats{Mean: [][2][]float32{{{1, 1}, {1, 1}}}, Std: [][2][]float32{{{1, 1}, {1, 1}}}}
	b = []float32{0.5, 0.5}
	flat.reach(b, 0, 1, 3)
	if !slices.Equal(b, []float32{0.5, 0.5}) {
		t.Errorf("equal means moved the block: %v", b)
	}
}

func TestSourceValues(t *testing.T) {
	s := embed.Schema{Attrs: []string{"Male", "Young"}, Dim: 1}
	u := &UNIT{Config: Config{Schema: s}}
	code := []float32{0.1, -0.1}
	if got := u.SourceValues(code); !slices.Equal(got, []int8{1, -1}) {
		t.Fatalf("without statistics (signs): %v", got)
	}
	// Statistics whose domains both sit above 0: the nearer mean decides.
	u.Config.Stats = &CodeStats{Mean: [][2][]float32{{{0.2}, {0.9}}, {{-0.9}, {-0.3}}}, Std: [][2][]float32{{{1}, {1}}, {{1}, {1}}}}
	if got := u.SourceValues(code); !slices.Equal(got, []int8{-1, 1}) {
		t.Fatalf("with statistics: %v", got)
	}
}

func TestParseCodeMode(t *testing.T) {
	for name, want := range map[string]CodeMode{"": CodeEncoder, "encoder": CodeEncoder, "prior": CodePrior, "mixed": CodeMixed} {
		if m, err := ParseCodeMode(name); err != nil || m != want || (name != "" && m.String() != name) {
			t.Errorf("%q: %v %v", name, m, err)
		}
	}
	if _, err := ParseCodeMode("means"); err == nil {
		t.Fatal("an unknown mode was accepted")
	}
}

// TestFreeDims: free style dimensions follow the source in every mode but
// the paper's prior (where their mean is 0), and the keep mask of a
// training step always keeps them.
func TestFreeDims(t *testing.T) {
	s := embed.Schema{Attrs: []string{"Male"}, Dim: 1, Free: 2}
	u := &UNIT{Config: Config{Schema: s}}
	mu := []float32{0.8, 0.3, -0.4}
	for _, c := range []struct {
		mode CodeMode
		want []float32
	}{{CodeEncoder, []float32{-1, 0.3, -0.4}}, {CodeMixed, []float32{-1, 0.3, -0.4}}, {CodePrior, []float32{-1, 0, 0}}} {
		if got := u.TranslationCode(c.mode, mu, []int8{1}, []int8{-1}, nil, nil); !slices.Equal(got, c.want) {
			t.Errorf("%v: %v, want %v", c.mode, got, c.want)
		}
	}
}

// TestSetReach: a reach is a finite number of standard deviations above 0
// (0 keeps the default), on a model with code statistics.
func TestSetReach(t *testing.T) {
	for _, z := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := (&CodeStats{}).SetReach(z); !errors.Is(err, ErrReach) {
			t.Errorf("reach %g: %v", z, err)
		}
	}
	var none *CodeStats
	if err := none.SetReach(5); !errors.Is(err, ErrReach) {
		t.Errorf("no statistics: %v", err)
	}
	st := &CodeStats{}
	if err := st.SetReach(5); err != nil || st.ReachStd() != 5 {
		t.Fatalf("reach 5: %v, %g", err, st.ReachStd())
	}
	if err := st.SetReach(0); err != nil || st.ReachStd() != Reach {
		t.Fatalf("reach 0: %v, %g", err, st.ReachStd())
	}
}
