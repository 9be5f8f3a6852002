package embed

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"rgunit/nn"
)

// fakeStage1 makes every role traceable: an image is 48 values; its
// "content" is its first 4 values and its "code" the next 40; Generate
// writes the content and code it was given into a blank image, so
// re-encoding a translation returns exactly what made it.
type fakeStage1 struct{}

const fakeImage, fakeContent = 48, 4

func (fakeStage1) Content(x []float32, n int) ([]float32, error) {
	var out []float32
	for i := range n {
		out = append(out, x[i*fakeImage:i*fakeImage+fakeContent]...)
	}
	return out, nil
}

func (fakeStage1) Codes(x []float32, n int) ([]float32, error) {
	var out []float32
	for i := range n {
		out = append(out, x[i*fakeImage+fakeContent:i*fakeImage+fakeContent+40]...)
	}
	return out, nil
}

func (fakeStage1) Generate(content, codes []float32, n int) ([]float32, error) {
	out := make([]float32, n*fakeImage)
	for i := range n {
		copy(out[i*fakeImage:], content[i*fakeContent:(i+1)*fakeContent])
		copy(out[i*fakeImage+fakeContent:], codes[i*40:(i+1)*40])
	}
	return out, nil
}

func fakeData(n int) *Labelled {
	rng := rand.New(rand.NewPCG(2, 3))
	d := &Labelled{}
	for i := range n {
		lab := []int8{-1, -1, -1, 1, 1}
		lab[rng.IntN(3)] = 1
		if rng.IntN(2) == 0 {
			lab[3] = -1
		}
		if rng.IntN(2) == 0 {
			lab[4] = -1
		}
		x := make([]float32, fakeImage)
		for j := range fakeContent {
			x[j] = float32(1000*i + j) // content identifies the image
		}
		faces.Means(lab, x[fakeContent:fakeContent+40])
		d.X, d.Labels = append(d.X, x), append(d.Labels, lab)
	}
	return d
}

