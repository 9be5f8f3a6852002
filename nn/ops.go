package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernelOp is a float32 gorgonia op written as a plain loop over the
// backing slices. gorgonia builds bias adds, leaky ReLU and instance norm
// out of broadcasts (a Repeat that copies the smaller operand to the full
// shape), comparisons, masks and element-wise products, each allocating a
// full-size tensor, forward and backward: a quarter of a stage-1 step. One
// kernelOp does each in one pass, and its gradient is another kernelOp.
//
// Ops are compared by name (gorgonia hash-conses equal ops on equal
// inputs), so the name carries every parameter.
type kernelOp struct {
	name string
	dims []int // of each input, then of the output
	// shape returns the output's shape from the inputs'.
	shape func(in []tensor.Shape) (tensor.Shape, error)
	// do fills out (zeroed, of the output's shape) from the inputs.
	do func(in [][]float32, shapes []tensor.Shape, out []float32)
	// grad returns the gradient nodes of the inputs (nil: not
	// differentiable; a nil node: no gradient for that input).
	grad func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error)
}

func (op *kernelOp) Arity() int { return len(op.dims) - 1 }

func (op *kernelOp) Type() hm.Type {
	ts := make(hm.Types, len(op.dims))
	for i, d := range op.dims {
		ts[i] = G.TensorType{Dims: d, Of: hm.TypeVariable('a')}
	}
	return hm.NewFnType(ts...)
}

func (op *kernelOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(in))
	for i, d := range in {
		s, ok := d.(tensor.Shape)
		if !ok || len(s) != op.dims[i] {
			return nil, fmt.Errorf("nn: %s: input %d has shape %v, want %d dimensions", op.name, i, d, op.dims[i])
		}
		shapes[i] = s
	}
	return op.shape(shapes)
}

func (op *kernelOp) Do(vals ...G.Value) (G.Value, error) {
	ins := make([][]float32, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		d, s, err := f32s(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op.name, err)
		}
		ins[i], shapes[i] = d, s
	}
	shape, err := op.shape(shapes)
	if err != nil {
		return nil, err
	}
	out := make([]float32, shape.TotalSize())
	op.do(ins, shapes, out)
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

func (op *kernelOp) ReturnsPtr() bool      { return false }
func (op *kernelOp) CallsExtern() bool     { return false }
func (op *kernelOp) OverwritesInput() int  { return -1 }
func (op *kernelOp) String() string        { return op.name }
func (op *kernelOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.name) }
func (op *kernelOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *kernelOp) DiffWRT(n int) []bool {
	w := make([]bool, n)
	for i := range w {
		w[i] = op.grad != nil
	}
	return w
}

func (op *kernelOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad == nil {
		return nil, fmt.Errorf("nn: %s is not differentiable", op.name)
	}
	return op.grad(inputs, output, grad)
}

// apply applies op to the nodes.
func apply(op *kernelOp, in ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, in...) }

func sameShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }

// planes calls f for each (sample, channel) plane index of an (N,C,H,W)
// shape with the plane's size, on all cores when the tensor is large.
func planes(s tensor.Shape, f func(p, size int)) {
	n, size := s[0]*s[1], s[2]*s[3]
	if n*size < 1<<15 {
		for p := range n {
			f(p, size)
		}
		return
	}
	parallel(n, func(p int) { f(p, size) })
}

// spans runs f over [0, n) in one span, or in one span per core when n is
// large.
func spans(n int, f func(lo, hi int)) {
	workers := cores()
	if n < 1<<15 || workers == 1 {
		f(0, n)
		return
	}
	per := (n + workers - 1) / workers
	parallel(workers, func(w int) { f(min(w*per, n), min((w+1)*per, n)) })
}

// leakyOp is max(x, 0) + slope * min(x, 0).
func leakyOp(slope float32, dims int) *kernelOp {
	return &kernelOp{
		name:  fmt.Sprintf("rgunit.Leaky{%g,%dd}", slope, dims),
		dims:  []int{dims, dims},
		shape: sameShape,
		do: func(in [][]float32, _ []tensor.Shape, out []float32) {
			spans(len(out), func(lo, hi int) {
				o := out[lo:hi]
				for i, v := range in[0][lo:hi] {
					o[i] = max(v, v*slope) // branchless: slope is in [0, 1)
				}
			})
		},
		grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			g, err := apply(leakyGradOp(slope, dims), inputs[0], grad)
			return G.Nodes{g}, err
		},
	}
}

// leakyGradOp: (x, dy) -> dy where x >= +0, slope * dy where x <= -0.
func leakyGradOp(slope float32, dims int) *kernelOp {
	return &kernelOp{
		name:  fmt.Sprintf("rgunit.LeakyGrad{%g,%dd}", slope, dims),
		dims:  []int{dims, dims, dims},
		shape: sameShape,
		do: func(in [][]float32, _ []tensor.Shape, out []float32) {
			// The factor is picked by x's sign bit, not a branch: signs
			// are random, and a mispredicted branch per value made this
			// op cost 6x the forward one.
			factor := [2]float32{1, slope}
			spans(len(out), func(lo, hi int) {
				x, dy, o := in[0][lo:hi], in[1][lo:hi], out[lo:hi]
				dy = dy[:len(x)]
				o = o[:len(x)]
				for i, v := range x {
					o[i] = factor[math.Float32bits(v)>>31] * dy[i]
				}
			})
		},
	}
}

