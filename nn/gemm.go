package nn

import (
	"os"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BLAS is gonum's pure-Go BLAS with a faster single-precision GEMM: our
// AVX2+FMA 4x16 micro-kernel (gemm_amd64.s) over packed operands, split
// over the cores for large products. gorgonia's convolutions and matrix
// products spend half their time in Sgemm. Elsewhere (no AVX2) it is
// gonum's.
type BLAS struct{ gonum.Implementation }

func init() {
	// RGUNIT_BLAS=gonum keeps gonum's Sgemm (for comparisons).
	if hasAVX2 && os.Getenv("RGUNIT_BLAS") != "gonum" {
		G.Use(BLAS{})
	}
}

// parallelFlops: products below this many multiply-adds run on one core.
const parallelFlops = 1 << 20

// Sgemm computes C = alpha * op(A) * op(B) + beta * C (row-major).
func (impl BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !hasAVX2 || m == 0 || n == 0 || n < 16 {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// C = beta * C.
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	// Pack A (m x k, alpha folded in) and B (k x n) contiguous, untransposed.
	ap := a
	if tA != blas.NoTrans || lda != k || alpha != 1 {
		ap = getBuf(m * k)
		defer putBuf(ap)
		for i := range m {
			for p := range k {
				var x float32
				if tA == blas.NoTrans {
					x = a[i*lda+p]
				} else {
					x = a[p*lda+i]
				}
				ap[i*k+p] = alpha * x
			}
		}
	}
	// B is packed strip by strip, by the worker that uses the strip: k rows
	// of 16 contiguous values, so the micro-kernel reads it sequentially.
	strips := n / 16
	work := func(s0, s1 int) {
		strip := getBuf(k * 16)
		defer putBuf(strip)
		for s := s0; s < s1; s++ {
			j := s * 16
			if tB == blas.NoTrans {
				for p := range k { // 16-float array copies: no memmove call per row
					*(*[16]float32)(strip[p*16:]) = *(*[16]float32)(b[p*ldb+j:])
				}
			} else {
				for q := range 16 { // read each row of B^T contiguously
					src := b[(j+q)*ldb : (j+q)*ldb+k]
					for p, v := range src {
						strip[p*16+q] = v
					}
				}
			}
			i := 0
			for ; i+4 <= m; i += 4 {
				sgemm4x16(&ap[i*k], k, &strip[0], 16, &c[i*ldc+j], ldc, k)
			}
			for ; i < m; i++ {
				sgemm1x16(&ap[i*k], &strip[0], 16, &c[i*ldc+j], k)
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || m*n*k < parallelFlops || strips < 2 {
		work(0, strips)
	} else {
		var wg sync.WaitGroup
		per := (strips + workers - 1) / workers
		for s := 0; s < strips; s += per {
			wg.Add(1)
			go func(s0, s1 int) {
				defer wg.Done()
				work(s0, s1)
			}(s, min(s+per, strips))
		}
		wg.Wait()
	}
	// The last n % 16 columns.
	for i := range m {
		for j := strips * 16; j < n; j++ {
			var sum float32
			for p := range k {
				if tB == blas.NoTrans {
					sum += ap[i*k+p] * b[p*ldb+j]
				} else {
					sum += ap[i*k+p] * b[j*ldb+p]
				}
			}
			c[i*ldc+j] += sum
		}
	}
}

// Packing buffers are pooled: gorgonia calls Sgemm several times per layer
// and step.
var bufs sync.Pool

func getBuf(n int) []float32 {
	if p, ok := bufs.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

func putBuf(b []float32) { bufs.Put(&b) }
