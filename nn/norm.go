package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// normalize writes (x - mean) * inv of each group of size values of x
// into out (instance norm: a group is a (sample, channel) plane; layer
// norm: a whole sample).
func normalize(x, out []float32, groups, size int) {
	f := func(p int) {
		xs, o := x[p*size:(p+1)*size], out[p*size:(p+1)*size]
		mean, inv := planeStats(xs)
		for i, v := range xs {
			o[i] = (v - mean) * inv
		}
	}
	eachGroup(groups, size, f)
}

// normalizeGrad writes dx = inv * (dy - mean(dy) - xhat * mean(dy * xhat))
// per group, xhat = (x - mean) * inv.
func normalizeGrad(x, dy, out []float32, groups, size int) {
	f := func(p int) {
		xs, d, o := x[p*size:(p+1)*size], dy[p*size:(p+1)*size], out[p*size:(p+1)*size]
		mean, inv := planeStats(xs)
		var sdy, sdyx float64
		for i, v := range xs {
			xh := (v - mean) * inv
			sdy += float64(d[i])
			sdyx += float64(d[i] * xh)
		}
		mdy, mdyx := float32(sdy/float64(size)), float32(sdyx/float64(size))
		for i, v := range xs {
			xh := (v - mean) * inv
			o[i] = inv * (d[i] - mdy - xh*mdyx)
		}
	}
	eachGroup(groups, size, f)
}

// eachGroup runs f over the groups, on all cores when there is enough work.
func eachGroup(groups, size int, f func(p int)) {
	if groups*size < 1<<15 {
		for p := range groups {
			f(p)
		}
		return
	}
	parallel(groups, f)
}

// layerNormOp normalizes each sample of (N,C,H,W) over all its values.
var layerNormOp = &kernelOp{
	name:  "rgunit.LayerNorm",
	dims:  []int{4, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		normalize(in[0], out, s[0][0], s[0][1]*s[0][2]*s[0][3])
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := apply(layerNormGradOp, inputs[0], grad)
		return G.Nodes{g}, err
	},
}

var layerNormGradOp = &kernelOp{
	name:  "rgunit.LayerNormGrad",
	dims:  []int{4, 4, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		normalizeGrad(in[0], in[1], out, s[0][0], s[0][1]*s[0][2]*s[0][3])
	},
}

// channelAffineOp: (x (N,C,H,W), gamma (1,C,1,1), beta (1,C,1,1)) ->
// x * gamma + beta per channel (layer norm's learned transform).
var channelAffineOp = &kernelOp{
	name: "rgunit.ChannelAffine",
	dims: []int{4, 4, 4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		if in[1].TotalSize() != in[0][1] || in[2].TotalSize() != in[0][1] {
			return nil, fmt.Errorf("nn: channel affine of %v by %v and %v", in[0], in[1], in[2])
		}
		return in[0].Clone(), nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		c := s[0][1]
		planes(s[0], func(p, size int) {
			g, b := in[1][p%c], in[2][p%c]
			x, o := in[0][p*size:(p+1)*size], out[p*size:(p+1)*size]
			for i, v := range x {
				o[i] = v*g + b
			}
		})
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		gx, err := apply(channelScaleOp, grad, inputs[1])
		if err != nil {
			return nil, err
		}
		gg, err := apply(channelDotOp, grad, inputs[0])
		if err != nil {
			return nil, err
		}
		gb, err := apply(channelSumOp, grad)
		return G.Nodes{gx, gg, gb}, err
	},
}

// channelScaleOp: (x (N,C,H,W), gamma (1,C,1,1)) -> x * gamma per channel.
var channelScaleOp = &kernelOp{
	name:  "rgunit.ChannelScale",
	dims:  []int{4, 4, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		c := s[0][1]
		planes(s[0], func(p, size int) {
			g := in[1][p%c]
			x, o := in[0][p*size:(p+1)*size], out[p*size:(p+1)*size]
			for i, v := range x {
				o[i] = v * g
			}
		})
	},
}