// biasOp adds bias (1,C,1,1) to every plane of x (N,C,H,W).
var biasOp = &kernelOp{
	name: "rgunit.Bias",
	dims: []int{4, 4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		if in[1].TotalSize() != in[0][1] {
			return nil, fmt.Errorf("nn: bias of shape %v for %v", in[1], in[0])
		}
		return in[0].Clone(), nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		x, bias, c := in[0], in[1], s[0][1]
		planes(s[0], func(p, size int) {
			v := bias[p%c]
			o, xs := out[p*size:(p+1)*size], x[p*size:(p+1)*size]
			for i := range o {
				o[i] = xs[i] + v
			}
		})
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		gb, err := apply(channelSumOp, grad)
		return G.Nodes{grad, gb}, err
	},
}

// channelSumOp sums (N,C,H,W) over samples and pixels: (1,C,1,1), the
// gradient of a bias.
var channelSumOp = &kernelOp{
	name:  "rgunit.ChannelSum",
	dims:  []int{4, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{1, in[0][1], 1, 1}, nil },
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		c, size := s[0][1], s[0][2]*s[0][3]
		for p := range s[0][0] * c {
			var sum float32
			for _, v := range in[0][p*size : (p+1)*size] {
				sum += v
			}
			out[p%c] += sum
		}
	},
}

// planeStats returns the mean and 1/sqrt(variance + Epsilon) of a plane.
func planeStats(x []float32) (mean, inv float32) {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	m := s / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - m
		ss += d * d
	}
	return float32(m), float32(1 / math.Sqrt(ss/float64(len(x))+Epsilon))
}

// instNormOp normalizes each plane of (N,C,H,W) to zero mean and unit
// (biased) variance.
var instNormOp = &kernelOp{
	name:  "rgunit.InstanceNorm",
	dims:  []int{4, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		normalize(in[0], out, s[0][0]*s[0][1], s[0][2]*s[0][3])
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := apply(instNormGradOp, inputs[0], grad)
		return G.Nodes{g}, err
	},
}

// instNormGradOp: (x, dy) -> dx per plane (see normalizeGrad).
var instNormGradOp = &kernelOp{
	name:  "rgunit.InstanceNormGrad",
	dims:  []int{4, 4, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		normalizeGrad(in[0], in[1], out, s[0][0]*s[0][1], s[0][2]*s[0][3])
	},
}

// planeAffineOp: (x (N,C,H,W), gamma (N,C), beta (N,C)) -> x * gamma +
// beta per plane (AdaIN's transform).
var planeAffineOp = &kernelOp{
	name: "rgunit.PlaneAffine",
	dims: []int{4, 2, 2, 4},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		if in[1][0] != in[0][0] || in[1][1] != in[0][1] || !in[1].Eq(in[2]) {
			return nil, fmt.Errorf("nn: plane affine of %v by %v and %v", in[0], in[1], in[2])
		}
		return in[0].Clone(), nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		planes(s[0], func(p, size int) {
			g, b := in[1][p], in[2][p]
			x, o := in[0][p*size:(p+1)*size], out[p*size:(p+1)*size]
			for i, v := range x {
				o[i] = v*g + b
			}
		})
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		gx, err := apply(planeScaleOp, grad, inputs[1])
		if err != nil {
			return nil, err
		}
		gg, err := apply(planeDotOp, grad, inputs[0])
		if err != nil {
			return nil, err
		}
		gb, err := apply(planeSumOp, grad)
		return G.Nodes{gx, gg, gb}, err
	},
}

// planeScaleOp: (x (N,C,H,W), gamma (N,C)) -> x * gamma per plane.
var planeScaleOp = &kernelOp{
	name:  "rgunit.PlaneScale",
	dims:  []int{4, 2, 4},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		planes(s[0], func(p, size int) {
			g := in[1][p]
			x, o := in[0][p*size:(p+1)*size], out[p*size:(p+1)*size]
			for i, v := range x {
				o[i] = v * g
			}
		})
	},
}

func planeShape(in []tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{in[0][0], in[0][1]}, nil
}

// planeDotOp: (a, b) (N,C,H,W) -> (N,C), the dot product of each pair of
// planes.
var planeDotOp = &kernelOp{
	name:  "rgunit.PlaneDot",
	dims:  []int{4, 4, 2},
	shape: planeShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		size := s[0][2] * s[0][3]
		for p := range out {
			a, b := in[0][p*size:(p+1)*size], in[1][p*size:(p+1)*size]
			var sum float32
			for i, v := range a {
				sum += v * b[i]
			}
			out[p] = sum
		}
	},
}

