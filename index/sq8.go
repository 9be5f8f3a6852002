package index

import (
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Quantization is how an HNSW keeps the vectors its graph walk compares.
type Quantization uint8

const (
	// Float keeps float32 vectors (the default).
	Float Quantization = iota
	// SQ8 keeps one byte per dimension, scaled per dimension, for the graph
	// walk (a quarter of the bytes: more of the index fits in cache and
	// each hop reads less), and re-ranks the final candidates by their
	// float vectors: an in-memory [HNSW] keeps those in a separate array;
	// a [Stored] index reads them from its file, so it holds only the
	// bytes in memory.
	SQ8
)

func (q Quantization) String() string {
	switch q {
	case Float:
		return "float"
	case SQ8:
		return "sq8"
	}
	return fmt.Sprintf("Quantization(%d)", q)
}

// ParseQuantization reads "float" or "sq8".
func ParseQuantization(s string) (Quantization, error) {
	for q := Float; q <= SQ8; q++ {
		if q.String() == s {
			return q, nil
		}
	}
	return 0, fmt.Errorf("%w: quantization %q (float, sq8)", ErrOptions, s)
}

// sq8Rerank: a quantized search re-ranks by the float vectors the
// sq8Rerank*k nearest of its candidates by the byte codes (at least
// sq8RerankMin, at most ef). On clustered 50k x 128 (100 centres, ef 20
// and 40, re-ranking from the bucket) 2k gave the recall of 3k
// (0.918/0.983 against 0.918/0.984) at 1.02x/1.18x the queries per
// second; k alone lost a tenth of the neighbours (0.84/0.87).
const (
	sq8Rerank    = 2
	sq8RerankMin = 20
)

// quantizer maps a vector to bytes per dimension: code = round((v -
// Lo) / Step), clamped to 0..255; a code decodes to Lo + Step*code.
type quantizer struct {
	Lo   []float32 `json:"lo"`
	Step []float32 `json:"step"`
}

// fitQuantizer sets each dimension's range from vecs (a sample of the
// vectors an index has received), widened by a sixteenth of the range on
// each side so that later vectors a little outside it keep distinct codes;
// components beyond it clamp (the re-ranking by the float vectors restores
// the order). A quarter on each side cost recall (clustered 50k x 128, ef
// 10/15/20: 0.890/0.978/0.989 against 0.903/0.986/0.997).
func fitQuantizer(vecs [][]float32, dim int) *quantizer {
	q := &quantizer{Lo: make([]float32, dim), Step: make([]float32, dim)}
	for j := range dim {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range vecs {
			lo, hi = min(lo, v[j]), max(hi, v[j])
		}
		pad := max((hi-lo)/16, 1e-3*max(abs32(lo), abs32(hi)), 1e-6)
		lo, hi = lo-pad, hi+pad
		q.Lo[j], q.Step[j] = lo, (hi-lo)/255
	}
	return q
}

// refitUpTo: an SQ8 index fits its quantizer again, and re-encodes its
// nodes, each time its size doubles until it has been fitted on this many
// vectors: an index filled one Add at a time would otherwise keep the
// ranges of its first vector.
const refitUpTo = 4096

// fit (re)fits an SQ8 index's quantizer before vecs (prepared) are
// inserted: on the first vectors, then on a sample of the nodes and vecs
// whenever the size doubles, up to refitUpTo.
func (h *HNSW) fit(vecs [][]float32) error {
	if h.opts.Quantize != SQ8 {
		return nil
	}
	h.qMu.Lock()
	defer h.qMu.Unlock()
	n := int(h.n.Load())
	if h.q != nil && (h.fittedOn >= refitUpTo || n+len(vecs) < 2*h.fittedOn) {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n = int(h.n.Load())
	sample := make([][]float32, 0, min(n, refitUpTo)+min(len(vecs), refitUpTo))
	for i := 0; i < len(vecs); i += max(1, len(vecs)/refitUpTo) {
		sample = append(sample, vecs[i])
	}
	ids := make([]uint32, 0, n)
	for i := range uint32(n) {
		ids = append(ids, i)
	}
	floats := make([][]float32, n)
	if err := h.nodeFloats(ids, func(j int, v []float32) { floats[j] = slices.Clone(v) }); err != nil {
		return err
	}
	for i := 0; i < n; i += max(1, n/refitUpTo) {
		sample = append(sample, floats[i])
	}
	q := fitQuantizer(sample, h.dim)
	for i, v := range floats {
		q.encode(v, h.codes(uint32(i)))
	}
	h.q, h.fittedOn = q, n+len(vecs)
	return nil
}

// nodeFloats calls fn with the float vector of each node of ids (from raw,
// or through floatsOf).
func (h *HNSW) nodeFloats(ids []uint32, fn func(j int, v []float32)) error {
	if h.floatsOf != nil {
		return h.floatsOf(ids, fn)
	}
	for j, i := range ids {
		fn(j, h.vec(i))
	}
	return nil
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// check validates a quantizer read from a file.
func (q *quantizer) check(dim int) error {
	if len(q.Lo) != dim || len(q.Step) != dim {
		return fmt.Errorf("quantizer of %d/%d dimensions for %d", len(q.Lo), len(q.Step), dim)
	}
	for j := range dim {
		if !finite(q.Lo[j]) || !finite(q.Step[j]) || q.Step[j] <= 0 {
			return fmt.Errorf("quantizer dimension %d: lo %v step %v", j, q.Lo[j], q.Step[j])
		}
	}
	return nil
}

func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// encode writes v's codes into c.
func (q *quantizer) encode(v []float32, c []byte) {
	for j, x := range v {
		t := (x - q.Lo[j]) / q.Step[j]
		switch {
		case t <= 0:
			c[j] = 0
		case t >= 255:
			c[j] = 255
		default:
			c[j] = byte(t + 0.5)
		}
	}
}

// decode writes the vector codes c stand for into v.
func (q *quantizer) decode(c []byte, v []float32) {
	for j, b := range c[:len(v)] {
		v[j] = q.Lo[j] + q.Step[j]*float32(b)
	}
}

// probe is a vector prepared for distances to the nodes' stored vectors:
// the vector itself for a float index; for a quantized one, a = v - Lo
// (squared L2 and cosine: sum_j (a_j - Step_j c_j)^2) or a = v * Step and
// c0 = v . Lo (the inner product with a code c is c0 + a . c).
type probe struct {
	v   []float32
	a   []float32
	c0  float32
	buf []float32 // decoded node vector (nodeProbe)
}

// codes returns node i's byte codes (in its record in nodes; SQ8 only).
func (h *HNSW) codes(i uint32) []byte {
	o := int(i)*h.stride + 1 + h.m0 + 3
	w := h.nodes[o : o+h.vecWords : o+h.vecWords]
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), h.dim)
}

// vecAddr is the first word of node i's stored vector (for prefetching;
// starting at its state word, 12 bytes before, measured 2% slower).
func (h *HNSW) vecAddr(i uint32) *uint32 { return &h.nodes[int(i)*h.stride+1+h.m0+3] }

// probeFor prepares v (in the metric's stored form) in p.
func (h *HNSW) probeFor(v []float32, p *probe) *probe {
	p.v = v
	if h.q == nil {
		return p
	}
	if cap(p.a) < h.dim {
		p.a = make([]float32, h.dim)
	}
	p.a = p.a[:h.dim]
	q := h.q
	if h.opts.Metric != InnerProduct {
		for j, x := range v {
			p.a[j] = x - q.Lo[j]
		}
		return p
	}
	p.c0 = 0
	for j, x := range v {
		p.a[j] = x * q.Step[j]
		p.c0 += x * q.Lo[j]
	}
	return p
}

// nodeProbe prepares node i's vector (decoded from its codes when
// quantized) in p.
func (h *HNSW) nodeProbe(i uint32, p *probe) *probe {
	if h.q == nil {
		return h.probeFor(h.vec(i), p)
	}
	if cap(p.buf) < h.dim {
		p.buf = make([]float32, h.dim)
	}
	p.buf = p.buf[:h.dim]
	h.q.decode(h.codes(i), p.buf)
	return h.probeFor(p.buf, p)
}

// distTo is the distance from p to node i's stored vector: for a float
// index with squared L2 on an AVX2 CPU the kernel called directly (one call
// fewer per distance, 5% of a search); for a quantized one the code
// kernels.
func (h *HNSW) distTo(p *probe, i uint32) float32 {
	if h.q == nil {
		if h.avxL2 {
			return l2AVX2(&p.v[0], &h.vec(i)[0], h.dim)
		}
		return h.dist(p.v, h.vec(i))
	}
	c := h.codes(i)
	switch h.opts.Metric {
	case L2:
		return sq8L2(p.a, h.q.Step, c)
	case Cosine:
		// For unit vectors 1 - q.x = |q - x|^2 / 2: through the squared
		// distance the codes' error shrinks with the distance (in the
		// inner product it does not: recall 0.90 against 0.98 at ef 64
		// on clustered 5k x 64, TestSQ8Recall).
		return sq8L2(p.a, h.q.Step, c) / 2
	}
	return -(p.c0 + sq8Dot(p.a, c))
}

// goSQ8L2 is sum_j (a_j - s_j c_j)^2 in pure Go.
func goSQ8L2(a, s []float32, c []byte) float32 {
	s, c = s[:len(a)], c[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 {
		d0 := a[0] - s[0]*float32(c[0])
		d1 := a[1] - s[1]*float32(c[1])
		d2 := a[2] - s[2]*float32(c[2])
		d3 := a[3] - s[3]*float32(c[3])
		s0, s1, s2, s3 = s0+d0*d0, s1+d1*d1, s2+d2*d2, s3+d3*d3
		a, s, c = a[4:], s[4:], c[4:]
	}
	for j := range a {
		d := a[j] - s[j]*float32(c[j])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// goSQ8Dot is sum_j a_j c_j in pure Go.
func goSQ8Dot(a []float32, c []byte) float32 {
	c = c[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 {
		s0 += a[0] * float32(c[0])
		s1 += a[1] * float32(c[1])
		s2 += a[2] * float32(c[2])
		s3 += a[3] * float32(c[3])
		a, c = a[4:], c[4:]
	}
	for j := range a {
		s0 += a[j] * float32(c[j])
	}
	return (s0 + s1) + (s2 + s3)
}
