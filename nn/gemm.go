package nn

import (
	"math/bits"
	"os"
	"sync"
	"time"

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
	if hasAVX2 && n > 0 && n < 16 && m > 0 && k >= 64 && tA == blas.NoTrans && alpha == 1 {
		// Few columns (a convolution's small output map at batch 1):
		// gonum runs an axpy of n values per multiply-add row, so pack
		// op(B) transposed and take dot products along k instead.
		bt := getBuf(n * k)
		defer putBuf(bt)
		for p := range k {
			for j := range n {
				if tB == blas.NoTrans {
					bt[j*k+p] = b[p*ldb+j]
				} else {
					bt[j*k+p] = b[j*ldb+p]
				}
			}
		}
		scaleC(c, m, n, ldc, 0, beta)
		sgemmNT(m, n, k, a, lda, bt, k, c, ldc)
		return
	}
	if !hasAVX2 || m == 0 || n == 0 || n < 16 {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// C = beta * C. With beta 0 the NN kernels store their first block
	// of k instead of adding it, so only the columns they do not cover
	// (n % 16) are cleared, unless the NT path or alpha 0 runs.
	nt := tA == blas.NoTrans && tB == blas.Trans && alpha == 1 && k >= 64
	store := beta == 0 && k > 0 && alpha != 0 && !nt
	from := 0
	if store {
		from = n / 16 * 16
	}
	scaleC(c, m, n, ldc, from, beta)
	if k == 0 || alpha == 0 {
		return
	}
	if nt {
		if m < 4 && n >= 8 {
			sgemmNTFewRows(m, n, k, a, lda, b, ldb, c, ldc)
			return
		}
		sgemmNT(m, n, k, a, lda, b, ldb, c, ldc)
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
					first := store && k0 == 0
					i := 0
					for ; i+4 <= m; i += 4 {
						sgemm4x16(&ap[i*k+k0], k, strip, 16, &c[i*ldc+j], ldc, kb, first)
					}
					for ; i < m; i++ {
						sgemm1x16(&ap[i*k+k0], strip, 16, &c[i*ldc+j], kb, first)
					}
				}
			}
		}
	}
	workers := cores()
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

// scaleC sets C = beta * C in columns from..n of its m rows.
func scaleC(c []float32, m, n, ldc, from int, beta float32) {
	for i := range m {
		row := c[i*ldc+from : i*ldc+n]
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
}

// sgemmNT adds A * B^T to C when both are stored along k (a weight
// gradient: the output's gradient times the columns, transposed): every
// element is a dot product of two contiguous rows, so nothing is packed.
// Tiles of 4 rows of A by 3 rows of B run in blocks of k that keep the 4
// rows in L1; the rest of the tile grid (m % 4 rows, n % 3 columns) and
// the last k % 8 terms use single dot products.
func sgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	_, _, _ = a[(m-1)*lda+k-1], b[(n-1)*ldb+k-1], c[(m-1)*ldc+n-1]
	k8 := k &^ 7
	const kc = 512
	tiles := (n + 2) / 3
	// A tile's rows of A and of B, by their offsets.
	aoffs, boffs := [4]int{0, lda, 2 * lda, 3 * lda}, [3]int{0, ldb, 2 * ldb}
	work := func(t0, t1 int) {
		for k0 := 0; k0 < k8; k0 += kc {
			kb := min(kc, k8-k0)
			for t := t0; t < t1; t++ {
				j := t * 3
				if j+3 > n {
					for ; j < n; j++ {
						for i := range m {
							c[i*ldc+j] += sdot(&a[i*lda+k0], &b[j*ldb+k0], kb)
						}
					}
					continue
				}
				i := 0
				for ; i+4 <= m; i += 4 {
					sgemmNT4x3o(&a[i*lda+k0], &aoffs[0], &b[j*ldb+k0], &boffs[0], &c[i*ldc+j], ldc, 1, kb)
				}
				for ; i < m; i++ {
					for q := range 3 {
						c[i*ldc+j+q] += sdot(&a[i*lda+k0], &b[(j+q)*ldb+k0], kb)
					}
				}
			}
		}
	}
	workers := cores()
	if workers == 1 || m*n*k < parallelFlops || tiles < 2 {
		work(0, tiles)
	} else {
		var wg sync.WaitGroup
		per := (tiles + workers - 1) / workers
		for t := 0; t < tiles; t += per {
			wg.Add(1)
			go func(t0, t1 int) {
				defer wg.Done()
				work(t0, t1)
			}(t, min(t+per, tiles))
		}
		wg.Wait()
	}
	if k8 < k {
		for i := range m {
			for j := range n {
				var sum float32
				for p := k8; p < k; p++ {
					sum += a[i*lda+p] * b[j*ldb+p]
				}
				c[i*ldc+j] += sum
			}
		}
	}
}

