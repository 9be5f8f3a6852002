package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convOp is a float32 2-D convolution without bias: x (N,Cin,H,W) and
// w (Cout,Cin,k,k) -> (N,Cout,OH,OW), square kernel, equal stride and
// padding on both axes. It replaces gorgonia's Conv2d, whose im2col and
// col2im go element by element through generic code (27% of a stage-1
// step): here they are plain loops over the backing slices, and the
// products go straight to our Sgemm. kind selects the forward op or one of
// its two gradient ops. With AVX2, a training step's convolutions (stride 1,
// or stride 2 halving the image) lay out no columns at all (implicit.go);
// the im2col paths below serve inference's large maps, other strides and
// machines without AVX2.
type convOp struct {
	k, stride, pad int
	kind           int // convForward, convGradX, convGradW
	// shape of the result of a gradient op (x's or w's shape).
	out tensor.Shape
	// cols, shared by a forward op and its weight-gradient op, keeps the
	// forward pass's columns for the backward pass (nil: recompute).
	cols *colsCache
}

// colsCache holds the columns the forward op laid out for its input, so
// the weight gradient (which needs the same columns) does not redo im2col.
// It is keyed by the input's backing array: a forward run always precedes
// the gradient in the same run and replaces the entry. Column blocks over
// maxCachedCols values are recomputed rather than kept.
type colsCache struct {
	mu    sync.Mutex
	used  bool // a weight-gradient op reads it (set by SymDiff)
	x     *float32
	n     int
	valid bool
	buf   []float32
}

const maxCachedCols = 8 << 20