// channelDotOp: (a, b) (N,C,H,W) -> (1,C,1,1), per channel the sum over
// samples and pixels of a * b.
var channelDotOp = &kernelOp{
	name:  "rgunit.ChannelDot",
	dims:  []int{4, 4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{1, in[0][1], 1, 1}, nil },
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		c, size := s[0][1], s[0][2]*s[0][3]
		for p := range s[0][0] * c {
			a, b := in[0][p*size:(p+1)*size], in[1][p*size:(p+1)*size]
			var sum float32
			for i, v := range a {
				sum += v * b[i]
			}
			out[p%c] += sum
		}
	},
}

// avgPoolOp halves height and width of (N,C,H,W) by averaging 2x2 blocks.
var avgPoolOp = &kernelOp{
	name: "rgunit.AvgPool2",
	dims: []int{4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		s := in[0]
		if s[2]%2 != 0 || s[3]%2 != 0 {
			return nil, fmt.Errorf("nn: 2x2 average pooling of odd shape %v", s)
		}
		return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		h, w := s[0][2], s[0][3]
		oh, ow := h/2, w/2
		for p := range s[0][0] * s[0][1] {
			x, o := in[0][p*h*w:(p+1)*h*w], out[p*oh*ow:(p+1)*oh*ow]
			for y := range oh {
				r0, r1 := x[2*y*w:], x[(2*y+1)*w:]
				for xx := range ow {
					o[y*ow+xx] = 0.25 * (r0[2*xx] + r0[2*xx+1] + r1[2*xx] + r1[2*xx+1])
				}
			}
		}
	},
	grad: func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := apply(avgPoolGradOp, grad)
		return G.Nodes{g}, err
	},
}

// avgPoolGradOp spreads each gradient value over its 2x2 block, divided by 4.
var avgPoolGradOp = &kernelOp{
	name: "rgunit.AvgPool2Grad",
	dims: []int{4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		s := in[0]
		return tensor.Shape{s[0], s[1], s[2] * 2, s[3] * 2}, nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		oh, ow := s[0][2], s[0][3]
		w := 2 * ow
		for p := range s[0][0] * s[0][1] {
			d, o := in[0][p*oh*ow:(p+1)*oh*ow], out[p*4*oh*ow:(p+1)*4*oh*ow]
			for y := range oh {
				for xx := range ow {
					v := 0.25 * d[y*ow+xx]
					o[2*y*w+2*xx], o[2*y*w+2*xx+1] = v, v
					o[(2*y+1)*w+2*xx], o[(2*y+1)*w+2*xx+1] = v, v
				}
			}
		}
	},
}

// stopGradOp is the identity whose input gets no gradient.
func stopGradOp(dims int) *kernelOp {
	return &kernelOp{
		name:  fmt.Sprintf("rgunit.StopGradient{%dd}", dims),
		dims:  []int{dims, dims},
		shape: sameShape,
		do:    func(in [][]float32, _ []tensor.Shape, out []float32) { copy(out, in[0]) },
	}
}

// LayerNorm normalizes each sample of x (N,C,H,W) over all its values and
// applies a learned per-channel scale and bias (1,C,1,1), as MUNIT's
// decoder does after its upsampling convolutions.
func (b *Builder) LayerNorm(x *G.Node, gamma, beta *tensor.Dense) *G.Node {
	if !b.ok(x) {
		return nil
	}
	xn := b.must(apply(layerNormOp, x))
	if !b.ok(xn) {
		return nil
	}
	return b.must(apply(channelAffineOp, xn, b.P(gamma), b.P(beta)))
}

// AvgPool halves the height and width of x (N,C,H,W) by averaging 2x2
// blocks.
func (b *Builder) AvgPool(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(avgPoolOp, x))
}

// StopGradient is x, through which no gradient flows back.
func (b *Builder) StopGradient(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.must(apply(stopGradOp(x.Dims()), x))
}

// Mix is b + mask * (a - b): per element a where mask is 1 and b where it
// is 0 (mask, a and b of one shape).
func (b *Builder) Mix(mask, x, y *G.Node) *G.Node {
	if !b.ok(mask, x, y) {
		return nil
	}
	d := b.must(G.Sub(x, y))
	if !b.ok(d) {
		return nil
	}
	return b.must(G.Add(y, b.must(G.HadamardProd(mask, d))))
}

// Scale multiplies a node by a scalar input node.
func (b *Builder) Scale(x, s *G.Node) *G.Node {
	if !b.ok(x, s) {
		return nil
	}
	return b.must(G.Mul(x, s))
}