// planeSumOp: (N,C,H,W) -> (N,C), the sum of each plane.
var planeSumOp = &kernelOp{
	name:  "rgunit.PlaneSum",
	dims:  []int{4, 2},
	shape: planeShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		size := s[0][2] * s[0][3]
		for p := range out {
			var sum float32
			for _, v := range in[0][p*size : (p+1)*size] {
				sum += v
			}
			out[p] = sum
		}
	},
}

// flattenOp copies (N, ...) into (N, rest): a copy rather than gorgonia's
// reshape view, which in-place ops downstream can write through.
func flattenOp(in tensor.Shape) *kernelOp {
	return &kernelOp{
		name: fmt.Sprintf("rgunit.Flatten%v", in),
		dims: []int{len(in), 2},
		shape: func(s []tensor.Shape) (tensor.Shape, error) {
			return tensor.Shape{s[0][0], s[0].TotalSize() / s[0][0]}, nil
		},
		do: func(x [][]float32, _ []tensor.Shape, out []float32) { copy(out, x[0]) },
		grad: func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			g, err := apply(unflattenOp(in), grad)
			return G.Nodes{g}, err
		},
	}
}

// unflattenOp copies (N, rest) back into shape to.
func unflattenOp(to tensor.Shape) *kernelOp {
	return &kernelOp{
		name:  fmt.Sprintf("rgunit.Unflatten%v", to),
		dims:  []int{2, len(to)},
		shape: func([]tensor.Shape) (tensor.Shape, error) { return to.Clone(), nil },
		do:    func(x [][]float32, _ []tensor.Shape, out []float32) { copy(out, x[0]) },
	}
}

// rowNormOp scales each row of (N, D) to unit L2 norm.
var rowNormOp = &kernelOp{
	name:  "rgunit.RowNorm",
	dims:  []int{2, 2},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		d := s[0][1]
		for r := range s[0][0] {
			x, o := in[0][r*d:(r+1)*d], out[r*d:(r+1)*d]
			inv := 1 / rowNorm(x)
			for i, v := range x {
				o[i] = v * inv
			}
		}
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := apply(rowNormGradOp, inputs[0], grad)
		return G.Nodes{g}, err
	},
}

// rowNorm is the L2 norm of x, at least 1e-6.
func rowNorm(x []float32) float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return float32(max(math.Sqrt(ss), 1e-6))
}

// rowNormGradOp: (x, dy) -> (dy - y (y . dy)) / |x| per row, y = x / |x|.
var rowNormGradOp = &kernelOp{
	name:  "rgunit.RowNormGrad",
	dims:  []int{2, 2, 2},
	shape: sameShape,
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		d := s[0][1]
		for r := range s[0][0] {
			x, dy, o := in[0][r*d:(r+1)*d], in[1][r*d:(r+1)*d], out[r*d:(r+1)*d]
			inv := 1 / rowNorm(x)
			var dot float32
			for i, v := range x {
				dot += v * inv * dy[i]
			}
			for i, v := range x {
				o[i] = (dy[i] - v*inv*dot) * inv
			}
		}
	},
}

// rowDistOp: (a, b) (N, D) -> (N), the L2 distance of each pair of rows.
var rowDistOp = &kernelOp{
	name: "rgunit.RowDist",
	dims: []int{2, 2, 1},
	shape: func(in []tensor.Shape) (tensor.Shape, error) {
		if !in[0].Eq(in[1]) {
			return nil, fmt.Errorf("nn: distance between %v and %v", in[0], in[1])
		}
		return tensor.Shape{in[0][0]}, nil
	},
	do: func(in [][]float32, s []tensor.Shape, out []float32) {
		d := s[0][1]
		for r := range out {
			out[r] = rowDistance(in[0][r*d:(r+1)*d], in[1][r*d:(r+1)*d])
		}
	},
	grad: func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		ga, err := apply(rowDistGradOp(1), inputs[0], inputs[1], grad)
		if err != nil {
			return nil, err
		}
		gb, err := apply(rowDistGradOp(-1), inputs[0], inputs[1], grad)
		return G.Nodes{ga, gb}, err
	},
}

// rowDistance is |a - b|, at least 1e-6 (its gradient is finite at 0).
func rowDistance(a, b []float32) float32 {
	var ss float64
	for i, v := range a {
		d := float64(v - b[i])
		ss += d * d
	}
	return float32(max(math.Sqrt(ss), 1e-6))
}

// rowDistGradOp: (a, b, g (N)) -> sign * g (a - b) / |a - b| per row.
func rowDistGradOp(sign float32) *kernelOp {
	return &kernelOp{
		name:  fmt.Sprintf("rgunit.RowDistGrad{%g}", sign),
		dims:  []int{2, 2, 1, 2},
		shape: sameShape,
		do: func(in [][]float32, s []tensor.Shape, out []float32) {
			d := s[0][1]
			for r := range s[0][0] {
				a, b, o := in[0][r*d:(r+1)*d], in[1][r*d:(r+1)*d], out[r*d:(r+1)*d]
				k := sign * in[2][r] / rowDistance(a, b)
				for i, v := range a {
					o[i] = k * (v - b[i])
				}
			}
		},
	}
}
