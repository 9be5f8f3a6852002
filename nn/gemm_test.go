package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSgemm: the fast Sgemm equals gonum's for every transpose, shapes with
// and without remainders, strides wider than the matrices, and alpha/beta.
func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, sh := range [][3]int{{1, 16, 1}, {4, 16, 7}, {5, 33, 9}, {64, 256, 576}, {3, 1024, 144}, {7, 20, 3}, {2, 5, 4}, {16, 144, 2048}, {3, 784, 531}, {6, 7, 1100}, {9, 10, 64}, {128, 4, 2048}, {1, 1, 64}, {5, 15, 100}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {2, -0.5}} {
					lda, ldb, ldc := k+1, n+2, n+3
					if tA == blas.Trans {
						lda = m + 1
					}
					if tB == blas.Trans {
						ldb = k + 2
					}
					a, b := fill(max(m, k)*lda), fill(max(n, k)*ldb)
					c := fill(m * ldc)
					want := append([]float32(nil), c...)
					BLAS{}.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					gonum.Implementation{}.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
					for i := range c {
						if d := math.Abs(float64(c[i] - want[i])); d > 1e-3*math.Max(1, math.Abs(float64(want[i]))) {
							t.Fatalf("m=%d n=%d k=%d tA=%v tB=%v alpha/beta=%v: c[%d] = %v, gonum %v", m, n, k, tA, tB, ab, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkSgemm compares the fast Sgemm with gonum's on a convolution-sized
// product (64 x 576 times 576 x 1024) and on a batch-1 query's small map
// (128 x 2048 times 2048 x 4: few columns, taken as dot products).
func BenchmarkSgemm(b *testing.B) {
	for _, sh := range [][3]int{{64, 1024, 576}, {128, 4, 2048}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, x, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = float32(i % 7)
		}
		for i := range x {
			x[i] = float32(i % 5)
		}
		for _, impl := range []struct {
			name string
			f    func()
		}{
			{"rgunit", func() { BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, x, n, 0, c, n) }},
			{"gonum", func() { gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, x, n, 0, c, n) }},
		} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, impl.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					impl.f()
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmNTFewRows: a weight-gradient product with fewer than 4 rows
// (3 output channels) matches gonum's.
func TestSgemmNTFewRows(t *testing.T) {
	for _, c := range []struct{ m, n, k int }{{3, 784, 8192}, {1, 20, 64}, {2, 9, 100}, {3, 147, 70}} {
		a, b := make([]float32, c.m*c.k), make([]float32, c.n*c.k)
		for i := range a {
			a[i] = float32(i%13) - 6
		}
		for i := range b {
			b[i] = float32(i%7) - 3
		}
		got, want := make([]float32, c.m*c.n), make([]float32, c.m*c.n)
		for i := range got {
			got[i], want[i] = 1, 1
		}
		BLAS{}.Sgemm(blas.NoTrans, blas.Trans, c.m, c.n, c.k, 1, a, c.k, b, c.k, 1, got, c.n)
		gonum.Implementation{}.Sgemm(blas.NoTrans, blas.Trans, c.m, c.n, c.k, 1, a, c.k, b, c.k, 1, want, c.n)
		for i := range got {
			if d := got[i] - want[i]; d > 1e-2*max(1, abs32(want[i])) || -d > 1e-2*max(1, abs32(want[i])) {
				t.Fatalf("%+v: value %d: %v, want %v", c, i, got[i], want[i])
			}
		}
	}
}

func abs32(x float32) float32 { return max(x, -x) }
