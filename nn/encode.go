package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrFormat: serialized parameters or optimizer state that do not decode,
// or that do not match the model they are loaded into.
var ErrFormat = errors.New("nn: bad serialized weights")

// Format of a parameter set, all integers uvarint:
//
//	count, then per parameter in name order:
//	len(name), name, ndims, dims..., then prod(dims) float32 LE
//
// An Adam state is: step, lr/beta1/beta2/eps as float64 bits (uint64 LE),
// count, then per key in order: len(key), key, n, n float32 LE (m), then n
// float32 LE (v).

func putUvarint(w []byte, x uint64) []byte { return binary.AppendUvarint(w, x) }

func putFloats(w []byte, xs []float32) []byte {
	for _, x := range xs {
		w = binary.LittleEndian.AppendUint32(w, math.Float32bits(x))
	}
	return w
}

// AppendParams appends p's encoding to w.
func AppendParams(w []byte, p *Params) []byte {
	names := p.Sorted()
	w = putUvarint(w, uint64(len(names)))
	for _, n := range names {
		t := p.byName[n]
		w = putUvarint(w, uint64(len(n)))
		w = append(w, n...)
		shape := t.Shape()
		w = putUvarint(w, uint64(len(shape)))
		for _, d := range shape {
			w = putUvarint(w, uint64(d))
		}
		w = putFloats(w, t.Data().([]float32))
	}
	return w
}

// reader decodes from a byte slice without panicking on short input.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 || x > max {
		r.err = fmt.Errorf("%w: bad integer", ErrFormat)
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = fmt.Errorf("%w: truncated", ErrFormat)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) floats(dst []float32) {
	raw := r.bytes(uint64(len(dst)) * 4)
	if raw == nil {
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
}

const maxName, maxCount, maxElems = 256, 1 << 16, 1 << 28

// ReadParams reads an encoding made by AppendParams into p, whose names and
// shapes must match exactly, and returns the rest of b. On error p may be
// partly overwritten (callers load into fresh models).
func ReadParams(b []byte, p *Params) ([]byte, error) {
	r := &reader{b: b}
	n := r.uvarint(maxCount)
	if r.err == nil && int(n) != len(p.names) {
		return nil, fmt.Errorf("%w: %d parameters, the model has %d", ErrFormat, n, len(p.names))
	}
	for range n {
		name := string(r.bytes(r.uvarint(maxName)))
		nd := r.uvarint(8)
		if r.err != nil {
			return nil, r.err
		}
		t := p.byName[name]
		if t == nil {
			return nil, fmt.Errorf("%w: unknown parameter %q", ErrFormat, name)
		}
		shape := make([]int, nd)
		for i := range shape {
			shape[i] = int(r.uvarint(maxElems))
		}
		if r.err != nil {
			return nil, r.err
		}
		if !slices.Equal(shape, []int(t.Shape())) {
			return nil, fmt.Errorf("%w: %s has shape %v, the model %v", ErrFormat, name, shape, t.Shape())
		}
		r.floats(t.Data().([]float32))
	}
	return r.b, r.err
}

// AppendAdam appends the optimizer's state to w.
func AppendAdam(w []byte, a *Adam) []byte {
	w = putUvarint(w, uint64(a.Step))
	for _, f := range []float64{a.LR, a.Beta1, a.Beta2, a.Eps} {
		w = binary.LittleEndian.AppendUint64(w, math.Float64bits(f))
	}
	keys := make([]string, 0, len(a.M))
	for k := range a.M {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w = putUvarint(w, uint64(len(keys)))
	for _, k := range keys {
		w = putUvarint(w, uint64(len(k)))
		w = append(w, k...)
		w = putUvarint(w, uint64(len(a.M[k])))
		w = putFloats(w, a.M[k])
		w = putFloats(w, a.V[k])
	}
	return w
}

// ReadAdam decodes an optimizer state and returns the rest of b.
func ReadAdam(b []byte) (*Adam, []byte, error) {
	r := &reader{b: b}
	a := &Adam{M: map[string][]float32{}, V: map[string][]float32{}}
	a.Step = int(r.uvarint(math.MaxInt32))
	for _, f := range []*float64{&a.LR, &a.Beta1, &a.Beta2, &a.Eps} {
		if raw := r.bytes(8); raw != nil {
			*f = math.Float64frombits(binary.LittleEndian.Uint64(raw))
		}
	}
	n := r.uvarint(maxCount)
	for range n {
		k := string(r.bytes(r.uvarint(maxName)))
		size := r.uvarint(maxElems)
		if r.err != nil {
			return nil, nil, r.err
		}
		if uint64(len(r.b)) < 8*size {
			return nil, nil, fmt.Errorf("%w: truncated", ErrFormat)
		}
		m, v := make([]float32, size), make([]float32, size)
		r.floats(m)
		r.floats(v)
		a.M[k], a.V[k] = m, v
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	return a, r.b, nil
}

// AppendHeader appends a model blob's header: magic, then the uvarint
// length of header's JSON encoding, then that JSON.
func AppendHeader(w []byte, magic string, header any) ([]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	w = append(w, magic...)
	w = binary.AppendUvarint(w, uint64(len(h)))
	return append(w, h...), nil
}

// ReadHeader reads a header written by AppendHeader into header and
// returns the bytes after it (errors wrap ErrFormat).
func ReadHeader(b []byte, magic string, header any) ([]byte, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a %q blob", ErrFormat, strings.TrimSpace(magic))
	}
	b = b[len(magic):]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, fmt.Errorf("%w: bad header length", ErrFormat)
	}
	if err := json.Unmarshal(b[k:k+int(n)], header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	return b[k+int(n):], nil
}
