package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// direct is a convolution written as its definition: y (n, m, oh, ow) of
// x (n, c, h, w) by w (m, c, k, k), with its two gradients from dy, the
// reference the implicit convolutions are held to.
type direct struct{ n, c, m, h, w, k, s, p, oh, ow int }

func newDirect(n, c, m, h, k, s, p int) direct {
	o := outSize(h, k, s, p)
	return direct{n: n, c: c, m: m, h: h, w: h, k: k, s: s, p: p, oh: o, ow: o}
}

// each calls f for every (image, out channel, in channel, output pixel,
// tap) whose input pixel is inside the image, with the flat indices of x,
// w and y.
func (d direct) each(f func(xi, wi, yi int)) {
	for i := range d.n {
		for co := range d.m {
			for ci := range d.c {
				for oy := range d.oh {
					for ox := range d.ow {
						for ky := range d.k {
							for kx := range d.k {
								iy, ix := oy*d.s+ky-d.p, ox*d.s+kx-d.p
								if iy < 0 || iy >= d.h || ix < 0 || ix >= d.w {
									continue
								}
								f(((i*d.c+ci)*d.h+iy)*d.w+ix, ((co*d.c+ci)*d.k+ky)*d.k+kx, ((i*d.m+co)*d.oh+oy)*d.ow+ox)
							}
						}
					}
				}
			}
		}
	}
}

// TestImplicitConvMatchesDirect holds the implicit convolutions (the
// forward op and both gradients) to the definition, on the shapes training
// runs (the residual blocks' 3x3 on 8x8, the 7x7 from and to RGB, the 4x4
// stride-2 downsampling, D's 4x4 to one pixel) and on edge cases: one image,
// one channel, channel counts that fill no 4 x 3 tile, a padding as large as
// the kernel allows, a 1x1 stride-2 convolution (phases no tap reads),
// batches too large to lay out at once.
func TestImplicitConvMatchesDirect(t *testing.T) {
	if !hasAVX2 {
		t.Skip("the implicit convolutions need AVX2 and FMA")
	}
	cases := []struct {
		n, c, m, h, k, s, p int
		chunked             bool // laid out a chunk of images at a time
	}{
		{4, 64, 64, 8, 3, 1, 1, false},
		{4, 16, 3, 32, 7, 1, 3, false},
		{4, 3, 16, 32, 7, 1, 3, false},
		{4, 32, 16, 32, 3, 1, 1, false},
		{4, 16, 3, 64, 7, 1, 3, false}, // 64 px: a training part is still one chunk
		{1, 64, 32, 16, 3, 1, 1, false},
		{4, 16, 32, 32, 4, 2, 1, false},
		{4, 3, 16, 16, 4, 2, 1, false},
		{2, 64, 5, 4, 4, 1, 0, false},
		{3, 5, 7, 6, 3, 2, 1, false},
		{2, 3, 2, 5, 3, 1, 1, false},
		{1, 1, 1, 1, 1, 1, 0, false},
		{2, 4, 6, 6, 1, 2, 0, false},
		{2, 3, 5, 6, 5, 1, 2, false},
		{2, 3, 4, 6, 2, 1, 0, false},
		{2, 3, 4, 6, 4, 1, 3, false},
		// Batches laid out in chunks of images (chunkImages): 4, 4, 1
		// and 2, 1.
		{9, 64, 4, 32, 7, 1, 3, true},
		{3, 64, 4, 64, 4, 2, 1, true},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("n%d_c%d_m%d_%dpx_k%d_s%d_p%d", tc.n, tc.c, tc.m, tc.h, tc.k, tc.s, tc.p)
		t.Run(name, func(t *testing.T) {
			d := newDirect(tc.n, tc.c, tc.m, tc.h, tc.k, tc.s, tc.p)
			if !(convOp{k: d.k, stride: d.s, pad: d.p}).implicit(d.h, d.w, d.oh, d.ow) {
				t.Fatal("not run as an implicit convolution")
			}
			chunk := chunkImages(d.n, d.c, d.w, d.k, d.p)
			if d.s == 2 {
				chunk = chunkHalving(d.n, d.c, d.ow)
			}
			if (chunk < d.n) != tc.chunked {
				t.Fatalf("chunks of %d of %d images, want chunked %v", chunk, d.n, tc.chunked)
			}
			rng := rand.New(rand.NewPCG(uint64(tc.c), uint64(tc.m)))
			x := randTensor(rng, d.n, d.c, d.h, d.w)
			w := randTensor(rng, d.m, d.c, d.k, d.k)
			dy := randTensor(rng, d.n, d.m, d.oh, d.ow)
			xs, ws, dys := x.Data().([]float32), w.Data().([]float32), dy.Data().([]float32)
			y, dx, dw := make([]float64, d.n*d.m*d.oh*d.ow), make([]float64, len(xs)), make([]float64, len(ws))
			d.each(func(xi, wi, yi int) {
				y[yi] += float64(xs[xi]) * float64(ws[wi])
				dx[xi] += float64(ws[wi]) * float64(dys[yi])
				dw[wi] += float64(xs[xi]) * float64(dys[yi])
			})
			run := func(kind int, a, b *tensor.Dense, out tensor.Shape) []float32 {
				// A training graph's op (its weight gradient keeps the
				// columns): a forward-only one of a large map takes the
				// per-image columns instead.
				v, err := convOp{k: d.k, stride: d.s, pad: d.p, kind: kind, out: out, cols: &colsCache{used: true}}.Do(a, b)
				if err != nil {
					t.Fatal(err)
				}
				return v.(*tensor.Dense).Data().([]float32)
			}
			for _, got := range []struct {
				what      string
				ours      []float32
				reference []float64
				terms     int // products summed into each value, at most
			}{
				{"output", run(convForward, x, w, nil), y, d.c * d.k * d.k},
				{"input gradient", run(convGradX, w, dy, x.Shape()), dx, d.m * d.k * d.k},
				{"weight gradient", run(convGradW, x, dy, w.Shape()), dw, d.n * d.oh * d.ow},
			} {
				if len(got.ours) != len(got.reference) {
					t.Fatalf("%s: %d values, want %d", got.what, len(got.ours), len(got.reference))
				}
				// float32 sums of unit normals' products: errors grow
				// with the square root of the terms.
				tol := 1e-5 * math.Sqrt(float64(got.terms)) * 10
				for i, v := range got.ours {
					if math.Abs(float64(v)-got.reference[i]) > tol*(1+math.Abs(got.reference[i])) {
						t.Fatalf("%s value %d: %v, want %v", got.what, i, v, got.reference[i])
					}
				}
			}
		})
	}
}

