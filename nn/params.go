package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync/atomic"

	"gorgonia.org/tensor"
)

// Params is a named, ordered set of float32 weight tensors.
type Params struct {
	id     uint64 // see ID
	names  []string
	byName map[string]*tensor.Dense
	rng    *rand.Rand
}

// paramsMade numbers the sets of parameters made in this process.
var paramsMade atomic.Uint64

func newParams(rng *rand.Rand) *Params {
	return &Params{id: paramsMade.Add(1), byName: map[string]*tensor.Dense{}, rng: rng}
}

// NewParams returns an empty set whose initializers draw from seed.
func NewParams(seed uint64) *Params { return newParams(rand.New(rand.NewPCG(seed, 0x5eed))) }

// ID identifies the set for caches keyed by weights (nn.InferenceGraphs):
// unique in the process and never reused, unlike the set's address, which
// a later set may get once this one is collected (a cached graph would then
// run with another model's tensors and shapes).
func (p *Params) ID() uint64 { return p.id }

// Init says how a new tensor is filled.
type Init int

const (
	Zeros Init = iota
	Ones
	He       // N(0, 2/fan_in): fan_in is the product of all dims but the first
	Normal02 // N(0, 0.02^2), as the discriminators of DCGAN and MUNIT
)

// New adds a tensor of the given shape under name.
func (p *Params) New(name string, init Init, shape ...int) *tensor.Dense {
	if _, dup := p.byName[name]; dup {
		panic(fmt.Sprintf("nn: parameter %q defined twice", name)) // a programming error in a model definition
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	switch init {
	case Ones:
		for i := range data {
			data[i] = 1
		}
	case He:
		std := math.Sqrt(2 / float64(n/shape[0]))
		for i := range data {
			data[i] = float32(p.rng.NormFloat64() * std)
		}
	case Normal02:
		for i := range data {
			data[i] = float32(p.rng.NormFloat64() * 0.02)
		}
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	p.names = append(p.names, name)
	p.byName[name] = t
	return t
}

// Get returns the tensor named name, or nil.
func (p *Params) Get(name string) *tensor.Dense { return p.byName[name] }

// Names returns the parameter names in definition order.
func (p *Params) Names() []string { return p.names }

// Count returns the number of scalars.
func (p *Params) Count() int {
	n := 0
	for _, t := range p.byName {
		n += t.Shape().TotalSize()
	}
	return n
}

// Sorted returns the names sorted (for stable encodings).
func (p *Params) Sorted() []string {
	s := append([]string(nil), p.names...)
	sort.Strings(s)
	return s
}

// CopyFrom copies the values of every tensor of src into p's tensor of the
// same name; the two sets must have the same names and shapes.
func (p *Params) CopyFrom(src *Params) error {
	if len(p.names) != len(src.names) {
		return fmt.Errorf("%w: %d parameters, the source has %d", ErrFormat, len(p.names), len(src.names))
	}
	for _, n := range p.names {
		s := src.byName[n]
		if s == nil || !s.Shape().Eq(p.byName[n].Shape()) {
			return fmt.Errorf("%w: parameter %q missing or of another shape in the source", ErrFormat, n)
		}
		copy(p.byName[n].Data().([]float32), s.Data().([]float32))
	}
	return nil
}

// CopyMatching copies the values of every tensor of src whose name and
// shape p also has (a warm start from a related model) and returns how
// many of p's tensors, and how many of their values, it filled.
func (p *Params) CopyMatching(src *Params) (tensors, values int) {
	for _, n := range p.names {
		s := src.byName[n]
		if s == nil || !s.Shape().Eq(p.byName[n].Shape()) {
			continue
		}
		values += copy(p.byName[n].Data().([]float32), s.Data().([]float32))
		tensors++
	}
	return tensors, values
}

// Subset returns the parameters of p whose names keep accepts, sharing
// p's tensors (a graph can train a subset and bind the rest as constants).
func (p *Params) Subset(keep func(name string) bool) *Params {
	s := newParams(p.rng)
	for _, n := range p.names {
		if keep(n) {
			s.names = append(s.names, n)
			s.byName[n] = p.byName[n]
		}
	}
	return s
}

// Clone returns a deep copy of p (new tensors with the same names, shapes
// and values).
func (p *Params) Clone() *Params {
	c := newParams(p.rng)
	for _, n := range p.names {
		t := p.byName[n]
		data := append([]float32(nil), t.Data().([]float32)...)
		c.names = append(c.names, n)
		c.byName[n] = tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.WithBacking(data))
	}
	return c
}

// MoveAverage moves every tensor of p towards src's tensor of the same
// name: p = decay * p + (1 - decay) * src (an exponential moving average
// of weights; the two sets must have the same names and shapes).
func (p *Params) MoveAverage(src *Params, decay float64) error {
	d, e := float32(decay), float32(1-decay)
	for _, n := range p.names {
		s := src.byName[n]
		if s == nil || !s.Shape().Eq(p.byName[n].Shape()) {
			return fmt.Errorf("%w: parameter %q missing or of another shape in the source", ErrFormat, n)
		}
		dst, from := p.byName[n].Data().([]float32), s.Data().([]float32)
		for i, v := range from {
			dst[i] = d*dst[i] + e*v
		}
	}
	return nil
}
