//go:build !amd64

package nn

const hasAVX2 = false

func sgemm4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int) {
	panic("nn: no AVX2 kernels on this architecture")
}

func sgemm1x16(a *float32, b *float32, ldb int, c *float32, k int) {
	panic("nn: no AVX2 kernels on this architecture")
}
