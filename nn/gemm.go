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
	// B is packed in blocks of kc rows by nc strips of 16 columns (each
	// strip: kc rows of 16 contiguous values), by the worker that owns the
	// strips. Packing reads whole row segments of B, and the micro-kernel
	// then reads each strip sequentially from cache for every block of 4
	// rows of A. The kernel adds into C, so k-blocks accumulate.
	strips := n / 16
	const kc, nc = 256, 32
	work := func(s0, s1 int) {
		buf := getBuf(kc * nc * 16)
		defer putBuf(buf)
		for c0 := s0; c0 < s1; c0 += nc {
			c1 := min(c0+nc, s1)
			for k0 := 0; k0 < k; k0 += kc {
				kb := min(kc, k-k0)
				packB(tB, b, ldb, k0, kb, c0, c1, buf)
				for st := c0; st < c1; st++ {
					j, strip := st*16, &buf[(st-c0)*kb*16]
					i := 0
					for ; i+4 <= m; i += 4 {
						sgemm4x16(&ap[i*k+k0], k, strip, 16, &c[i*ldc+j], ldc, kb)
					}
					for ; i < m; i++ {
						sgemm1x16(&ap[i*k+k0], strip, 16, &c[i*ldc+j], kb)
					}
				}
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

// packB copies rows [k0, k0+kb) of strips [c0, c1) of op(B) into buf: strip
// after strip, each kb rows of 16 values.
func packB(tB blas.Transpose, b []float32, ldb, k0, kb, c0, c1 int, buf []float32) {
	if tB == blas.NoTrans {
		for p := range kb {
			row := b[(k0+p)*ldb+c0*16 : (k0+p)*ldb+c1*16] // contiguous
			for st := range c1 - c0 {
				dst := buf[st*kb*16+p*16 : st*kb*16+p*16+16]
				src := row[st*16 : st*16+16]
				for q := range dst {
					dst[q] = src[q]
				}
			}
		}
		return
	}
	for st := range c1 - c0 {
		strip := buf[st*kb*16 : (st+1)*kb*16]
		for q := range 16 { // B^T's rows are contiguous along k
			j := (c0+st)*16 + q
			src := b[j*ldb+k0 : j*ldb+k0+kb]
			for p, v := range src {
				strip[p*16+q] = v
			}
		}
	}
}