// store returns a buffer of n values to lay the columns of x in, owned by
// the cache, or nil when it is too large to keep.
func (c *colsCache) store(x []float32, n int) []float32 {
	if c == nil || n > maxCachedCols {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.used { // a forward-only graph: nothing will read the columns
		return nil
	}
	if cap(c.buf) < n {
		c.buf = make([]float32, n)
	}
	c.x, c.n, c.valid = &x[0], len(x), true
	return c.buf[:n]
}

// kept reports whether a weight-gradient op reads the columns.
func (c *colsCache) kept() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// load returns the cached columns of x, or nil.
func (c *colsCache) load(x []float32, n int) []float32 {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || c.x != &x[0] || c.n != len(x) || len(c.buf) < n {
		return nil
	}
	c.valid = false
	return c.buf[:n]
}

const (
	convForward = iota
	convGradX   // inputs w, dOut -> dX
	convGradW   // inputs x, dOut -> dW
)

func (op convOp) Arity() int { return 2 }

func (op convOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}

func outSize(in, k, s, p int) int { return (in+2*p-k)/s + 1 }

func (op convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if op.kind != convForward {
		return op.out.Clone(), nil
	}
	x, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(x) != 4 || len(w) != 4 || x[1] != w[1] || w[2] != op.k || w[3] != op.k {
		return nil, fmt.Errorf("nn: conv of %v by %v", in[0], in[1])
	}
	return tensor.Shape{x[0], w[0], outSize(x[2], op.k, op.stride, op.pad), outSize(x[3], op.k, op.stride, op.pad)}, nil
}

func f32s(v G.Value) ([]float32, tensor.Shape, error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 {
		return nil, nil, fmt.Errorf("nn: conv needs float32 dense tensors, got %T", v)
	}
	return d.Data().([]float32), d.Shape(), nil
}

func (op convOp) Do(vals ...G.Value) (G.Value, error) {
	a, as, err := f32s(vals[0])
	if err != nil {
		return nil, err
	}
	b, bs, err := f32s(vals[1])
	if err != nil {
		return nil, err
	}
	k, s, p := op.k, op.stride, op.pad
	// The whole batch is one product: the columns of every image side by
	// side (rows c*k*k, columns N*OH*OW), so small maps still make a
	// product large enough for both cores.
	var xs, ws tensor.Shape
	switch op.kind {
	case convForward:
		xs, ws = as, bs
	case convGradX:
		xs, ws = op.out, as
	case convGradW:
		xs, ws = as, op.out
	}
	n, cin, h, wd := xs[0], xs[1], xs[2], xs[3]
	cout := ws[0]
	oh, ow := outSize(h, k, s, p), outSize(wd, k, s, p)
	ckk, hw, ohw := cin*k*k, h*wd, oh*ow
	ld := n * ohw
	// A forward-only convolution of a large map (inference: nothing keeps
	// its columns) stays on the per-image columns below: there the packed
	// GEMM over one image's columns, laid out in cache, beats the implicit
	// kernels (ingest at 64 px, 3,000 faces: 243 against 216 images/s).
	inference := op.kind == convForward && !op.cols.kept() && ohw >= perImageCols
	if op.implicit(h, wd, oh, ow) && !inference {
		return op.doImplicit(a, b, n, cin, cout, h, wd, oh, ow, xs, ws)
	}
	var cols []float32
	switch op.kind {
	case convForward:
		cols = op.cols.store(a, ckk*ld)
	case convGradW:
		cols = op.cols.load(a, ckk*ld)
	}
	cached := cols != nil
	if op.kind == convForward && !cached && ohw >= perImageCols {
		// Nothing keeps the columns (a forward-only graph): lay out and
		// multiply one image at a time, so its columns stay in cache.
		shape := tensor.Shape{n, cout, oh, ow}
		out := make([]float32, shape.TotalSize())
		parallel(n, func(i int) {
			buf := getBuf(ckk * ohw)
			defer putBuf(buf)
			im2col(a[i*cin*hw:(i+1)*cin*hw], cin, h, wd, k, s, p, oh, ow, buf, ohw)
			BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, cout, ohw, ckk, 1, b, ckk, buf, ohw, 0, out[i*cout*ohw:], ohw)
		})
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
	}
	if !cached && !(op.kind == convGradX && op.gradXByConv(cin, cout)) {
		cols = getBuf(ckk * ld)
		defer putBuf(cols)
	}
	var out []float32
	var shape tensor.Shape
	switch op.kind {
	case convForward: // a = x, b = w -> (N, Cout, OH, OW)
		parallel(n, func(i int) { im2col(a[i*cin*hw:(i+1)*cin*hw], cin, h, wd, k, s, p, oh, ow, cols[i*ohw:], ld) })
		shape = tensor.Shape{n, cout, oh, ow}
		out = make([]float32, shape.TotalSize())
		gemmPerImage(n, cout, ohw, ckk, b, cols, ld, out)
	case convGradX: // a = w, b = dOut -> x's shape
		shape = op.out
		if op.gradXByConv(cin, cout) {
			// A stride-1 convolution's input gradient is the convolution
			// of dOut by the flipped, transposed kernel with padding
			// k-1-p: im2col over cout*k*k rows instead of col2im's adds
			// over cin*k*k (5x fewer for the 7x7 conv to RGB).
			out = gradXByConv(a, b, n, cin, cout, h, wd, oh, ow, k, p)
			break
		}
		d := batchMajor(b, n, cout, ohw)
		defer putBuf(d)
		BLAS{}.Sgemm(blas.Trans, blas.NoTrans, ckk, ld, cout, 1, a, ckk, d, ld, 0, cols, ld)
		out = make([]float32, shape.TotalSize())
		parallel(n, func(i int) { col2im(cols[i*ohw:], cin, h, wd, k, s, p, oh, ow, ld, out[i*cin*hw:(i+1)*cin*hw]) })
	case convGradW: // a = x, b = dOut -> w's shape
		if !cached {
			parallel(n, func(i int) { im2col(a[i*cin*hw:(i+1)*cin*hw], cin, h, wd, k, s, p, oh, ow, cols[i*ohw:], ld) })
		}
		d := batchMajor(b, n, cout, ohw)
		defer putBuf(d)
		shape = op.out
		out = make([]float32, shape.TotalSize())
		BLAS{}.Sgemm(blas.NoTrans, blas.Trans, cout, ckk, ld, 1, d, ld, cols, ld, 0, out, ckk)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

// batchMajor turns (N, C, HW) into (C, N*HW) in a pooled buffer.
func batchMajor(x []float32, n, c, hw int) []float32 {
	d := getBuf(c * n * hw)
	for i := range n {
		for ch := range c {
			copy(d[ch*n*hw+i*hw:ch*n*hw+(i+1)*hw], x[(i*c+ch)*hw:(i*c+ch+1)*hw])
		}
	}
	return d
}

// im2col lays out one image's k x k patches as columns: row (c, ky, kx),
// column (oy, ox), rows ld apart; outside the image is zero. Rows are short
// (8 to 64 values), so the zero borders are written by plain loops rather
// than clear calls, and rows of output wholly outside the image are
// cleared in one go.
func im2col(x []float32, c, h, w, k, s, p, oh, ow int, cols []float32, ld int) {
	if s == 2 && h == 2*oh && w == 2*ow {
		im2colStride2(x, c, h, w, k, p, oh, ow, cols, ld)
		return
	}
	for ci := range c {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := range k {
			yLo, yHi := validRange(oh, h, s, ky-p)
			for kx := range k {
				row := cols[((ci*k+ky)*k+kx)*ld:][:oh*ow]
				lo, hi := validRange(ow, w, s, kx-p)
				off := kx - p
				clear(row[:yLo*ow])
				clear(row[yHi*ow:])
				if s == 1 && ow == w {
					sameRows(plane, row[yLo*ow:yHi*ow], (yLo-p+ky)*w+off, ow, lo, hi)
					continue
				}
				for oy := yLo; oy < yHi; oy++ {
					dst := row[oy*ow : (oy+1)*ow : (oy+1)*ow]
					src := plane[(oy*s-p+ky)*w : (oy*s-p+ky+1)*w]
					for ox := 0; ox < lo; ox++ {
						dst[ox] = 0
					}
					for ox := hi; ox < ow; ox++ {
						dst[ox] = 0
					}
					if s == 1 {
						copy(dst[lo:hi], src[lo+off:hi+off])
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox] = src[ox*s+off]
					}
				}
			}
		}
	}
}

// im2colStride2 is im2col for a stride-2 convolution that halves the
// image (the encoders' and D's downsampling 4x4 convolutions): each
// channel is first split into its four phases (even or odd rows, even or
// odd columns), each oh x ow. Kernel tap (ky, kx) then reads one phase,
// shifted by ((ky-p)>>1, (kx-p)>>1), as a stride-1 same-size convolution
// reads its input, so each row of columns is one sameRows copy instead of
// a strided gather per output row.
func im2colStride2(x []float32, c, h, w, k, p, oh, ow int, cols []float32, ld int) {
	ohw := oh * ow
	phases := getBuf(4 * ohw)
	defer putBuf(phases)
	ys, xs := tapRanges(k, 2, p, h, w, oh, ow)
	for ci := range c {
		plane := x[ci*h*w : (ci+1)*h*w]
		for y := range oh {
			for py := range 2 {
				src := plane[(2*y+py)*w : (2*y+py+1)*w]
				even := phases[(py*2)*ohw+y*ow : (py*2)*ohw+(y+1)*ow]
				odd := phases[(py*2+1)*ohw+y*ow : (py*2+1)*ohw+(y+1)*ow]
				for xx := range ow {
					even[xx], odd[xx] = src[2*xx], src[2*xx+1]
				}
			}
		}
		for ky := range k {
			yLo, yHi := ys[ky][0], ys[ky][1]
			py, dy := (ky-p)&1, (ky-p)>>1
			for kx := range k {
				row := cols[((ci*k+ky)*k+kx)*ld:][:ohw]
				clear(row[:yLo*ow])
				clear(row[yHi*ow:])
				if yLo >= yHi {
					continue
				}
				px, dx := (kx-p)&1, (kx-p)>>1
				phase := phases[(py*2+px)*ohw : (py*2+px+1)*ohw]
				sameRows(phase, row[yLo*ow:yHi*ow], (yLo+dy)*ow+dx, ow, xs[kx][0], xs[kx][1])
			}
		}
	}
}

// tapRanges returns, for each kernel row and column (k <= 16), the output
// rows and columns [lo, hi) whose tap lies inside the h x w image.
func tapRanges(k, s, p, h, w, oh, ow int) (ys, xs [16][2]int) {
	for i := range k {
		ys[i][0], ys[i][1] = validRange(oh, h, s, i-p)
		xs[i][0], xs[i][1] = validRange(ow, w, s, i-p)
	}
	return ys, xs
}

// sameRows is im2col's inner loop for a stride-1 convolution whose output
// is as wide as its input: output rows and their input rows are then both
// contiguous runs, one shifted from the other by start, so they are
// copied in one go; the values that wrap around from a neighbouring row
// (or fall outside the plane) are exactly the border columns [0, lo) and
// [hi, ow) of each row, which are then cleared. The dominant convolutions
// (3x3 on 8x8 maps) have rows of 8 values: one copy instead of eight.
func sameRows(plane, dst []float32, start, ow, lo, hi int) {
	n := len(dst)
	d0, d1 := max(0, -start), min(n, len(plane)-start)
	if d0 < d1 {
		copy(dst[d0:d1], plane[start+d0:start+d1])
	}
	for r := 0; r < n; r += ow {
		row := dst[r : r+ow : r+ow]
		for ox := 0; ox < lo; ox++ {
			row[ox] = 0
		}
		for ox := hi; ox < ow; ox++ {
			row[ox] = 0
		}
	}
}

// col2im adds columns laid out as by im2col back into an image. The
// columns are scratch: their entries for taps outside the image may be
// cleared. Stride-1 same-size and image-halving stride-2 convolutions add
// each row of columns in one run, as im2col lays them out (addSameRows).
func col2im(cols []float32, c, h, w, k, s, p, oh, ow, ld int, x []float32) {
	if s == 2 && h == 2*oh && w == 2*ow {
		col2imStride2(cols, c, h, w, k, p, oh, ow, ld, x)
		return
	}
	for ci := range c {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := range k {
			yLo, yHi := validRange(oh, h, s, ky-p)
			for kx := range k {
				row := cols[((ci*k+ky)*k+kx)*ld:][:oh*ow]
				lo, hi := validRange(ow, w, s, kx-p)
				if lo >= hi || yLo >= yHi {
					continue
				}
				if s == 1 && ow == w {
					addSameRows(plane, row[yLo*ow:yHi*ow], (yLo-p+ky)*w+kx-p, ow, lo, hi)
					continue
				}
				for oy := yLo; oy < yHi; oy++ {
					dst := plane[(oy*s-p+ky)*w : (oy*s-p+ky+1)*w]
					src := row[oy*ow : (oy+1)*ow]
					if s == 1 {
						addTo(dst[lo+kx-p:hi+kx-p], src[lo:hi])
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox*s+kx-p] += src[ox]
					}
				}
			}
		}
	}
}

