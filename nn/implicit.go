package nn

// Implicit convolutions: stride 1, and stride 2 halving the image (on its
// phases, below). im2col writes every tap of every pixel (k*k times the
// input) to memory, and the GEMM then packs it again: at 32 px that
// traffic, not the multiply-adds, was most of a training step. Here the
// input is copied once into a padded layout (taps) in which every tap
// (channel, ky, kx) of every output pixel is the image read at a fixed
// offset from the pixel's column, so the kernels read a tap's row straight
// from the image by its offset: nothing is laid out per tap. The kernels
// are assembly and check no bounds: the layout's plane covers the farthest
// read, and convOp checks its inputs' sizes before it calls them.
//
// The layout, per channel (plane values apart): the batch's images side
// by side, each followed by p zero columns, in rows wp = n*(w+p) apart,
// with p zero rows above and below. Image i's pixel (y, x) is at
//
//	p + (y+p)*wp + i*(w+p) + x
//
// and output column j = oy*wp + i*(w+p) + ox reads tap (c, ky, kx) at
// c*plane + ky*wp + kx + j: a read left of column 0 or right of column w-1
// lands in the zero columns after the image (or the one to its left), and
// a read above or below the image in the zero rows. Output columns ox >= ow
// of each image are computed and dropped (p of every w+p: 11% for a 3x3
// convolution of 8x8 maps).
type taps struct {
	n, c, h, w, k, p int
	oh, ow           int
	wp               int // row stride
	cols             int // output columns computed, a multiple of 16
	plane            int // values per channel
}

func newTaps(n, c, h, w, k, p int) taps {
	t := taps{n: n, c: c, h: h, w: w, k: k, p: p}
	t.oh, t.ow = h+2*p-k+1, w+2*p-k+1
	t.wp = n * (w + p)
	t.cols = (t.oh*t.wp + 15) &^ 15
	// The farthest read: the last column computed plus the last tap.
	t.plane = t.cols + (k-1)*t.wp + k
	return t
}

// fill copies x (n, c, h, w) into dst (c*plane values) in the layout.
func (t taps) fill(x, dst []float32) {
	clear(dst)
	hw := t.h * t.w
	for ci := range t.c {
		for i := range t.n {
			src := x[(i*t.c+ci)*hw : (i*t.c+ci+1)*hw]
			at := ci*t.plane + t.p + t.p*t.wp + i*(t.w+t.p)
			for y := range t.h {
				copy(dst[at+y*t.wp:at+y*t.wp+t.w], src[y*t.w:(y+1)*t.w])
			}
		}
	}
}

// offsets returns the offset of every tap (c, ky, kx), in a weight row's
// order.
func (t taps) offsets() []int {
	kk := t.k * t.k
	offs := make([]int, t.c*kk)
	for ci := range t.c {
		for ky := range t.k {
			for kx := range t.k {
				offs[ci*kk+ky*t.k+kx] = t.offset(ci, ky, kx)
			}
		}
	}
	return offs
}

// offset is the offset of tap (c, ky, kx) from an output column.
func (t taps) offset(c, ky, kx int) int { return c*t.plane + ky*t.wp + kx }

// column is the output column of pixel (i, oy, 0).
func (t taps) column(i, oy int) int { return oy*t.wp + i*(t.w+t.p) }

// rows calls f for every output row of m channels: the offset of row oy
// of channel co of image i in (n, m, oh, ow), and of its ow pixels in the
// output columns (m rows t.cols apart).
func (t taps) rows(m int, f func(pixels, columns int)) {
	for i := range t.n {
		for co := range m {
			for oy := range t.oh {
				f(((i*m+co)*t.oh+oy)*t.ow, co*t.cols+t.column(i, oy))
			}
		}
	}
}

// gather copies the output columns' pixels of c (rows t.cols apart) into
// out (n, m, oh, ow).
func (t taps) gather(c []float32, m int, out []float32) {
	t.rows(m, func(px, col int) { copy(out[px:px+t.ow], c[col:col+t.ow]) })
}

// scatter lays out y (n, m, oh, ow) in the output columns of dst (m rows,
// t.cols apart), zero in the dropped columns.
func (t taps) scatter(y []float32, m int, dst []float32) {
	clear(dst[:m*t.cols])
	t.rows(m, func(px, col int) { copy(dst[col:col+t.ow], y[px:px+t.ow]) })
}

