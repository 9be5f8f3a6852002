package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// matMulOp multiplies two matrices, either of them read transposed, with
// this package's Sgemm. It replaces gorgonia's matrix product in Linear:
// gorgonia's backward pass transposes a weight tensor in place (T, then
// UT), so two graphs over the same weights, run at once (a step split by
// parts), saw each other's half-transposed tensors. This op never writes
// its inputs.
func matMulOp(tA, tB bool) *kernelOp {
	dim := func(s tensor.Shape, t bool) (rows, cols int) {
		if t {
			return s[1], s[0]
		}
		return s[0], s[1]
	}
	trans := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	op := &kernelOp{
		name: fmt.Sprintf("rgunit.MatMul{%t,%t}", tA, tB),
		dims: []int{2, 2, 2},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			m, k := dim(in[0], tA)
			k2, n := dim(in[1], tB)
			if k != k2 {
				return nil, fmt.Errorf("nn: matrix product of %v by %v (transposed: %t, %t)", in[0], in[1], tA, tB)
			}
			return tensor.Shape{m, n}, nil
		},
		do: func(in [][]float32, s []tensor.Shape, out []float32) {
			m, k := dim(s[0], tA)
			_, n := dim(s[1], tB)
			BLAS{}.Sgemm(trans(tA), trans(tB), m, n, k, 1, in[0], s[0][1], in[1], s[1][1], 0, out, n)
		},
	}
	if !tA && !tB {
		// C = A B: dA = dC B^T, dB = A^T dC.
		op.grad = func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			ga, err := apply(matMulOp(false, true), grad, inputs[1])
			if err != nil {
				return nil, err
			}
			gb, err := apply(matMulOp(true, false), inputs[0], grad)
			return G.Nodes{ga, gb}, err
		}
	}
	return op
}
