package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// upsampleOp is a 2x nearest-neighbour upsampling of float32 (N,C,H,W)
// tensors. gorgonia's Upsample2D reads and writes every element through
// interfaces (At/SetAt): its backward pass alone took 11% of a stage-1
// step. These loops work on the backing slices.
type upsampleOp struct{ grad bool }

func (op upsampleOp) Arity() int { return 1 }

func (op upsampleOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (op upsampleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("nn: upsample needs a 4-d shape, got %v", in[0])
	}
	s = s.Clone()
	if op.grad {
		if s[2]%2 != 0 || s[3]%2 != 0 {
			return nil, fmt.Errorf("nn: upsample gradient of odd shape %v", s)
		}
		s[2], s[3] = s[2]/2, s[3]/2
	} else {
		s[2], s[3] = s[2]*2, s[3]*2
	}
	return s, nil
}

func (op upsampleOp) Do(vals ...G.Value) (G.Value, error) {
	in, ok := vals[0].(*tensor.Dense)
	if !ok || in.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("nn: upsample needs a float32 dense tensor")
	}
	shape, err := op.InferShape(in.Shape())
	if err != nil {
		return nil, err
	}
	src := in.Data().([]float32)
	out := make([]float32, shape.TotalSize())
	if op.grad {
		upsampleGrad(src, out, shape[0]*shape[1], shape[2], shape[3])
	} else {
		upsample(src, out, shape[0]*shape[1], in.Shape()[2], in.Shape()[3])
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

// upsample repeats each pixel of planes h x w into a 2x2 block.
func upsample(src, dst []float32, planes, h, w int) {
	for p := range planes {
		s := src[p*h*w : (p+1)*h*w]
		d := dst[p*4*h*w : (p+1)*4*h*w]
		for y := range h {
			row := d[2*y*2*w : (2*y+1)*2*w]
			for x, v := range s[y*w : (y+1)*w] {
				row[2*x], row[2*x+1] = v, v
			}
			copy(d[(2*y+1)*2*w:(2*y+2)*2*w], row)
		}
	}
}

// upsampleGrad sums each 2x2 block of the gradient (planes of 2h x 2w)
// into one pixel (planes of h x w).
func upsampleGrad(src, dst []float32, planes, h, w int) {
	for p := range planes {
		s := src[p*4*h*w : (p+1)*4*h*w]
		d := dst[p*h*w : (p+1)*h*w]
		for y := range h {
			r0, r1 := s[2*y*2*w:(2*y+1)*2*w], s[(2*y+1)*2*w:(2*y+2)*2*w]
			for x := range w {
				d[y*w+x] = r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]
			}
		}
	}
}

func (op upsampleOp) ReturnsPtr() bool     { return false }
func (op upsampleOp) CallsExtern() bool    { return false }
func (op upsampleOp) OverwritesInput() int { return -1 }
func (op upsampleOp) String() string {
	if op.grad {
		return "rgunit.Upsample2xGrad"
	}
	return "rgunit.Upsample2x"
}
func (op upsampleOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op upsampleOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// DiffWRT and SymDiff make the forward op differentiable: its gradient is
// the 2x2 sum of the output's gradient.
func (op upsampleOp) DiffWRT(int) []bool { return []bool{!op.grad} }

func (op upsampleOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("nn: the upsample gradient is not differentiable")
	}
	g, err := G.ApplyOp(upsampleOp{grad: true}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}
