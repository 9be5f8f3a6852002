package index

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 selects the assembly kernels (AVX2 and FMA; every x86-64 server
// since 2013).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func l2AVX2(a, b *float32, n int) float32

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func l2GatherAVX2(q *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32)

//go:noescape
func sq8L2GatherAVX2(a, s *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32)

//go:noescape
func sq8L2AVX2(a, s *float32, c *byte, n int) float32

//go:noescape
func sq8DotAVX2(a *float32, c *byte, n int) float32

//go:noescape
func prefetch(p unsafe.Pointer, lines int)

// l2 returns the squared Euclidean distance. It needs len(b) >= len(a) >= 1:
// the index checks dimensions at its boundary and refuses dim < 1.
func l2(a, b []float32) float32 {
	if hasAVX2 {
		_ = b[len(a)-1] // b is at least as long as a
		return l2AVX2(&a[0], &b[0], len(a))
	}
	return goL2(a, b)
}

// dot returns the inner product (same contract as l2).
func dot(a, b []float32) float32 {
	if hasAVX2 {
		_ = b[len(a)-1]
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return goDot(a, b)
}

// sq8L2 is sum_j (a_j - s_j c_j)^2 over byte codes (len(s), len(c) >=
// len(a) >= 1).
func sq8L2(a, s []float32, c []byte) float32 {
	if hasAVX2 {
		_, _ = s[len(a)-1], c[len(a)-1]
		return sq8L2AVX2(&a[0], &s[0], &c[0], len(a))
	}
	return goSQ8L2(a, s, c)
}

// sq8Dot is sum_j a_j c_j over byte codes (len(c) >= len(a) >= 1).
func sq8Dot(a []float32, c []byte) float32 {
	if hasAVX2 {
		_ = c[len(a)-1]
		return sq8DotAVX2(&a[0], &c[0], len(a))
	}
	return goSQ8Dot(a, c)
}