// col2imStride2 is col2im for a stride-2 convolution that halves the
// image: the columns are added into the image's four phases as im2colStride2
// read them, then the phases into the image.
func col2imStride2(cols []float32, c, h, w, k, p, oh, ow, ld int, x []float32) {
	ohw := oh * ow
	phases := getBuf(4 * ohw)
	defer putBuf(phases)
	ys, xs := tapRanges(k, 2, p, h, w, oh, ow)
	for ci := range c {
		clear(phases)
		for ky := range k {
			yLo, yHi := ys[ky][0], ys[ky][1]
			py, dy := (ky-p)&1, (ky-p)>>1
			for kx := range k {
				lo, hi := xs[kx][0], xs[kx][1]
				if lo >= hi || yLo >= yHi {
					continue
				}
				px, dx := (kx-p)&1, (kx-p)>>1
				row := cols[((ci*k+ky)*k+kx)*ld:][:ohw]
				phase := phases[(py*2+px)*ohw : (py*2+px+1)*ohw]
				addSameRows(phase, row[yLo*ow:yHi*ow], (yLo+dy)*ow+dx, ow, lo, hi)
			}
		}
		plane := x[ci*h*w : (ci+1)*h*w]
		for y := range oh {
			for py := range 2 {
				dst := plane[(2*y+py)*w : (2*y+py+1)*w]
				even := phases[(py*2)*ohw+y*ow : (py*2)*ohw+(y+1)*ow]
				odd := phases[(py*2+1)*ohw+y*ow : (py*2+1)*ohw+(y+1)*ow]
				for xx := range ow {
					dst[2*xx] += even[xx]
					dst[2*xx+1] += odd[xx]
				}
			}
		}
	}
}

