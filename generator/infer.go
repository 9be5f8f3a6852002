package generator

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/embed"
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
	flat := make([]float32, 0, n*cd)
	for i, c := range codes {
		if len(c) != cd {
			return nil, fmt.Errorf("generator: code %d has %d values, want %d", i, len(c), cd)
		}
		flat = append(flat, c...)
	}
	out, err := u.run(n, func(b *nn.Builder, xin, code *G.Node) *G.Node {
		return u.G.Build(b, u.Ec.Build(b, xin), code)
	}, x, flat)
	if err != nil {
		return nil, err
	}
	res := make([][]float32, n)
	for i := range res {
		res[i] = out[i*per : (i+1)*per]
	}
	return res, nil
}

// EncodeAttrs returns E_a's mean code for each of n images.
func (u *UNIT) EncodeAttrs(x []float32, n int) ([][]float32, error) {
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	if n == 0 || len(x) != n*3*s*s {
		return nil, fmt.Errorf("generator: %d values for %d images of %d px", len(x), n, s)
	}
	out, err := u.run(n, func(b *nn.Builder, xin, _ *G.Node) *G.Node {
		mu, _ := u.Ea.Build(b, xin)
		return mu
	}, x, make([]float32, n*cd))
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
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("generator: inference graph: %v", r)
		}
	}()
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	b := nn.NewBuilder()
	for _, p := range []*nn.Params{u.Ec.P, u.Ea.P, u.G.P} {
		b.Use(p)
	}
	xin, cin := b.Input("x", n, 3, s, s), b.Input("code", n, cd)
	y := build(b, xin, cin)
	if err := b.Err(); err != nil {
		return nil, err
	}
	G.Let(xin, tensor.New(tensor.WithShape(n, 3, s, s), tensor.WithBacking(append([]float32(nil), x...))))
	G.Let(cin, tensor.New(tensor.WithShape(n, cd), tensor.WithBacking(append([]float32(nil), code...))))
	m := G.NewTapeMachine(b.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, err
	}
	return append([]float32(nil), y.Value().Data().([]float32)...), nil
}

// Translation is what TranslateImage did.
type Translation struct {
	Schema         embed.Schema
	Source, Target []int8
	Outputs        [][]float32
}

// TranslateImage reads x's attribute values from E_a's mean code (the sign
// of each attribute's dimensions), applies the targets of spec, and decodes
// x's content with the target means (samples == 1) or samples codes drawn
// from the target Gaussians.
func TranslateImage(u *UNIT, x []float32, spec string, samples int, rng *rand.Rand) (*Translation, error) {
	s := u.Config.Schema
	codes, err := u.EncodeAttrs(x, 1)
	if err != nil {
		return nil, err
	}
	src := s.Values(codes[0])
	tgt, err := s.ParseTargets(spec, src)
	if err != nil {
		return nil, err
	}
	cs := make([][]float32, samples)
	xs := make([]float32, 0, samples*len(x))
	for i := range cs {
		cs[i] = make([]float32, s.CodeDim())
		if samples == 1 {
			s.Means(tgt, cs[i])
		} else {
			s.Sample(tgt, rng, cs[i])
		}
		xs = append(xs, x...)
	}
	outs, err := u.Translate(xs, cs)
	if err != nil {
		return nil, err
	}
	return &Translation{Schema: s, Source: src, Target: tgt, Outputs: outs}, nil
}
