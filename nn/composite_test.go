package nn

import (
	"math"
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

// TestLossGradients checks the losses of stage 1 against finite
// differences (first input: predictions; others: targets or noise).
func TestLossGradients(t *testing.T) {
	gradCheck(t, "L1", func(b *Builder, in []*G.Node) *G.Node { return b.L1(in[0], in[1]) }, []int{3, 4}, []int{3, 4})
	gradCheck(t, "MSEConst", func(b *Builder, in []*G.Node) *G.Node { return b.MSEConst(in[0], 1) }, []int{2, 1, 2, 2})
	gradCheck(t, "BCEWithLogits", func(b *Builder, in []*G.Node) *G.Node {
		return b.BCEWithLogits(in[0], in[1])
	}, []int{3, 2}, []int{3, 2})
	gradCheck(t, "Reparam", func(b *Builder, in []*G.Node) *G.Node { return b.Reparam(in[0], in[1], in[2]) },
		[]int{2, 3}, []int{2, 3}, []int{2, 3})
	gradCheck(t, "GaussKL", func(b *Builder, in []*G.Node) *G.Node { return b.GaussKL(in[0], in[1], in[2], 0.5) },
		[]int{2, 3}, []int{2, 3}, []int{2, 3})
	gradCheck(t, "WeightedSum", func(b *Builder, in []*G.Node) *G.Node {
		return b.WeightedSum([]*G.Node{b.L1(in[0], in[1]), b.MSEConst(in[0], 0)}, []float64{10, 0.5})
	}, []int{3, 4}, []int{3, 4})
}

// TestGaussKLValue: KL(N(0,1) || N(0,1)) = 0 and KL(N(1, 0.25) || N(0, 0.25)) = 2.
func TestGaussKLValue(t *testing.T) {
	for _, c := range []struct {
		mu, lv, m, s, want float64
	}{{0, 0, 0, 1, 0}, {1, math.Log(0.25), 0, 0.5, 2}} {
		b := NewBuilder()
		one := func(v float64) *G.Node {
			return b.P(tensor.New(tensor.WithShape(1, 1), tensor.WithBacking([]float32{float32(v)})))
		}
		kl := b.GaussKL(one(c.mu), one(c.lv), one(c.m), c.s)
		m := G.NewTapeMachine(b.G)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		if got := float64(kl.Value().Data().(float32)); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("KL %+v = %v", c, got)
		}
		m.Close()
	}
}