// addSameRows is sameRows' reverse: it adds the rows of src (a run of
// whole output rows of one row of columns) into plane, shifted by start,
// in one run, after clearing src's border columns [0, lo) and [hi, ow)
// (taps outside the image, which the run would otherwise add into the
// neighbouring row's edge).
func addSameRows(plane, src []float32, start, ow, lo, hi int) {
	n := len(src)
	for r := 0; r < n; r += ow {
		row := src[r : r+ow : r+ow]
		for ox := 0; ox < lo; ox++ {
			row[ox] = 0
		}
		for ox := hi; ox < ow; ox++ {
			row[ox] = 0
		}
	}
	d0, d1 := max(0, -start), min(n, len(plane)-start)
	if d0 < d1 {
		addTo(plane[start+d0:start+d1], src[d0:d1])
	}
}

func (op convOp) ReturnsPtr() bool     { return false }
func (op convOp) CallsExtern() bool    { return false }
func (op convOp) OverwritesInput() int { return -1 }
func (op convOp) String() string {
	return fmt.Sprintf("rgunit.Conv{k=%d s=%d p=%d kind=%d out=%v}", op.k, op.stride, op.pad, op.kind, op.out)
}
func (op convOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op convOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op convOp) DiffWRT(int) []bool { return []bool{op.kind == convForward, op.kind == convForward} }

