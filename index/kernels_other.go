//go:build !amd64

package index

import "unsafe"

const hasAVX2 = false

func l2(a, b []float32) float32    { return goL2(a, b) }
func dot(a, b []float32) float32   { return goDot(a, b) }
func prefetch(unsafe.Pointer, int) {}

func sq8L2(a, s []float32, c []byte) float32 { return goSQ8L2(a, s, c) }
func sq8Dot(a []float32, c []byte) float32   { return goSQ8Dot(a, c) }

// l2AVX2 is never called without hasAVX2; it is here so that the search
// loop compiles everywhere.
func l2AVX2(a, b *float32, n int) float32 { return goL2(unsafe.Slice(a, n), unsafe.Slice(b, n)) }

// l2GatherAVX2 is never called without hasAVX2.
func l2GatherAVX2(q *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32) {
	panic("index: l2GatherAVX2 without AVX2")
}

// sq8L2GatherAVX2 is never called without hasAVX2.
func sq8L2GatherAVX2(a, s *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32) {
	panic("index: sq8L2GatherAVX2 without AVX2")
}
