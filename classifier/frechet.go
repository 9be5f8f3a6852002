package classifier

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// FrechetDistance is the Fréchet distance between Gaussians fitted to two
// sets of feature vectors: |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)).
// The trace of the matrix square root is computed as the sum of the square
// roots of the eigenvalues of S_a^(1/2) S_b S_a^(1/2) (symmetric).
func FrechetDistance(a, b [][]float32) float64 {
	ma, sa := meanCov(a)
	mb, sb := meanCov(b)
	var d2 float64
	for i := range ma {
		d2 += (ma[i] - mb[i]) * (ma[i] - mb[i])
	}
	root := sqrtSym(sa)
	var m mat.Dense
	m.Mul(root, sb)
	m.Mul(&m, root)
	n, _ := m.Dims()
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	eig.Factorize(sym, false)
	var trRoot float64
	for _, v := range eig.Values(nil) {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	return d2 + mat.Trace(sa) + mat.Trace(sb) - 2*trRoot
}

func meanCov(xs [][]float32) ([]float64, *mat.SymDense) {
	d := len(xs[0])
	mu := make([]float64, d)
	for _, x := range xs {
		for i, v := range x {
			mu[i] += float64(v)
		}
	}
	for i := range mu {
		mu[i] /= float64(len(xs))
	}
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var s float64
			for _, x := range xs {
				s += (float64(x[i]) - mu[i]) * (float64(x[j]) - mu[j])
			}
			cov.SetSym(i, j, s/float64(max(len(xs)-1, 1)))
		}
	}
	return mu, cov
}

// sqrtSym is the square root of a symmetric positive semi-definite matrix.
func sqrtSym(s *mat.SymDense) *mat.Dense {
	var eig mat.EigenSym
	eig.Factorize(s, true)
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	n := len(vals)
	d := mat.NewDiagDense(n, nil)
	for i, v := range vals {
		d.SetDiag(i, math.Sqrt(math.Max(v, 0)))
	}
	var out mat.Dense
	out.Mul(&vecs, d)
	out.Mul(&out, vecs.T())
	return &out
}

// Diversity is the mean pairwise L1 distance between samples of one input.
func Diversity(samples [][]float32) float64 {
	var sum float64
	var pairs int
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			var d float64
			for k := range samples[i] {
				d += math.Abs(float64(samples[i][k] - samples[j][k]))
			}
			sum += d / float64(len(samples[i]))
			pairs++
		}
	}
	if pairs == 0 {
		return 0
	}
	return sum / float64(pairs)
}