// tapProduct returns, in a pooled buffer of m rows t.cols apart, w (m rows
// of len(offs)) times the taps of img at offs: row co, column j is
// sum_q w[co][q] * img[offs[q] + j].
func tapProduct(img []float32, t taps, offs []int, w []float32, m int) []float32 {
	kq := len(offs)
	// Rows of w in blocks of 4, the last padded with zero rows.
	m4 := (m + 3) &^ 3
	if m4 != m {
		wp := getBuf(m4 * kq)
		defer putBuf(wp)
		copy(wp, w[:m*kq])
		clear(wp[m*kq:])
		w = wp
	}
	c := getBuf(m4 * t.cols)
	// Blocks of at most 256 taps, as equal as can be (576 = 3 x 192).
	kb := (kq + (kq+255)/256 - 1) / ((kq + 255) / 256)
	parallelRange(t.cols/16, func(s0, s1 int) {
		for st := s0; st < s1; st++ {
			j := st * 16
			for k0 := 0; k0 < kq; k0 += kb {
				for i := 0; i < m4; i += 4 {
					sgemm4x16g(&w[i*kq+k0], kq, &img[j], &offs[k0], &c[i*t.cols+j], t.cols, min(kb, kq-k0), k0 == 0)
				}
			}
		}
	})
	return c
}

// implicitConv writes the stride-1 convolution (n, m, oh, ow) of x
// (n, c, h, w) by w (m rows of c*k*k), padding p, into out, a chunk of
// images at a time (chunkImages).
func implicitConv(x []float32, n, c, h, w, k, p int, wt []float32, m int, out []float32) {
	step := chunkImages(n, c, w, k, p)
	for i0 := 0; i0 < n; i0 += step {
		nc := min(step, n-i0)
		t := newTaps(nc, c, h, w, k, p)
		img := getBuf(t.c * t.plane)
		t.fill(x[i0*c*h*w:(i0+nc)*c*h*w], img)
		prod := tapProduct(img, t, t.offsets(), wt, m)
		t.gather(prod, m, out[i0*m*t.oh*t.ow:(i0+nc)*m*t.oh*t.ow])
		putBuf(prod)
		putBuf(img)
	}
}

// windowBytes bounds the rows of the layout that one strip of output
// columns reads (c channels by k rows): as the strips advance, the next
// strip reads the cache lines beside these, so they should stay in the
// core's L2. A training step's batch of 4 fits at either image size; an
// inference batch of 64 at 64 px read megabytes per strip from L3 (ingest
// at 64 px: 196-213 images/s laid out whole, 213-218 in chunks; inference's
// large maps now take the per-image columns, see convOp.Do).
const windowBytes = 256 << 10

// chunkImages returns how many of n images of c channels, w wide, an
// implicit convolution with kernel k and padding p lays out at once.
func chunkImages(n, c, w, k, p int) int {
	return max(1, min(n, windowBytes/(4*c*k*(w+p))))
}

// implicitConvGradW writes the gradient (m rows of c*k*k) of the weights
// of a stride-1 convolution of x (n, c, h, w) with padding p, whose output
// (n, m, oh, ow) has gradient dOut, into dw.
func implicitConvGradW(x []float32, n, c, h, w, k, p int, dOut []float32, m int, dw []float32) {
	t := newTaps(n, c, h, w, k, p)
	img := getBuf(t.c * t.plane)
	defer putBuf(img)
	t.fill(x, img)
	tapGradW(img, t, t.offsets(), dOut, m, dw)
}

// tapGradW writes into dw the gradient (m rows of len(offs)) of the weights of a
// tapProduct whose output, gathered, is (n, m, oh, ow) with gradient dOut:
// row co is the sum over output pixels of dOut[co] times each tap's row of
// img. m < 4 (a convolution to RGB) computes the transpose, taps by output
// channels, so that the 4 x 3 tiles fill.
func tapGradW(img []float32, t taps, offs []int, dOut []float32, m int, dw []float32) {
	kq := len(offs)
	// dOut in the output columns' layout, zero in the dropped ones; rows
	// padded with zero rows to a multiple of 12 (4 or 3 per tile).
	mp := (m + 11) / 12 * 12
	d := getBuf(mp * t.cols)
	defer putBuf(d)
	clear(d[m*t.cols:])
	t.scatter(dOut, m, d)
	rows := make([]int, mp)
	for i := range rows {
		rows[i] = i * t.cols
	}
	// Taps padded with copies of the first to a multiple of mult.
	padded := func(mult int) []int {
		p := make([]int, (kq+mult-1)/mult*mult)
		copy(p, offs)
		for i := kq; i < len(p); i++ {
			p[i] = offs[0]
		}
		return p
	}
	if m >= 4 {
		offs := padded(3)
		g := getBuf((m + 3) &^ 3 * len(offs))
		defer putBuf(g)
		clear(g)
		tilesNT(d, rows[:(m+3)&^3], img, offs, g, len(offs), 1, t.cols)
		for co := range m {
			copy(dw[co*kq:(co+1)*kq], g[co*len(offs):])
		}
		return
	}
	offs = padded(4)
	g := getBuf(len(offs) * 3)
	defer putBuf(g)
	clear(g)
	tilesNT(img, offs, d, rows[:3], g, 1, len(offs), t.cols)
	for co := range m {
		copy(dw[co*kq:(co+1)*kq], g[co*len(offs):])
	}
}