// TestImplicitConvInGraph runs a convolution and its gradients through a
// gorgonia graph on images too small for every tap (the padding covers
// most of each), against the definition: the op's shapes and inputs are
// wired as the graph wires them.
func TestImplicitConvInGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := newDirect(2, 3, 4, 2, 3, 1, 1)
	x, w := randTensor(rng, d.n, d.c, d.h, d.w), randTensor(rng, d.m, d.c, d.k, d.k)
	b := NewBuilder()
	xn := G.NewTensor(b.G, tensor.Float32, 4, G.WithShape(x.Shape()...), G.WithName("x"), G.WithValue(x))
	wn := b.P(w)
	y := b.must(G.ApplyOp(convOp{k: d.k, stride: d.s, pad: d.p}, xn, wn))
	if _, err := G.Grad(G.Must(G.Sum(y)), xn, wn); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(b.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	xs, ws := x.Data().([]float32), w.Data().([]float32)
	want, wantDX, wantDW := make([]float64, d.n*d.m*d.oh*d.ow), make([]float64, len(xs)), make([]float64, len(ws))
	d.each(func(xi, wi, yi int) {
		want[yi] += float64(xs[xi]) * float64(ws[wi])
		wantDX[xi] += float64(ws[wi])
		wantDW[wi] += float64(xs[xi])
	})
	gx, _ := xn.Grad()
	gw, _ := wn.Grad()
	for _, c := range []struct {
		what string
		got  []float32
		want []float64
	}{
		{"output", y.Value().Data().([]float32), want},
		{"input gradient", gx.Data().([]float32), wantDX},
		{"weight gradient", gw.Data().([]float32), wantDW},
	} {
		for i, v := range c.got {
			if math.Abs(float64(v)-c.want[i]) > 1e-4*(1+math.Abs(c.want[i])) {
				t.Fatalf("%s value %d: %v, want %v", c.what, i, v, c.want[i])
			}
		}
	}
}

// BenchmarkConvStep runs each of convShapes' convolutions with both
// gradients, as a training step does, on one part's batch, and reports
// GFLOP/s (3 products of the forward pass's size).
func BenchmarkConvStep(b *testing.B) {
	for _, sh := range convShapes {
		for _, m := range []int{sh.c, 3} {
			b.Run(fmt.Sprintf("c%d_m%d_%dx%d_k%d_s%d", sh.c, m, sh.hw, sh.hw, sh.k, sh.s), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				d := newDirect(4, sh.c, m, sh.hw, sh.k, sh.s, sh.p)
				x, w := randTensor(rng, d.n, d.c, d.h, d.w), randTensor(rng, d.m, d.c, d.k, d.k)
				dy := randTensor(rng, d.n, d.m, d.oh, d.ow)
				b.ReportAllocs()
				for b.Loop() {
					for _, c := range []struct {
						kind int
						a, b *tensor.Dense
						out  tensor.Shape
					}{{convForward, x, w, nil}, {convGradX, w, dy, x.Shape()}, {convGradW, x, dy, w.Shape()}} {
						if _, err := (convOp{k: d.k, stride: d.s, pad: d.p, kind: c.kind, out: c.out}).Do(c.a, c.b); err != nil {
							b.Fatal(err)
						}
					}
				}
				flops := 3 * 2 * float64(d.n*d.m*d.oh*d.ow*d.c*d.k*d.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestImplicitConvRefusesMismatchedInputs: the kernels check no bounds, so
// an op whose inputs do not hold what its shapes say (a gradient op built
// with the wrong shape) must get an error before they run, not read past
// the end.
func TestImplicitConvRefusesMismatchedInputs(t *testing.T) {
	if !hasAVX2 {
		t.Skip("the implicit convolutions need AVX2 and FMA")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	w := randTensor(rng, 4, 3, 3, 3)
	dy := randTensor(rng, 2, 4, 8, 8)
	x := randTensor(rng, 2, 3, 8, 8)
	for _, c := range []struct {
		name string
		op   convOp
		a, b *tensor.Dense
	}{
		{"input gradient for a larger input", convOp{k: 3, stride: 1, pad: 1, kind: convGradX, out: tensor.Shape{2, 3, 16, 16}}, w, dy},
		{"weight gradient for more channels", convOp{k: 3, stride: 1, pad: 1, kind: convGradW, out: tensor.Shape{8, 3, 3, 3}}, x, dy},
		{"stride-2 input gradient for more channels", convOp{k: 4, stride: 2, pad: 1, kind: convGradX, out: tensor.Shape{2, 6, 16, 16}}, randTensor(rng, 4, 3, 4, 4), dy},
	} {
		if _, err := c.op.Do(c.a, c.b); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