// sgemmNTFewRows is sgemmNT for fewer than 4 rows of A (the weight
// gradient of a convolution to RGB: 3 output channels), which would
// otherwise run on single dot products: it computes C^T = B A^T, whose 4 x 3
// tiles fit (B's rows 4 at a time, A's 3), on all cores by blocks of B's
// rows, and adds the transpose into C.
func sgemmNTFewRows(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ct := getBuf(n * m)
	defer putBuf(ct)
	clear(ct)
	workers := min(cores(), n/4)
	if m*n*k < parallelFlops {
		workers = 1
	}
	per := (n/workers + 3) &^ 3
	parallel(workers, func(w int) {
		lo, hi := min(w*per, n), min((w+1)*per, n)
		if lo < hi {
			sgemmNT(hi-lo, m, k, b[lo*ldb:], ldb, a, lda, ct[lo*m:], m)
		}
	})
	for j := range n {
		for i := range m {
			c[i*ldc+j] += ct[j*m+i]
		}
	}
}

// addTo adds src to dst element by element (len(dst) >= len(src)).
func addTo(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	_ = dst[len(src)-1]
	if hasAVX2 {
		vadd(&dst[0], &src[0], len(src))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// Scratch buffers (packing, columns, padded images) are pooled by size
// class, a power of two: gorgonia calls Sgemm several times per layer and
// step, and one pool for all sizes kept handing back buffers too small for
// the next request, each miss a fresh allocation the runtime clears.
var bufs [64]sync.Pool

// getBuf returns a buffer of n values (contents undefined).
func getBuf(n int) []float32 {
	if n <= 0 {
		return nil
	}
	class := bits.Len(uint(n - 1))
	if p, ok := bufs[class].Get().(*[]float32); ok {
		return (*p)[:n]
	}
	return make([]float32, n, 1<<class)
}

// putBuf returns b to the pool of the largest class its capacity holds.
func putBuf(b []float32) {
	if cap(b) == 0 {
		return
	}
	bufs[bits.Len(uint(cap(b)))-1].Put(&b)
}

// packB copies rows [k0, k0+kb) of strips [c0, c1) of op(B) into buf: strip
// after strip, each kb rows of 16 values.
func packB(tB blas.Transpose, b []float32, ldb, k0, kb, c0, c1 int, buf []float32) {
	if tB == blas.NoTrans {
		// Bounds checked here once; the assembly reads rows k0..k0+kb-1,
		// columns c0*16..c1*16-1, and writes (c1-c0)*kb*16 values.
		_ = b[(k0+kb-1)*ldb+c1*16-1]
		_ = buf[(c1-c0)*kb*16-1]
		packStrips(&b[k0*ldb+c0*16], ldb, &buf[0], kb, c1-c0)
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

// PeakSgemm measures the GFLOP/s of this package's Sgemm on a product the
// size of a mid-network convolution (64 x 576 times 576 x 1024, as
// BenchmarkSgemm), on all cores, for about d: the ceiling that a training
// step's GFLOP/s can be compared with in the same run.
func PeakSgemm(d time.Duration) float64 {
	m, n, k := 64, 1024, 576
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) / 7
	}
	for i := range b {
		b[i] = float32(i%5) / 5
	}
	BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n) // warm up
	start := time.Now()
	runs := 0
	for time.Since(start) < d || runs < 3 {
		BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		runs++
	}
	return float64(2*m*n*k) * float64(runs) / time.Since(start).Seconds() / 1e9
}