// TestPoolRoles: each negative kind is built from the right source.
func TestPoolRoles(t *testing.T) {
	data := fakeData(24)
	p, err := BuildPool(context.Background(), fakeStage1{}, faces, data, 50, 16, AllNegatives, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 50 || p.Roles() != 6 || p.ContentSize != fakeContent {
		t.Fatalf("pool: %d triplets, %d roles, content %d", p.N, p.Roles(), p.ContentSize)
	}
	content := func(r, i int) []float32 { return p.Content[r][i*fakeContent : (i+1)*fakeContent] }
	code := func(r, i int) []float32 { return p.Codes[r][i*40 : (i+1)*40] }
	imgContent := func(k int) []float32 { return data.X[k][:fakeContent] }
	imgCode := func(k int) []float32 { return data.X[k][fakeContent : fakeContent+40] }
	const anchor, pos, easy, medium, hard, hardest = 0, 1, 2, 3, 4, 5
	for i := range p.N {
		src, lab, tgt := p.Source[i], data.Labels[p.Source[i]], p.Target[i]
		if slices.Equal(tgt, lab) {
			t.Fatalf("triplet %d: target equals the source's labels", i)
		}
		// Anchor: the source's content with a code sampled for the target.
		if !slices.Equal(content(anchor, i), imgContent(src)) || !slices.Equal(faces.Values(code(anchor, i)), tgt) {
			t.Fatalf("triplet %d: anchor is not (E_c(x), code of target)", i)
		}
		// Positive: the translation of the anchor, re-encoded.
		if !slices.Equal(content(pos, i), content(anchor, i)) || !slices.Equal(code(pos, i), code(anchor, i)) {
			t.Fatalf("triplet %d: positive is not G(anchor) re-encoded", i)
		}
		// Easy: another real image, as it is.
		if e := p.Easy[i]; e == src || !slices.Equal(content(easy, i), imgContent(e)) || !slices.Equal(code(easy, i), imgCode(e)) {
			t.Fatalf("triplet %d: easy negative is not a random other real image", i)
		}
		// Medium: another image translated to the same target.
		if o := p.Other[i]; o == src || !slices.Equal(content(medium, i), imgContent(o)) || !slices.Equal(faces.Values(code(medium, i)), tgt) {
			t.Fatalf("triplet %d: medium negative is not another image translated to the target", i)
		}
		// Hard: the source translated to a domain that is neither its own
		// nor the target.
		dom := p.HardDomain[i]
		if slices.Equal(dom, tgt) || slices.Equal(dom, lab) || !slices.Equal(content(hard, i), imgContent(src)) || !slices.Equal(faces.Values(code(hard, i)), dom) {
			t.Fatalf("triplet %d: hard negative is not x translated to another domain", i)
		}
		// Hardest: the source reconstructed with its own code.
		if !slices.Equal(content(hardest, i), imgContent(src)) || !slices.Equal(code(hardest, i), imgCode(src)) {
			t.Fatalf("triplet %d: hardest negative is not x reconstructed", i)
		}
	}
	// One kind only: roles anchor, positive, that kind.
	p2, err := BuildPool(context.Background(), fakeStage1{}, faces, data, 10, 4, []Negative{Hardest}, 7, nil)
	if err != nil || p2.Roles() != 3 {
		t.Fatalf("hardest only: %v, %d roles", err, p2.Roles())
	}
	for i := range p2.N {
		if !slices.Equal(p2.Codes[2][i*40:(i+1)*40], imgCode(p2.Source[i])) {
			t.Fatalf("hardest-only triplet %d: wrong code", i)
		}
	}
}

func TestParseNegatives(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Negative
	}{{"all", AllNegatives}, {"", AllNegatives}, {"easy", []Negative{Easy}}, {"hard,hardest", []Negative{Hard, Hardest}}} {
		got, err := ParseNegatives(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"none", "easy,easy", "hard,"} {
		if _, err := ParseNegatives(bad); !errors.Is(err, ErrNegatives) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if FormatNegatives(AllNegatives) != "all" || FormatNegatives([]Negative{Hard, Easy}) != "hard,easy" {
		t.Error("FormatNegatives")
	}
}

// TestTrainerLearns: the positive has the anchor's code but noisy
// content; the negative has the anchor's content exactly but another
// gender in its code. An untrained embedder sees the content, so the
// triplet loss starts high; training must learn to weigh the code.
func TestTrainerLearns(t *testing.T) {
	a := DefaultArch
	e, err := NewEmbedder(a, faces, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	shape := [3]int{a.ContentChannels(), a.Size / 4, a.Size / 4}
	cs := shape[0] * shape[1] * shape[2]
	p := &Pool{Kinds: []Negative{Hard}, N: 32, ContentSize: cs, CodeDim: 40, Content: make([][]float32, 3), Codes: make([][]float32, 3)}
	for range p.N {
		c, cp := make([]float32, cs), make([]float32, cs)
		for j := range c {
			c[j] = float32(rng.NormFloat64())
			cp[j] = c[j] + float32(rng.NormFloat64())
		}
		z, zn := make([]float32, 40), make([]float32, 40)
		faces.Means([]int8{1, -1, -1, 1, 1}, z)
		faces.Means([]int8{1, -1, -1, -1, 1}, zn)
		for r, in := range [][2][]float32{{c, z}, {cp, z}, {c, zn}} {
			p.Content[r] = append(p.Content[r], in[0]...)
			p.Codes[r] = append(p.Codes[r], in[1]...)
		}
	}
	tr, err := NewTrainer(e, nnAdam(), 8, 3, shape)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var first, last float64
	for step := range 80 {
		l, _, err := tr.Step(p, rng)
		if err != nil {
			t.Fatal(err)
		}
		if step < 5 {
			first += l / 5
		}
		if step >= 75 {
			last += l / 5
		}
	}
	t.Logf("triplet loss: first 5 steps %.4f, last 5 %.4f", first, last)
	if first < 0.05 || last > 0.5*first {
		t.Fatalf("loss %.4f -> %.4f: not learning", first, last)
	}
	out, err := e.Embed(p.Content[0][:2*cs], p.Codes[0][:80], 2, shape)
	if err != nil || len(out) != 32 {
		t.Fatalf("Embed: %d values, %v", len(out), err)
	}
}

func nnAdam() *nn.Adam { return nn.NewAdam(1e-3, 0.9, 0.999) }
