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
// its two gradient ops.
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

// col2im adds columns laid out as by im2col back into an image.
func col2im(cols []float32, c, h, w, k, s, p, oh, ow, ld int, x []float32) {
	for ci := range c {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := range k {
			for kx := range k {
				row := cols[((ci*k+ky)*k+kx)*ld:][:oh*ow]
				lo, hi := validRange(ow, w, s, kx-p)
				if lo >= hi {
					continue
				}
				for oy := range oh {
					iy := oy*s - p + ky
					if iy < 0 || iy >= h {
						continue
					}
					dst := plane[iy*w : (iy+1)*w]
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

// gradXByConv returns the input gradient (N, cin, h, w) of a stride-1
// convolution with weights w (cout, cin, k, k) and padding p, from dOut
// (N, cout, oh, ow): dOut convolved with w flipped in space and transposed
// in channels, padded by k-1-p.
func gradXByConv(w, dOut []float32, n, cin, cout, h, wd, oh, ow, k, p int) []float32 {
	kk := k * k
	wt := getBuf(cin * cout * kk)
	defer putBuf(wt)
	for co := range cout {
		for ci := range cin {
			src := w[(co*cin+ci)*kk : (co*cin+ci+1)*kk]
			dst := wt[(ci*cout+co)*kk : (ci*cout+co+1)*kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
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
