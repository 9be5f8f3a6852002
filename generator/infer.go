package generator

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// Translate decodes each image of x (n images, CHW, in [-1, 1]) with its
// content and codes[i] as attribute code: G(E_c(x_i), codes[i]).
func (u *UNIT) Translate(x []float32, codes [][]float32) ([][]float32, error) {
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	n := len(codes)
	per := 3 * s * s
	if n == 0 || len(x) != n*per {
		return nil, fmt.Errorf("generator: %d values for %d images of %d px", len(x), n, s)
	}
	flat, err := gan.FlatCodes(codes, cd)
	if err != nil {
		return nil, err
	}
	out, err := u.run(n, func(b *nn.Builder, xin, code *G.Node) *G.Node {
		return u.G.Build(b, u.Ec.Build(b, xin), code)
	}, x, flat)
	if err != nil {
		return nil, err
	}
	return gan.Rows(out, n, per), nil
}

// EncodeAttrs returns E_a's mean code for each of n images.
func (u *UNIT) EncodeAttrs(x []float32, n int) ([][]float32, error) {
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	if n == 0 || len(x) != n*3*s*s {
		return nil, fmt.Errorf("generator: %d values for %d images of %d px", len(x), n, s)
	}
	out, err := u.Codes(x, n)
	if err != nil {
		return nil, err
	}
	res := make([][]float32, n)
	for i := range res {
		res[i] = out[i*cd : (i+1)*cd]
	}
	return res, nil
}

// run builds a forward-only graph over the model's weights for n images and
// returns its output's values.
func (u *UNIT) run(n int, build func(b *nn.Builder, x, code *G.Node) *G.Node, x, code []float32) (out []float32, err error) {
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	return u.runGraph([]gan.Input{{Name: "x", Shape: []int{n, 3, s, s}, Data: x}, {Name: "code", Shape: []int{n, cd}, Data: code}},
		func(b *nn.Builder, in []*G.Node) *G.Node { return build(b, in[0], in[1]) })
}

// runGraph builds a forward-only graph over the model's weights with the
// given inputs and returns its output's values.
func (u *UNIT) runGraph(ins []gan.Input, build func(b *nn.Builder, in []*G.Node) *G.Node) (out []float32, err error) {
	return u.RunGraphWith(nil, ins, build)
}

// RunGraphWith is runGraph with more parameter sets bound (a stage-3
// model's decoder and fusion, package generator/rg).
func (u *UNIT) RunGraphWith(extra []*nn.Params, ins []gan.Input, build func(b *nn.Builder, in []*G.Node) *G.Node) (out []float32, err error) {
	return u.runCached("", extra, ins, build)
}

// runCached runs the graph build makes, reusing one built before under
// tag for the same weights and input shapes (tag "": built for this run
// only). Only single images and full chunks are cached: the sizes that
// recur (queries, ingest).
func (u *UNIT) runCached(tag string, extra []*nn.Params, ins []gan.Input, build func(b *nn.Builder, in []*G.Node) *G.Node) (out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("generator: inference graph: %v", r)
		}
	}()
	params := append([]*nn.Params{u.Ec.P, u.Ea.P, u.G.P}, extra...)
	key := ""
	if n := ins[0].Shape[0]; tag != "" && (n == 1 || n == inferChunk) {
		key = "generator/" + tag
		for _, p := range params {
			key += fmt.Sprintf("/%d", p.ID())
		}
		for _, in := range ins {
			key += fmt.Sprint(in.Shape)
		}
	}
	data, shapes := make([][]float32, len(ins)), make([][]int, len(ins))
	for i, in := range ins {
		data[i], shapes[i] = in.Data, in.Shape
	}
	return nn.InferenceGraphs.Run(key, data, func() (*nn.Built, error) {
		b := nn.NewBuilder()
		for _, p := range params {
			b.Use(p)
		}
		nodes := make([]*G.Node, len(ins))
		for i, in := range ins {
			nodes[i] = b.Input(in.Name, in.Shape...)
		}
		y := build(b, nodes)
		if err := b.Err(); err != nil {
			return nil, err
		}
		return nn.Inputs(b, nodes, shapes, y), nil
	})
}

// inferChunk is the number of images per inference graph.
const inferChunk = 64

// chunked runs f on chunks of at most inferChunk items: in holds per item
// the given number of values, and each chunk's output is appended.
func chunked(n int, per []int, in [][]float32, f func(m int, in [][]float32) ([]float32, error)) ([]float32, error) {
	for i, d := range in {
		if len(d) != n*per[i] {
			return nil, fmt.Errorf("generator: %d values for %d items of %d", len(d), n, per[i])
		}
	}
	var out []float32
	for start := 0; start < n; start += inferChunk {
		m := min(inferChunk, n-start)
		part := make([][]float32, len(in))
		for i, d := range in {
			part[i] = d[start*per[i] : (start+m)*per[i]]
		}
		y, err := f(m, part)
		if err != nil {
			return nil, err
		}
		out = append(out, y...)
	}
	return out, nil
}

