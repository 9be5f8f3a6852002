//go:build !amd64

package nn

const hasAVX2 = false

func sgemm4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, store bool) {
	panic("nn: no AVX2 kernels on this architecture")
}

func sgemm1x16(a *float32, b *float32, ldb int, c *float32, k int, store bool) {
	panic("nn: no AVX2 kernels on this architecture")
}

func packStrips(b *float32, ldb int, dst *float32, kb, strips int) {
	panic("nn: no AVX2 kernels on this architecture")
}

func sdot(a, b *float32, k int) float32 { panic("nn: no AVX2 kernels on this architecture") }

func vadd(dst, src *float32, n int) { panic("nn: no AVX2 kernels on this architecture") }

func sgemm4x16g(a *float32, lda int, b *float32, offs *int, c *float32, ldc int, k int, store bool) {
	panic("nn: no AVX2 kernels on this architecture")
}

func sgemmNT4x3o(a *float32, aoffs *int, b *float32, boffs *int, c *float32, ldci, ldcj int, k int) {
	panic("nn: no AVX2 kernels on this architecture")
}
