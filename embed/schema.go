package embed

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// ErrAttribute: an attribute name the model does not know, or a malformed
// or contradictory target list.
var ErrAttribute = errors.New("embed: bad attribute")

// Exclusive reports whether attribute name belongs to the one-hot group of
// hair colours (CelebA's Black_Hair, Blond_Hair, Brown_Hair, Gray_Hair):
// at most one of them is +1.
func Exclusive(name string) bool { return strings.HasSuffix(name, "_Hair") }

// Group returns the positions of the other attributes of a's one-hot group
// (none for an attribute outside it).
func (s Schema) Group(a int) []int {
	if !Exclusive(s.Attrs[a]) {
		return nil
	}
	var g []int
	for i, n := range s.Attrs {
		if i != a && Exclusive(n) {
			g = append(g, i)
		}
	}
	return g
}

// FlipOne returns vals with one attribute, drawn at random, changed: a
// binary attribute flips sign; a hair colour (see Exclusive) is replaced by
// another one of the schema, so hair stays one-hot.
func (s Schema) FlipOne(vals []int8, rng *rand.Rand) []int8 {
	out := slices.Clone(vals)
	a := rng.IntN(len(s.Attrs))
	g := s.Group(a)
	if len(g) == 0 {
		out[a] = -out[a]
		return out
	}
	// Choose a hair colour other than the current one.
	colours := append([]int{a}, g...)
	slices.Sort(colours)
	cur := -1
	for _, c := range colours {
		if out[c] > 0 {
			cur = c
		}
	}
	choices := slices.DeleteFunc(slices.Clone(colours), func(c int) bool { return c == cur })
	next := choices[rng.IntN(len(choices))]
	for _, c := range colours {
		out[c] = -1
	}
	out[next] = 1
	return out
}

// DefaultAttrDim is the code dimensions per attribute.
const DefaultAttrDim = 8

// ComponentStd is the standard deviation of each attribute value's Gaussian.
const ComponentStd = 0.5

// Schema is the attribute layout of a code: Dim dimensions per attribute,
// then Free dimensions of style no attribute owns (background, skin tone:
// what the content map's instance norms remove), whose prior is N(0,
// ComponentStd^2) whatever the attributes.
type Schema struct {
	Attrs []string `json:"attrs"`
	Dim   int      `json:"dim"` // code dimensions per attribute
	Free  int      `json:"free,omitempty"`
}

// CodeDim is the length of a code.
func (s Schema) CodeDim() int { return len(s.Attrs)*s.Dim + s.Free }

// FreeStart is the position of the first free dimension.
func (s Schema) FreeStart() int { return len(s.Attrs) * s.Dim }

// Index returns the position of an attribute, or -1.
func (s Schema) Index(name string) int { return slices.Index(s.Attrs, name) }

// Means writes the mean code of the attribute values vals (+1 or -1 per
// attribute, in schema order) into out (the free dimensions' mean is 0).
func (s Schema) Means(vals []int8, out []float32) {
	for a, v := range vals {
		for j := range s.Dim {
			out[a*s.Dim+j] = float32(v)
		}
	}
	clear(out[s.FreeStart():s.CodeDim()])
}

// Sample writes a code drawn from the Gaussians of vals into out.
func (s Schema) Sample(vals []int8, rng *rand.Rand, out []float32) {
	s.Means(vals, out)
	for i := range out[:s.CodeDim()] {
		out[i] += float32(ComponentStd * rng.NormFloat64())
	}
}

// ParseTargets reads a target list like "Blond_Hair,Young,-Male" (a name
// means +1, a leading '-' means -1) and applies it to base (a copy of the
// source image's values): attributes not named keep their value, and a
// hair colour set to +1 turns the others off. Unknown names and repeats
// are errors.
func (s Schema) ParseTargets(spec string, base []int8) ([]int8, error) {
	out := slices.Clone(base)
	if len(out) != len(s.Attrs) {
		return nil, fmt.Errorf("%w: %d values for %d attributes", ErrAttribute, len(out), len(s.Attrs))
	}
	named, err := s.NamedTargets(spec)
	if err != nil {
		return nil, err
	}
	for i, v := range named {
		if v == 0 {
			continue
		}
		out[i] = v
		if v > 0 && Exclusive(s.Attrs[i]) { // the other colours turn off
			for _, g := range s.Group(i) {
				out[g] = -1
			}
		}
	}
	return out, nil
}

// NamedTargets reads a target list as ParseTargets does and returns, per
// attribute, the value it names (0 for an attribute it does not name).
func (s Schema) NamedTargets(spec string) ([]int8, error) {
	out := make([]int8, len(s.Attrs))
	var hair string // the hair colour set to +1, if any
	named := 0
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v := int8(1)
		if strings.HasPrefix(f, "-") {
			v, f = -1, f[1:]
		} else if strings.HasPrefix(f, "+") {
			f = f[1:]
		}
		i := s.Index(f)
		if i < 0 {
			return nil, fmt.Errorf("%w: %q (the model knows %s)", ErrAttribute, f, strings.Join(s.Attrs, ", "))
		}
		if out[i] != 0 {
			return nil, fmt.Errorf("%w: %q named twice", ErrAttribute, f)
		}
		out[i] = v
		named++
		if v > 0 && Exclusive(f) {
			if hair != "" {
				return nil, fmt.Errorf("%w: %s and %s contradict each other (one hair colour at a time)", ErrAttribute, hair, f)
			}
			hair = f
		}
	}
	if named == 0 {
		return nil, fmt.Errorf("%w: no target attributes in %q", ErrAttribute, spec)
	}
	return out, nil
}

// Values reads attribute values from a code: the sign of the mean of each
// attribute's dimensions (+1 when it is >= 0).
func (s Schema) Values(code []float32) []int8 {
	out := make([]int8, len(s.Attrs))
	for a := range s.Attrs {
		var sum float32
		for _, v := range code[a*s.Dim : (a+1)*s.Dim] {
			sum += v
		}
		out[a] = 1
		if sum < 0 {
			out[a] = -1
		}
	}
	return out
}

// Format writes values as a target list: "Blond_Hair,-Male,...".
func (s Schema) Format(vals []int8) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = s.Attrs[i]
		if v < 0 {
			parts[i] = "-" + parts[i]
		}
	}
	return strings.Join(parts, ",")
}