// Stride-2 convolutions that halve the image (the encoders' and D's 4x4
// downsampling) run on the image's four phases (even or odd rows, even or
// odd columns), each oh x ow, as channels 4c+2py+px: tap (c, ky, kx) reads
// phase ((ky-p)&1, (kx-p)&1) shifted by ((ky-p)>>1, (kx-p)>>1), one pixel
// at most, so the taps of a 3x3 stride-1 layout of the phases hold them all.

// halving reports whether a stride-2 convolution of an h x w image with
// kernel k and padding p runs on phases: the output is half the image and
// every tap's shift is within a pixel.
func halving(h, w, oh, ow, k, p int) bool {
	return h == 2*oh && w == 2*ow && -p>>1 >= -1 && (k-1-p)>>1 <= 1
}

// phaseTaps returns the phases' layout for a batch of n images of c
// channels whose halved size is oh x ow, and the offsets of a kernel's
// taps (c, ky, kx) in it.
func phaseTaps(n, c, oh, ow, k, p int) (taps, []int) {
	t := newTaps(n, 4*c, oh, ow, 3, 1)
	kk := k * k
	offs := make([]int, c*kk)
	for ci := range c {
		for ky := range k {
			for kx := range k {
				offs[ci*kk+ky*k+kx] = t.offset(4*ci+2*((ky-p)&1)+(kx-p)&1, (ky-p)>>1+1, (kx-p)>>1+1)
			}
		}
	}
	return t, offs
}

// fillPhases lays out x (n, c, 2*oh, 2*ow) by its phases in t (from
// phaseTaps) in dst.
func fillPhases(x []float32, t taps, dst []float32) {
	c, oh, ow := t.c/4, t.h, t.w
	ph := getBuf(t.n * t.c * oh * ow)
	defer putBuf(ph)
	for i := range t.n {
		for ci := range c {
			plane := x[(i*c+ci)*4*oh*ow:]
			for y := range oh {
				for py := range 2 {
					src := plane[(2*y+py)*2*ow : (2*y+py+1)*2*ow]
					even := ph[((i*c+ci)*4+2*py)*oh*ow+y*ow:][:ow]
					odd := ph[((i*c+ci)*4+2*py+1)*oh*ow+y*ow:][:ow]
					for xx := range ow {
						even[xx], odd[xx] = src[2*xx], src[2*xx+1]
					}
				}
			}
		}
	}
	t.fill(ph, dst)
}

// halvingConv writes the stride-2 convolution (n, m, oh, ow) of x
// (n, c, 2*oh, 2*ow) by w (m rows of c*k*k), on its phases, into out, a
// chunk of images at a time (chunkImages: the phases are 4c channels of 3x3
// taps).
func halvingConv(x []float32, n, c, oh, ow, k, p int, w []float32, m int, out []float32) {
	step := chunkHalving(n, c, ow)
	for i0 := 0; i0 < n; i0 += step {
		nc := min(step, n-i0)
		t, offs := phaseTaps(nc, c, oh, ow, k, p)
		img := getBuf(t.c * t.plane)
		fillPhases(x[i0*c*4*oh*ow:(i0+nc)*c*4*oh*ow], t, img)
		prod := tapProduct(img, t, offs, w, m)
		t.gather(prod, m, out[i0*m*oh*ow:(i0+nc)*m*oh*ow])
		putBuf(prod)
		putBuf(img)
	}
}

