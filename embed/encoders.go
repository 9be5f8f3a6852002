package embed

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"rgunit/nn"
)

// Arch is the size of the networks.
type Arch struct {
	Size      int `json:"size"`       // image side: 32 or 64
	Width     int `json:"width"`      // channels of the first layer; doubled at each downsampling
	ResBlocks int `json:"res_blocks"` // residual blocks of E_c and G
	// LayerNorm puts a layer norm (learned per-channel scale and bias)
	// after each of the decoder's upsampling convolutions (MUNIT's
	// decoder). MultiScaleD makes the discriminator judge the image at two
	// scales, with 1x1 patch outputs, its attribute head a convolution over
	// its last map and N(0, 0.02) initial weights. Both are false in the
	// first recipe's models (see docs/recipe.md).
	LayerNorm   bool `json:"layer_norm,omitempty"`
	MultiScaleD bool `json:"multiscale_d,omitempty"`
	// OutKernel is the side of the decoder's last convolution, to RGB (0:
	// the first recipe's 7).
	OutKernel int `json:"out_kernel,omitempty"`
}

// DecoderOutKernel is the side of the decoder's last convolution.
func (a Arch) DecoderOutKernel() int {
	if a.OutKernel == 0 {
		return 7
	}
	return a.OutKernel
}

// DefaultArch is the default for 32 px.
var DefaultArch = Arch{Size: 32, Width: 16, ResBlocks: 2}

// Check validates an architecture.
func (a Arch) Check() error {
	if a.Size != 32 && a.Size != 64 {
		return fmt.Errorf("embed: image size %d (want 32 or 64)", a.Size)
	}
	// At least one residual block: the decoder reads the code only through its AdaINs.
	if a.Width < 2 || a.Width > 64 || a.ResBlocks < 1 || a.ResBlocks > 8 {
		return fmt.Errorf("embed: width %d, %d residual blocks", a.Width, a.ResBlocks)
	}
	if k := a.DecoderOutKernel(); k < 1 || k > 7 || k%2 == 0 {
		return fmt.Errorf("embed: decoder output kernel %d (want 1, 3, 5 or 7)", k)
	}
	return nil
}

// ContentChannels is the depth of the content map; its side is Size/4.
func (a Arch) ContentChannels() int { return 4 * a.Width }

// ContentEncoder is E_c: conv 7x7, two stride-2 4x4 convs (each with
// instance norm and leaky ReLU), then instance-norm residual blocks.
type ContentEncoder struct {
	Arch Arch
	P    *nn.Params
}

// NewContentEncoder returns E_c with weights drawn from seed.
func NewContentEncoder(a Arch, seed uint64) *ContentEncoder {
	p := nn.NewParams(seed)
	w := a.Width
	p.New("c0.w", nn.He, w, 3, 7, 7)
	p.New("c0.b", nn.Zeros, 1, w, 1, 1)
	p.New("d1.w", nn.He, 2*w, w, 4, 4)
	p.New("d1.b", nn.Zeros, 1, 2*w, 1, 1)
	p.New("d2.w", nn.He, 4*w, 2*w, 4, 4)
	p.New("d2.b", nn.Zeros, 1, 4*w, 1, 1)
	for r := range a.ResBlocks {
		for _, c := range []string{"a", "b"} {
			p.New(fmt.Sprintf("r%d%s.w", r, c), nn.He, 4*w, 4*w, 3, 3)
			p.New(fmt.Sprintf("r%d%s.b", r, c), nn.Zeros, 1, 4*w, 1, 1)
		}
	}
	return &ContentEncoder{Arch: a, P: p}
}

// Build adds E_c(x) to b: x (N,3,S,S) in [-1,1] -> (N, 4W, S/4, S/4).
func (e *ContentEncoder) Build(b *nn.Builder, x *G.Node) *G.Node {
	p := e.P.Get
	h := b.LeakyReLU(b.InstanceNorm(b.Conv(x, p("c0.w"), p("c0.b"), 1, 3)))
	h = b.LeakyReLU(b.InstanceNorm(b.Conv(h, p("d1.w"), p("d1.b"), 2, 1)))
	h = b.LeakyReLU(b.InstanceNorm(b.Conv(h, p("d2.w"), p("d2.b"), 2, 1)))
	for r := range e.Arch.ResBlocks {
		y := b.LeakyReLU(b.InstanceNorm(b.Conv(h, p(fmt.Sprintf("r%da.w", r)), p(fmt.Sprintf("r%da.b", r)), 1, 1)))
		y = b.InstanceNorm(b.Conv(y, p(fmt.Sprintf("r%db.w", r)), p(fmt.Sprintf("r%db.b", r)), 1, 1))
		h = b.Add(h, y)
	}
	return h
}

// AttrEncoder is E_a: a conv 7x7, stride-2 convs down to 4x4, global
// average pooling, then two linear heads: the code's mean and log-variance.
// It has no normalization (it must keep the style statistics).
type AttrEncoder struct {
	Arch   Arch
	Schema Schema
	P      *nn.Params
	downs  int
}

// NewAttrEncoder returns E_a with weights drawn from seed.
func NewAttrEncoder(a Arch, s Schema, seed uint64) *AttrEncoder {
	p := nn.NewParams(seed)
	w := a.Width
	p.New("c0.w", nn.He, w, 3, 7, 7)
	p.New("c0.b", nn.Zeros, 1, w, 1, 1)
	downs := 0
	for side := a.Size; side > 4; side /= 2 {
		in := min(w<<downs, 4*w)
		out := min(w<<(downs+1), 4*w)
		p.New(fmt.Sprintf("d%d.w", downs), nn.He, out, in, 4, 4)
		p.New(fmt.Sprintf("d%d.b", downs), nn.Zeros, 1, out, 1, 1)
		downs++
	}
	p.New("mu.w", nn.He, 4*w, s.CodeDim())
	p.New("mu.b", nn.Zeros, 1, s.CodeDim())
	p.New("lv.w", nn.Zeros, 4*w, s.CodeDim())
	p.New("lv.b", nn.Zeros, 1, s.CodeDim())
	return &AttrEncoder{Arch: a, Schema: s, P: p, downs: downs}
}

// Build adds E_a(x) to b: the code's mean and log-variance, (N, CodeDim).
func (e *AttrEncoder) Build(b *nn.Builder, x *G.Node) (mu, logvar *G.Node) {
	p := e.P.Get
	h := b.LeakyReLU(b.Conv(x, p("c0.w"), p("c0.b"), 1, 3))
	for d := range e.downs {
		h = b.LeakyReLU(b.Conv(h, p(fmt.Sprintf("d%d.w", d)), p(fmt.Sprintf("d%d.b", d)), 2, 1))
	}
	h = b.GlobalAvgPool(h)
	return b.Linear(h, p("mu.w"), p("mu.b")), b.Linear(h, p("lv.w"), p("lv.b"))
}

// NewAttrEncoderOver returns an E_a of e's layout over the parameters p
// (for instance a moving average of e's weights).
func NewAttrEncoderOver(e *AttrEncoder, p *nn.Params) *AttrEncoder {
	return &AttrEncoder{Arch: e.Arch, Schema: e.Schema, P: p, downs: e.downs}
}
