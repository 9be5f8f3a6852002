package generator

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/nn"
)

// mlpHidden is the width of the decoder's code MLP.
const mlpHidden = 128

// Decoder is G: AdaIN residual blocks at the content map's resolution,
// whose scales and biases come from an MLP on the attribute code, then two
// nearest-neighbour upsamplings each followed by a 3x3 conv, and a 7x7 conv
// to RGB with tanh.
type Decoder struct {
	Arch   embed.Arch
	Schema embed.Schema
	P      *nn.Params
}

// NewDecoder returns G with weights drawn from seed.
func NewDecoder(a embed.Arch, s embed.Schema, seed uint64) *Decoder {
	p := nn.NewParams(seed)
	c := a.ContentChannels()
	p.New("m0.w", nn.He, s.CodeDim(), mlpHidden)
	p.New("m0.b", nn.Zeros, 1, mlpHidden)
	p.New("m1.w", nn.He, mlpHidden, mlpHidden)
	p.New("m1.b", nn.Zeros, 1, mlpHidden)
	nAdain := 2 * a.ResBlocks
	p.New("m2.w", nn.Zeros, mlpHidden, 2*nAdain*c)
	bias := p.New("m2.b", nn.Zeros, 1, 2*nAdain*c)
	data := bias.Data().([]float32) // gammas start at 1, betas at 0
	for k := range nAdain {
		for j := range c {
			data[2*k*c+j] = 1
		}
	}
	for r := range a.ResBlocks {
		for _, x := range []string{"a", "b"} {
			p.New(fmt.Sprintf("r%d%s.w", r, x), nn.He, c, c, 3, 3)
			p.New(fmt.Sprintf("r%d%s.b", r, x), nn.Zeros, 1, c, 1, 1)
		}
	}
	p.New("u1.w", nn.He, c/2, c, 3, 3)
	p.New("u1.b", nn.Zeros, 1, c/2, 1, 1)
	p.New("u2.w", nn.He, c/4, c/2, 3, 3)
	p.New("u2.b", nn.Zeros, 1, c/4, 1, 1)
	if a.LayerNorm {
		p.New("u1.ln.g", nn.Ones, 1, c/2, 1, 1)
		p.New("u1.ln.b", nn.Zeros, 1, c/2, 1, 1)
		p.New("u2.ln.g", nn.Ones, 1, c/4, 1, 1)
		p.New("u2.ln.b", nn.Zeros, 1, c/4, 1, 1)
	}
	ok := a.DecoderOutKernel()
	p.New("out.w", nn.He, 3, c/4, ok, ok)
	p.New("out.b", nn.Zeros, 1, 3, 1, 1)
	return &Decoder{Arch: a, Schema: s, P: p}
}

// Build adds G(content, code) to b: content (N, 4W, S/4, S/4) and code
// (N, CodeDim) -> image (N, 3, S, S) in [-1, 1].
func (d *Decoder) Build(b *nn.Builder, content, code *G.Node) *G.Node {
	p := d.P.Get
	c := d.Arch.ContentChannels()
	m := b.LeakyReLU(b.Linear(code, p("m0.w"), p("m0.b")))
	m = b.LeakyReLU(b.Linear(m, p("m1.w"), p("m1.b")))
	m = b.Linear(m, p("m2.w"), p("m2.b"))
	param := func(k int) (gamma, beta *G.Node) {
		return b.Slice(m, 2*k*c, (2*k+1)*c), b.Slice(m, (2*k+1)*c, (2*k+2)*c)
	}
	h := content
	for r := range d.Arch.ResBlocks {
		g1, b1 := param(2 * r)
		g2, b2 := param(2*r + 1)
		y := b.LeakyReLU(b.AdaIN(b.Conv(h, p(fmt.Sprintf("r%da.w", r)), p(fmt.Sprintf("r%da.b", r)), 1, 1), g1, b1))
		y = b.AdaIN(b.Conv(y, p(fmt.Sprintf("r%db.w", r)), p(fmt.Sprintf("r%db.b", r)), 1, 1), g2, b2)
		h = b.Add(h, y)
	}
	for _, u := range []string{"u1", "u2"} {
		h = b.Conv(b.Upsample(h), p(u+".w"), p(u+".b"), 1, 1)
		if d.Arch.LayerNorm {
			h = b.LayerNorm(h, p(u+".ln.g"), p(u+".ln.b"))
		}
		h = b.LeakyReLU(h)
	}
	return b.Tanh(b.Conv(h, p("out.w"), p("out.b"), 1, d.Arch.DecoderOutKernel()/2))
}

