package nn

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sgemm4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, store bool)

//go:noescape
func sgemm1x16(a *float32, b *float32, ldb int, c *float32, k int, store bool)

// packStrips copies kb rows of strips 16-value strips (rows ldb apart) into
// dst, strip after strip, each strip kb rows of 16 contiguous values.
//
//go:noescape
func packStrips(b *float32, ldb int, dst *float32, kb, strips int)

// sdot is the dot product of k values (a multiple of 8).
//
//go:noescape
func sdot(a, b *float32, k int) float32

// vadd adds n values of src to dst.
//
//go:noescape
func vadd(dst, src *float32, n int)

// sgemm4x16g is sgemm4x16 with row p of B the 16 values at b[offs[p]].
//
//go:noescape
func sgemm4x16g(a *float32, lda int, b *float32, offs *int, c *float32, ldc int, k int, store bool)

// sgemmNT4x3o adds sum_p a[aoffs[i]+p] * b[boffs[j]+p] to c[i*ldci+j*ldcj]
// for i < 4, j < 3 (k a multiple of 8).
//
//go:noescape
func sgemmNT4x3o(a *float32, aoffs *int, b *float32, boffs *int, c *float32, ldci, ldcj int, k int)
