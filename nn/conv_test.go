package nn

import (
	"fmt"
	"testing"
)

// convShapes are the step's convolutions at 32 px, batch 4 (one part of a
// batch of 8): channels in, map side, kernel, stride, padding.
var convShapes = []struct{ c, hw, k, s, p int }{
	{64, 8, 3, 1, 1},  // residual blocks
	{32, 16, 3, 1, 1}, // decoder
	{16, 32, 7, 1, 3}, // first and last convolutions
	{16, 32, 4, 2, 1}, // downsampling
	{32, 16, 4, 2, 1},
	{32, 32, 3, 2, 1}, // a 3x3 stride-2 one (D)
}

// benchConv runs f over one part's batch of each shape: x the images,
// cols their columns (GB/s of columns).
func benchConv(b *testing.B, f func(x, cols []float32, c, hw, k, s, p, o, ld int)) {
	for _, sh := range convShapes {
		b.Run(fmt.Sprintf("c%d_%dx%d_k%d_s%d", sh.c, sh.hw, sh.hw, sh.k, sh.s), func(b *testing.B) {
			const n = 4
			o := outSize(sh.hw, sh.k, sh.s, sh.p)
			x := make([]float32, n*sh.c*sh.hw*sh.hw)
			ld := n * o * o
			cols := make([]float32, sh.c*sh.k*sh.k*ld)
			b.SetBytes(int64(4 * len(cols)))
			b.ReportAllocs()
			for b.Loop() {
				for i := range n {
					f(x[i*sh.c*sh.hw*sh.hw:(i+1)*sh.c*sh.hw*sh.hw], cols[i*o*o:], sh.c, sh.hw, sh.k, sh.s, sh.p, o, ld)
				}
			}
		})
	}
}

// BenchmarkIm2col lays out the columns of each shape's batch.
func BenchmarkIm2col(b *testing.B) {
	benchConv(b, func(x, cols []float32, c, hw, k, s, p, o, ld int) { im2col(x, c, hw, hw, k, s, p, o, o, cols, ld) })
}

// BenchmarkCol2im adds each shape's columns back into its batch.
func BenchmarkCol2im(b *testing.B) {
	benchConv(b, func(x, cols []float32, c, hw, k, s, p, o, ld int) { col2im(cols, c, hw, hw, k, s, p, o, o, ld, x) })
}
