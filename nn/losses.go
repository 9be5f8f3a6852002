package nn

import (
	"math"

	G "gorgonia.org/gorgonia"
)

func (b *Builder) scalarConst(v float64) *G.Node { return G.NewConstant(float32(v)) }

// L1 is mean(|x - y|).
func (b *Builder) L1(x, y *G.Node) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.must(G.Mean(b.must(G.Abs(b.must(G.Sub(x, y))))))
}

// MSEConst is mean((x - c)^2): the LSGAN losses.
func (b *Builder) MSEConst(x *G.Node, c float64) *G.Node {
	if !b.ok(x) {
		return nil
	}
	d := x
	if c != 0 {
		d = b.must(G.Sub(x, b.scalarConst(c)))
	}
	return b.must(G.Mean(b.must(G.Square(d))))
}

// BCEWithLogits is the mean binary cross-entropy of logits against targets
// in {0, 1}: mean(softplus(l) - l*t).
func (b *Builder) BCEWithLogits(logits, targets *G.Node) *G.Node {
	if !b.ok(logits, targets) {
		return nil
	}
	sp := b.must(G.Softplus(logits))
	lt := b.must(G.HadamardProd(logits, targets))
	return b.must(G.Mean(b.must(G.Sub(sp, lt))))
}

// Reparam draws mu + exp(logvar/2) * eps (eps a standard normal input).
func (b *Builder) Reparam(mu, logvar, eps *G.Node) *G.Node {
	if !b.ok(mu, logvar, eps) {
		return nil
	}
	std := b.must(G.Exp(b.must(G.Mul(logvar, b.scalarConst(0.5)))))
	return b.must(G.Add(mu, b.must(G.HadamardProd(std, eps))))
}

// GaussKL is the mean over elements of KL(N(mu, exp(logvar)) || N(m, s^2)).
func (b *Builder) GaussKL(mu, logvar, m *G.Node, s float64) *G.Node {
	if !b.ok(mu, logvar, m) {
		return nil
	}
	inv := b.scalarConst(1 / (s * s))
	v := b.must(G.Mul(b.must(G.Exp(logvar)), inv))
	d := b.must(G.Mul(b.must(G.Square(b.must(G.Sub(mu, m)))), inv))
	mean := b.must(G.Mean(b.must(G.Sub(b.must(G.Add(v, d)), logvar))))
	if !b.ok(mean) {
		return nil
	}
	half := b.must(G.Mul(mean, b.scalarConst(0.5)))
	return b.must(G.Add(half, b.scalarConst(0.5*(math.Log(s*s)-1))))
}

// WeightedSum is sum(w_i * x_i) over scalar nodes.
func (b *Builder) WeightedSum(xs []*G.Node, ws []float64) *G.Node {
	var sum *G.Node
	for i, x := range xs {
		if !b.ok(x) {
			return nil
		}
		term := b.must(G.Mul(x, b.scalarConst(ws[i])))
		if sum == nil {
			sum = term
		} else {
			sum = b.must(G.Add(sum, term))
		}
	}
	return sum
}

// Distance is the L2 distance between the rows of a and b: (N, D) -> (N).
func (b *Builder) Distance(x, y *G.Node) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.must(apply(rowDistOp, x, y))
}

// Triplet is the triplet margin loss mean(max(0, |a - p| - |a - n| +
// margin)) over the rows of anchor, positive and negative (N, D).
func (b *Builder) Triplet(anchor, pos, neg *G.Node, margin float64) *G.Node {
	dp, dn := b.Distance(anchor, pos), b.Distance(anchor, neg)
	if !b.ok(dp, dn) {
		return nil
	}
	h := b.must(G.Add(b.must(G.Sub(dp, dn)), b.scalarConst(margin)))
	if !b.ok(h) {
		return nil
	}
	return b.must(G.Mean(b.ReLU(h)))
}
