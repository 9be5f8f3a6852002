package nn

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCompositeGradient checks the patterns the models are made of, where
// gorgonia's views and in-place ops could interact: a residual block with
// instance norm, and AdaIN parameters sliced out of one MLP output.
func TestCompositeGradient(t *testing.T) {
	gradCheck(t, "residual", func(b *Builder, in []*G.Node) *G.Node {
		h := b.must(G.Conv2d(in[0], in[1], tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}))
		h = b.LeakyReLU(b.InstanceNorm(h))
		return b.must(G.Add(in[0], h))
	}, []int{2, 2, 4, 4}, []int{2, 2, 3, 3})
	gradCheck(t, "mlp-adain", func(b *Builder, in []*G.Node) *G.Node {
		h := b.LeakyReLU(b.must(G.Mul(in[1], in[2]))) // (2,4) x (4,6) -> (2,6)
		gamma := b.must(G.Slice(h, nil, tensor.S(0, 3)))
		beta := b.must(G.Slice(h, nil, tensor.S(3, 6)))
		return b.AdaIN(in[0], gamma, beta)
	}, []int{2, 3, 4, 4}, []int{2, 4}, []int{4, 6})
}