// chunkHalving is chunkImages for halvingConv: its layout holds 4c phase
// channels, ow wide, of 3x3 taps.
func chunkHalving(n, c, ow int) int { return chunkImages(n, 4*c, ow, 3, 1) }

// halvingConvGradW is implicitConvGradW for halvingConv.
func halvingConvGradW(x []float32, n, c, oh, ow, k, p int, dOut []float32, m int, dw []float32) {
	t, offs := phaseTaps(n, c, oh, ow, k, p)
	img := getBuf(t.c * t.plane)
	defer putBuf(img)
	fillPhases(x, t, img)
	tapGradW(img, t, offs, dOut, m, dw)
}

// halvingConvGradX writes into dx the input gradient (n, c, 2*oh, 2*ow) of
// halvingConv with weights w (m rows of c*k*k) from its output's gradient
// dOut (n, m, oh, ow). Phase (py, px) of it at (y, x) is the sum over the
// taps (co, ky, kx) of that phase of w[co][ci, ky, kx] times dOut[co] at
// (y, x) less the tap's shift: a product over taps of dOut per phase.
func halvingConvGradX(w, dOut []float32, n, c, oh, ow, k, p, m int, dx []float32) {
	t := newTaps(n, m, oh, ow, 3, 1)
	img := getBuf(t.c * t.plane)
	defer putBuf(img)
	t.fill(dOut, img)
	if k < 2 { // phases no tap reads
		clear(dx)
	}
	kk := k * k
	for py := range 2 {
		for px := range 2 {
			var ky, kx []int
			for q := range k {
				if (q-p)&1 == py {
					ky = append(ky, q)
				}
				if (q-p)&1 == px {
					kx = append(kx, q)
				}
			}
			nt := len(ky) * len(kx)
			if nt == 0 {
				continue
			}
			offs := make([]int, m*nt)
			wph := getBuf(c * m * nt)
			for co := range m {
				for a, y := range ky {
					for b, x := range kx {
						q := co*nt + a*len(kx) + b
						offs[q] = t.offset(co, 1-(y-p)>>1, 1-(x-p)>>1)
						for ci := range c {
							wph[ci*m*nt+q] = w[(co*c+ci)*kk+y*k+x]
						}
					}
				}
			}
			prod := tapProduct(img, t, offs, wph, c)
			putBuf(wph)
			for i := range n {
				for ci := range c {
					plane := dx[(i*c+ci)*4*oh*ow:]
					src := prod[ci*t.cols:]
					for y := range oh {
						row := plane[(2*y+py)*2*ow : (2*y+py+1)*2*ow]
						col := src[t.column(i, y):][:ow]
						for xx, v := range col {
							row[2*xx+px] = v
						}
					}
				}
			}
			putBuf(prod)
		}
	}
}

// tilesNT adds sum_p a[aoffs[i]+p] * b[boffs[j]+p] (p < k) to
// c[i*ldci+j*ldcj], in 4 x 3 tiles (len(aoffs) a multiple of 4, len(boffs)
// of 3, k of 8), on all cores by blocks of j, blocking k so that a tile's
// rows stay in cache.
func tilesNT(a []float32, aoffs []int, b []float32, boffs []int, c []float32, ldci, ldcj, k int) {
	const kc = 512
	tiles := func(i0, i1, j0, j1 int) {
		for k0 := 0; k0 < k; k0 += kc {
			kb := min(kc, k-k0)
			for j := j0; j < j1; j += 3 {
				for i := i0; i < i1; i += 4 {
					sgemmNT4x3o(&a[k0], &aoffs[i], &b[k0], &boffs[j], &c[i*ldci+j*ldcj], ldci, ldcj, kb)
				}
			}
		}
	}
	if len(boffs)/3 >= len(aoffs)/4 {
		parallelRange(len(boffs)/3, func(t0, t1 int) { tiles(0, len(aoffs), 3*t0, 3*t1) })
		return
	}
	parallelRange(len(aoffs)/4, func(t0, t1 int) { tiles(4*t0, 4*t1, 0, len(boffs)) })
}

// parallelRange splits [0, n) into one contiguous range per core and runs
// f on each.
func parallelRange(n int, f func(lo, hi int)) {
	workers := min(cores(), n)
	if workers <= 1 {
		f(0, n)
		return
	}
	per := (n + workers - 1) / workers
	parallel(workers, func(i int) {
		if lo, hi := i*per, min((i+1)*per, n); lo < hi {
			f(lo, hi)
		}
	})
}