func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.kind != convForward {
		return nil, fmt.Errorf("nn: conv gradients are not differentiable")
	}
	x, w := inputs[0], inputs[1]
	if op.cols != nil {
		op.cols.mu.Lock()
		op.cols.used = true
		op.cols.mu.Unlock()
	}
	gx, err := G.ApplyOp(convOp{k: op.k, stride: op.stride, pad: op.pad, kind: convGradX, out: x.Shape().Clone()}, w, grad)
	if err != nil {
		return nil, err
	}
	gw, err := G.ApplyOp(convOp{k: op.k, stride: op.stride, pad: op.pad, kind: convGradW, out: w.Shape().Clone(), cols: op.cols}, x, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{gx, gw}, nil
}

// validRange returns the output columns [lo, hi) whose input column
// ox*s + off lies in [0, w).
func validRange(ow, w, s, off int) (lo, hi int) {
	lo, hi = 0, ow
	for lo < hi && lo*s+off < 0 {
		lo++
	}
	for hi > lo && (hi-1)*s+off >= w {
		hi--
	}
	return lo, hi
}

// parallel runs f(0..n-1) on all cores.
func parallel(n int, f func(i int)) {
	workers := min(cores(), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// gradXByConv reports whether the input gradient is computed as a
// convolution (gradXByConv): for stride 1, when it lays out no more
// columns than col2im would add (cout <= cin).
func (op convOp) gradXByConv(cin, cout int) bool {
	return op.stride == 1 && op.pad <= op.k-1 && cout <= cin
}

// implicit reports whether the op runs as an implicit convolution (see
// implicit.go): stride 1 with padding that leaves the input gradient a
// convolution too, or stride 2 halving the image.
func (op convOp) implicit(h, w, oh, ow int) bool {
	switch {
	case !hasAVX2:
		return false
	case op.stride == 1:
		return op.pad <= op.k-1
	case op.stride == 2:
		return halving(h, w, oh, ow, op.k, op.pad)
	}
	return false
}

// doImplicit is Do for an implicit convolution: a and b are the op's
// inputs, xs and ws the shapes of the convolution's input and weights.
func (op convOp) doImplicit(a, b []float32, n, cin, cout, h, wd, oh, ow int, xs, ws tensor.Shape) (G.Value, error) {
	k, p := op.k, op.pad
	// The kernels check no bounds: the inputs must hold what the shapes say.
	nx, nw, ny := n*cin*h*wd, cout*cin*k*k, n*cout*oh*ow
	var shape tensor.Shape
	var na, nb int
	switch op.kind {
	case convForward:
		shape, na, nb = tensor.Shape{n, cout, oh, ow}, nx, nw
	case convGradX:
		shape, na, nb = xs.Clone(), nw, ny
	default:
		shape, na, nb = ws.Clone(), nx, ny
	}
	if len(a) != na || len(b) != nb {
		return nil, fmt.Errorf("nn: %v: inputs of %d and %d values, want %d and %d", op, len(a), len(b), na, nb)
	}
	out := make([]float32, shape.TotalSize())
	switch {
	case op.stride == 2 && op.kind == convForward: // a = x, b = w
		halvingConv(a, n, cin, oh, ow, k, p, b, cout, out)
	case op.stride == 2 && op.kind == convGradX: // a = w, b = dOut
		halvingConvGradX(a, b, n, cin, oh, ow, k, p, cout, out)
	case op.stride == 2: // a = x, b = dOut
		halvingConvGradW(a, n, cin, oh, ow, k, p, b, cout, out)
	case op.kind == convForward:
		implicitConv(a, n, cin, h, wd, k, p, b, cout, out)
	case op.kind == convGradX: // dOut convolved by w flipped and transposed
		wt := flipTranspose(a, cout, cin, k)
		defer putBuf(wt)
		implicitConv(b, n, cout, oh, ow, k, k-1-p, wt, cin, out)
	default:
		implicitConvGradW(a, n, cin, h, wd, k, p, b, cout, out)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

// flipTranspose returns, in a pooled buffer, the weights w (cout, cin, k,
// k) flipped in space and transposed in channels: (cin, cout, k, k).
func flipTranspose(w []float32, cout, cin, k int) []float32 {
	kk := k * k
	wt := getBuf(cin * cout * kk)
	for co := range cout {
		for ci := range cin {
			src := w[(co*cin+ci)*kk : (co*cin+ci+1)*kk]
			dst := wt[(ci*cout+co)*kk : (ci*cout+co+1)*kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
	return wt
}

// gradXByConv returns the input gradient (N, cin, h, w) of a stride-1
// convolution with weights w (cout, cin, k, k) and padding p, from dOut
// (N, cout, oh, ow): dOut convolved with w flipped in space and transposed
// in channels, padded by k-1-p.
func gradXByConv(w, dOut []float32, n, cin, cout, h, wd, oh, ow, k, p int) []float32 {
	kk := k * k
	wt := flipTranspose(w, cout, cin, k)
	defer putBuf(wt)
	pp := k - 1 - p
	hw, ohw := h*wd, oh*ow
	ld := n * hw
	rows := cout * kk
	cols := getBuf(rows * ld)
	defer putBuf(cols)
	parallel(n, func(i int) { im2col(dOut[i*cout*ohw:(i+1)*cout*ohw], cout, oh, ow, k, 1, pp, h, wd, cols[i*hw:], ld) })
	out := make([]float32, n*cin*hw)
	gemmPerImage(n, cin, hw, rows, wt, cols, ld, out)
	return out
}

// perImageCols: from this many output pixels per image on, a convolution's
// product runs image by image, straight into the output's layout; below,
// one product over the whole batch (wide enough for both cores) whose
// result is then reordered.
const perImageCols = 256

// gemmPerImage writes w (m x k) times the columns (k x n*cols, row stride
// ld) into out, laid out (n, m, cols).
func gemmPerImage(n, m, cols, k int, w, b []float32, ld int, out []float32) {
	if cols >= perImageCols {
		for i := range n {
			BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, m, cols, k, 1, w, k, b[i*cols:], ld, 0, out[i*m*cols:], cols)
		}
		return
	}
	prod := getBuf(m * ld)
	defer putBuf(prod)
	BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, m, ld, k, 1, w, k, b, ld, 0, prod, ld)
	for i := range n { // (m, N, cols) -> (N, m, cols)
		for c := range m {
			copy(out[(i*m+c)*cols:(i*m+c+1)*cols], prod[c*ld+i*cols:c*ld+(i+1)*cols])
		}
	}
}