// Discriminator is D. The first recipe's (Arch.MultiScaleD false):
// stride-2 4x4 convs with leaky ReLU down to 4x4, then a 3x3 conv to one
// LSGAN score per patch and, from globally pooled features, one logit per
// attribute. The multi-scale one judges the image and its 2x2-average
// downsampling with two such stacks, each ending in a 1x1 conv to patch
// scores; the attribute logits are a 4x4 conv over the full-scale stack's
// last map; its weights start N(0, 0.02).
type Discriminator struct {
	Arch   embed.Arch
	Schema embed.Schema
	P      *nn.Params
	downs  []int // stride-2 convs of each scale
}

// NewDiscriminator returns D with weights drawn from seed.
func NewDiscriminator(a embed.Arch, s embed.Schema, seed uint64) *Discriminator {
	p := nn.NewParams(seed)
	d := &Discriminator{Arch: a, Schema: s, P: p}
	w := a.Width
	init, scales, patchK, prefix := nn.He, 1, 3, ""
	if a.MultiScaleD {
		init, scales, patchK = nn.Normal02, 2, 1
	}
	var in int
	for sc := range scales {
		if a.MultiScaleD {
			prefix = fmt.Sprintf("s%d.", sc)
		}
		in = 3
		downs := 0
		for side := a.Size >> sc; side > 4; side /= 2 {
			out := min(w<<downs, 8*w)
			p.New(fmt.Sprintf("%sd%d.w", prefix, downs), init, out, in, 4, 4)
			p.New(fmt.Sprintf("%sd%d.b", prefix, downs), nn.Zeros, 1, out, 1, 1)
			in = out
			downs++
		}
		d.downs = append(d.downs, downs)
		p.New(prefix+"patch.w", init, 1, in, patchK, patchK)
		p.New(prefix+"patch.b", nn.Zeros, 1, 1, 1, 1)
		if sc == 0 {
			if a.MultiScaleD {
				p.New("cls.w", init, len(s.Attrs), in, 4, 4)
				p.New("cls.b", nn.Zeros, 1, len(s.Attrs), 1, 1)
			} else {
				p.New("cls.w", nn.He, in, len(s.Attrs))
				p.New("cls.b", nn.Zeros, 1, len(s.Attrs))
			}
		}
	}
	return d
}

// Build adds D(x) to b: patch scores per scale ((N,1,4,4) each) and
// attribute logits (N,A).
func (d *Discriminator) Build(b *nn.Builder, x *G.Node) (patches []*G.Node, logits *G.Node) {
	p := d.P.Get
	for sc, downs := range d.downs {
		prefix, h := "", x
		if d.Arch.MultiScaleD {
			prefix = fmt.Sprintf("s%d.", sc)
		}
		for range sc {
			h = b.AvgPool(h)
		}
		for k := range downs {
			h = b.LeakyReLU(b.Conv(h, p(fmt.Sprintf("%sd%d.w", prefix, k)), p(fmt.Sprintf("%sd%d.b", prefix, k)), 2, 1))
		}
		if d.Arch.MultiScaleD {
			patches = append(patches, b.Conv(h, p(prefix+"patch.w"), p(prefix+"patch.b"), 1, 0))
		} else {
			patches = append(patches, b.Conv(h, p("patch.w"), p("patch.b"), 1, 1))
		}
		if sc == 0 {
			if d.Arch.MultiScaleD {
				logits = b.Flatten(b.Conv(h, p("cls.w"), p("cls.b"), 1, 0))
			} else {
				logits = b.Linear(b.GlobalAvgPool(h), p("cls.w"), p("cls.b"))
			}
		}
	}
	return patches, logits
}
