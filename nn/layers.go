package nn

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Epsilon of the normalizations.
const Epsilon = 1e-5

// Conv is a 2-D convolution with bias: x (N,Cin,H,W), w (Cout,Cin,k,k),
// bias (1,Cout,1,1).
func (b *Builder) Conv(x *G.Node, w, bias *tensor.Dense, stride, pad int) *G.Node {
	if !b.ok(x) {
		return nil
	}
	k := w.Shape()[2]
	xs, ws := x.Shape(), w.Shape()
	oh, ow := (xs[2]+2*pad-k)/stride+1, (xs[3]+2*pad-k)/stride+1
	b.FLOPs += 2 * int64(xs[0]) * int64(oh*ow) * int64(ws[0]) * int64(ws[1]*k*k)
	y := b.must(G.ApplyOp(convOp{k: k, stride: stride, pad: pad, cols: new(colsCache)}, x, b.P(w)))
	if !b.ok(y) || bias == nil {
		return y
	}
	return b.must(apply(biasOp, y, b.P(bias)))
}

// Linear is x (N,in) times w (in,out) plus bias (1,out).
func (b *Builder) Linear(x *G.Node, w, bias *tensor.Dense) *G.Node {
	if !b.ok(x) {
		return nil
	}
	b.FLOPs += 2 * int64(x.Shape()[0]) * int64(w.Shape()[0]) * int64(w.Shape()[1])
	y := b.must(apply(matMulOp(false, false), x, b.P(w)))
	if !b.ok(y) || bias == nil {
		return y
	}
	return b.must(G.BroadcastAdd(y, b.P(bias), nil, []byte{0}))
}

// LeakyReLU with slope 0.2.
func (b *Builder) LeakyReLU(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(leakyOp(0.2, x.Dims()), x))
}

// ReLU is max(x, 0).
func (b *Builder) ReLU(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(leakyOp(0, x.Dims()), x))
}

// Upsample doubles height and width by repeating pixels (nearest
// neighbour).
func (b *Builder) Upsample(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(G.ApplyOp(upsampleOp{}, x))
}

// InstanceNorm normalizes each (sample, channel) plane of x (N,C,H,W) to
// zero mean and unit variance (biased variance, Epsilon added), without an
// affine transform: one op (instNormOp) with its own gradient op, checked
// against finite differences by TestInstanceNormGradient.
func (b *Builder) InstanceNorm(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(instNormOp, x))
}

// AdaIN is instance norm followed by a per-sample affine transform:
// gamma * IN(x) + beta, with gamma and beta (N,C) (from an MLP on the
// attribute code; initialize its gamma bias to 1).
func (b *Builder) AdaIN(x, gamma, beta *G.Node) *G.Node {
	if !b.ok(x, gamma, beta) {
		return nil
	}
	xn := b.InstanceNorm(x)
	if !b.ok(xn) {
		return nil
	}
	return b.must(apply(planeAffineOp, xn, gamma, beta))
}

// GlobalAvgPool averages each channel: (N,C,H,W) -> (N,C).
func (b *Builder) GlobalAvgPool(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.planeMean(x)
}

// planeMean is the mean over axes 2 and 3 of (N,C,H,W) -> (N,C). It takes
// one axis at a time: gorgonia v0.9.18's Mean over two axes at once returns
// wrong values (TestInstanceNormValues caught it).
func (b *Builder) planeMean(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(G.Mean(b.must(G.Mean(x, 3)), 2))
}

// Add is the element-wise sum of two nodes of one shape.
func (b *Builder) Add(x, y *G.Node) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.must(G.Add(x, y))
}

// Tanh squashes to (-1, 1).
func (b *Builder) Tanh(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(G.Tanh(x))
}

// Slice returns columns [from, to) of x (N, K).
func (b *Builder) Slice(x *G.Node, from, to int) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(G.Slice(x, nil, tensor.S(from, to)))
}

// Flatten turns (N, ...) into (N, rest).
func (b *Builder) Flatten(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(flattenOp(x.Shape().Clone()), x))
}

// Concat joins its arguments along axis 1: (N, a) and (N, b) into
// (N, a+b), or feature maps (N, C1, H, W), (N, C2, H, W) into
// (N, C1+C2, H, W).
func (b *Builder) Concat(xs ...*G.Node) *G.Node {
	if len(xs) == 0 || !b.ok(xs...) {
		return nil
	}
	if len(xs) == 1 {
		return xs[0]
	}
	return b.must(G.Concat(1, xs...))
}

// L2Normalize scales each row of (N, D) to unit length.
func (b *Builder) L2Normalize(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(rowNormOp, x))
}
