package embed

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"rgunit/nn"
)

// DefaultEmbedDim is the length of a retrieval embedding.
const DefaultEmbedDim = 100

// Embedder is the stage-2 retrieval network: the content map reduced by
// stride-2 4x4 convs (leaky ReLU) to 2x2 and flattened (8W*4 values: 512 at
// the default width), concatenated with an attribute code, then an MLP
// (hidden 256, leaky ReLU) to Dim values scaled to unit length, so that
// L2 distances lie in [0, 2] and the triplet margin has a fixed meaning.
type Embedder struct {
	Arch   Arch
	Schema Schema
	Dim    int
	P      *nn.Params
	downs  int
}

// embedHidden is the width of the embedder's hidden layer.
const embedHidden = 256

// NewEmbedder returns an embedder with weights drawn from seed.
func NewEmbedder(a Arch, s Schema, dim int, seed uint64) (*Embedder, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	if dim < 2 || dim > 1024 {
		return nil, fmt.Errorf("embed: embedding dimension %d (want 2..1024)", dim)
	}
	p := nn.NewParams(seed)
	ch := a.ContentChannels()
	downs := 0
	for side := a.Size / 4; side > 2; side /= 2 {
		out := 2 * a.ContentChannels()
		p.New(fmt.Sprintf("d%d.w", downs), nn.He, out, ch, 4, 4)
		p.New(fmt.Sprintf("d%d.b", downs), nn.Zeros, 1, out, 1, 1)
		ch = out
		downs++
	}
	p.New("h.w", nn.He, ch*4+s.CodeDim(), embedHidden)
	p.New("h.b", nn.Zeros, 1, embedHidden)
	p.New("o.w", nn.He, embedHidden, dim)
	p.New("o.b", nn.Zeros, 1, dim)
	return &Embedder{Arch: a, Schema: s, Dim: dim, P: p, downs: downs}, nil
}

// Build adds emb(content, code) to b: content (N, 4W, S/4, S/4) and code
// (N, CodeDim) -> (N, Dim), unit rows.
func (e *Embedder) Build(b *nn.Builder, content, code *G.Node) *G.Node {
	p := e.P.Get
	h := content
	for d := range e.downs {
		h = b.LeakyReLU(b.Conv(h, p(fmt.Sprintf("d%d.w", d)), p(fmt.Sprintf("d%d.b", d)), 2, 1))
	}
	z := b.Concat(b.Flatten(h), code)
	z = b.LeakyReLU(b.Linear(z, p("h.w"), p("h.b")))
	return b.L2Normalize(b.Linear(z, p("o.w"), p("o.b")))
}