// ContentShape is the shape (C, H, W) of one content map.
func (u *UNIT) ContentShape() [3]int {
	a := u.Config.Arch
	return [3]int{a.ContentChannels(), a.Size / 4, a.Size / 4}
}

// Content returns E_c of n images (n*3*S*S values): n content maps.
func (u *UNIT) Content(x []float32, n int) ([]float32, error) {
	s := u.Config.Arch.Size
	return chunked(n, []int{3 * s * s}, [][]float32{x}, func(m int, in [][]float32) ([]float32, error) {
		return u.runCached("content", nil, []gan.Input{{Name: "x", Shape: []int{m, 3, s, s}, Data: in[0]}},
			func(b *nn.Builder, in []*G.Node) *G.Node { return u.Ec.Build(b, in[0]) })
	})
}

// Codes returns E_a's mean code of n images.
func (u *UNIT) Codes(x []float32, n int) ([]float32, error) {
	s := u.Config.Arch.Size
	return chunked(n, []int{3 * s * s}, [][]float32{x}, func(m int, in [][]float32) ([]float32, error) {
		return u.runCached("codes", nil, []gan.Input{{Name: "x", Shape: []int{m, 3, s, s}, Data: in[0]}},
			func(b *nn.Builder, in []*G.Node) *G.Node {
				mu, _ := u.Ea.Build(b, in[0])
				return mu
			})
	})
}

// Generate decodes n content maps with n attribute codes: G(c, z).
func (u *UNIT) Generate(content, codes []float32, n int) ([]float32, error) {
	cs, cd := u.ContentShape(), u.Config.Schema.CodeDim()
	return chunked(n, []int{cs[0] * cs[1] * cs[2], cd}, [][]float32{content, codes}, func(m int, in [][]float32) ([]float32, error) {
		return u.runGraph([]gan.Input{{Name: "content", Shape: []int{m, cs[0], cs[1], cs[2]}, Data: in[0]}, {Name: "code", Shape: []int{m, cd}, Data: in[1]}},
			func(b *nn.Builder, in []*G.Node) *G.Node { return u.G.Build(b, in[0], in[1]) })
	})
}

// TranslationCodes returns the code of each of n translations (see
// TranslationCode): x holds the n source images, src and tgt their values
// and targets, guides (nil, or one list per image) the E_a means of images
// that show the targets; rng, when set, draws codes around them.
func (u *UNIT) TranslationCodes(mode CodeMode, x []float32, src, tgt [][]int8, guides [][][]float32, rng *rand.Rand) ([][]float32, error) {
	n := len(tgt)
	if len(src) != n || (guides != nil && len(guides) != n) {
		return nil, fmt.Errorf("generator: %d sources, %d targets and %d guide lists", len(src), n, len(guides))
	}
	var mus []float32
	cd := u.Config.Schema.CodeDim()
	if mode != CodePrior {
		var err error
		if mus, err = u.Codes(x, n); err != nil {
			return nil, err
		}
	}
	codes := make([][]float32, n)
	for i := range codes {
		var mu []float32
		if mus != nil {
			mu = mus[i*cd : (i+1)*cd]
		}
		var g [][]float32
		if guides != nil {
			g = guides[i]
		}
		codes[i] = u.TranslationCode(mode, mu, src[i], tgt[i], g, rng)
	}
	return codes, nil
}

// Translation is what TranslateImage did.
type Translation struct {
	Schema         embed.Schema
	Source, Target []int8
	Estimated      bool // Source came from E_a
	Outputs        [][]float32
}

// TranslateImage translates x (one image) to the targets of spec with
// GMM-UNIT alone: x's attribute values are src when known (nil: read from
// its E_a mean), spec's targets apply to them, and each of samples codes
// comes from TranslationCode (with no guides: the model's per-domain
// statistics; samples > 1 draws them with rng).
func TranslateImage(u *UNIT, x []float32, src []int8, spec string, samples int, mode CodeMode, rng *rand.Rand) (*Translation, error) {
	s := u.Config.Schema
	t := &Translation{Schema: s, Source: src}
	if t.Source == nil {
		codes, err := u.Codes(x, 1)
		if err != nil {
			return nil, err
		}
		t.Source, t.Estimated = u.SourceValues(codes), true
	}
	var err error
	if t.Target, err = s.ParseTargets(spec, t.Source); err != nil {
		return nil, err
	}
	samples = max(samples, 1)
	if samples == 1 {
		rng = nil
	}
	xs := make([]float32, 0, samples*len(x))
	srcs, tgts := make([][]int8, samples), make([][]int8, samples)
	for i := range samples {
		xs, srcs[i], tgts[i] = append(xs, x...), t.Source, t.Target
	}
	codes, err := u.TranslationCodes(mode, xs, srcs, tgts, nil, rng)
	if err != nil {
		return nil, err
	}
	if t.Outputs, err = u.Translate(xs, codes); err != nil {
		return nil, err
	}
	return t, nil
}
