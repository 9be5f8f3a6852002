package rg

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/nn"
)

// DefaultK is the number of retrieved neighbours RG-UNIT fuses.
const DefaultK = 3

// Fusion is RG-UNIT's retrieval fusion: the content maps of the K
// retrieved neighbours, concatenated along channels, go through a 3x3 conv
// to C channels (leaky ReLU); that is concatenated with the source's
// content map and reduced by another 3x3 conv to C channels, which the
// stage-1 decoder decodes. The second conv starts as the identity on the
// source's channels and zero on the fused ones, so an untrained fusion
// decodes exactly what GMM-UNIT decodes.
type Fusion struct {
	Arch embed.Arch
	K    int
	P    *nn.Params
}

// NewFusion returns the fusion convs for k neighbours, drawn from seed.
func NewFusion(a embed.Arch, k int, seed uint64) (*Fusion, error) {
	if k < 1 || k > 16 {
		return nil, fmt.Errorf("rg: %d neighbours (want 1 to 16)", k)
	}
	c := a.ContentChannels()
	p := nn.NewParams(seed)
	p.New("f1.w", nn.He, c, k*c, 3, 3)
	p.New("f1.b", nn.Zeros, 1, c, 1, 1)
	w := p.New("f2.w", nn.Zeros, c, 2*c, 3, 3)
	p.New("f2.b", nn.Zeros, 1, c, 1, 1)
	data := w.Data().([]float32)
	for o := range c { // output channel o copies input channel o (the source), centre tap
		data[((o*2*c+o)*3+1)*3+1] = 1
	}
	return &Fusion{Arch: a, K: k, P: p}, nil
}

// Build adds the fused content map to b: content (N, C, H, W) and K
// neighbour maps of the same shape -> (N, C, H, W).
func (f *Fusion) Build(b *nn.Builder, content *G.Node, neighbours []*G.Node) *G.Node {
	if len(neighbours) != f.K {
		b.Fail(fmt.Errorf("rg: fusion of %d neighbours, built for %d", len(neighbours), f.K))
		return nil
	}
	p := f.P.Get
	h := b.LeakyReLU(b.Conv(b.Concat(neighbours...), p("f1.w"), p("f1.b"), 1, 1))
	return b.Conv(b.Concat(content, h), p("f2.w"), p("f2.b"), 1, 1)
}
