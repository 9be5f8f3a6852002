package nn

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sgemm4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int)

//go:noescape
func sgemm1x16(a *float32, b *float32, ldb int, c *float32, k int)
