package generator

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"rgunit/embed"
)

// CodeStats are E_a's mean codes per attribute value, measured on
// labelled training items: for attribute a, Mean[a][0] is the mean of its
// block over the items where it is -1, Mean[a][1] where it is +1 (Std the
// per-dimension standard deviations). They are where the decoder has been
// for each domain, and what a translation's changed blocks default to
// when no retrieved neighbour supplies them.
type CodeStats struct {
	Items int            `json:"items"`
	Mean  [][2][]float32 `json:"mean"`
	Std   [][2][]float32 `json:"std"`
	// Reach, when positive, is this model's reach (see the constant
	// Reach, the default), set when a bundle is exported (rgunit model
	// export --reach): a model whose decoder needs its changed blocks moved
	// further to change an attribute as often.
	Reach float64 `json:"reach,omitempty"`
}

// ErrReach: a reach given that is not a number of standard deviations.
var ErrReach = errors.New("generator: a reach is a finite number of standard deviations above 0 (0: the model's own)")

// SetReach records z as this model's reach (0: the default, Reach). A
// negative, infinite or NaN z, or a model without code statistics, is
// refused.
func (st *CodeStats) SetReach(z float64) error {
	if z < 0 || math.IsNaN(z) || math.IsInf(z, 0) {
		return fmt.Errorf("%w: reach %g", ErrReach, z)
	}
	if st == nil {
		return fmt.Errorf("%w: this stage-1 model has no code statistics (trained before they were measured: train it on)", ErrReach)
	}
	st.Reach = z
	return nil
}

// CheckReach reports whether z can be a reach (SetReach's check, for
// options read before a model is loaded).
func CheckReach(z float64) error { return (&CodeStats{}).SetReach(z) }

// ReachStd is the reach TranslationCode uses with these statistics.
func (st *CodeStats) ReachStd() float64 {
	if st.Reach > 0 {
		return st.Reach
	}
	return Reach
}

// statsItems is the most items MeasureStats encodes.
const statsItems = 2048

// MeasureStats measures E_a's code statistics of u (its inference
// weights) on up to statsItems items of d, chosen evenly.
func MeasureStats(u *UNIT, d *Dataset) (*CodeStats, error) {
	s := u.Config.Schema
	n := min(len(d.X), statsItems)
	if n == 0 {
		return nil, fmt.Errorf("%w: no items to measure code statistics on", ErrNoLabelled)
	}
	x := make([]float32, 0, n*len(d.X[0]))
	labels := make([][]int8, n)
	for i := range n {
		j := i * len(d.X) / n
		x, labels[i] = append(x, d.X[j]...), d.Labels[j]
	}
	codes, err := u.Inference().Codes(x, n)
	if err != nil {
		return nil, err
	}
	cd := s.CodeDim()
	st := &CodeStats{Items: n, Mean: make([][2][]float32, len(s.Attrs)), Std: make([][2][]float32, len(s.Attrs))}
	for a := range s.Attrs {
		for v := range 2 {
			sum, sq := make([]float64, s.Dim), make([]float64, s.Dim)
			count := 0
			for i := range n {
				if (labels[i][a] > 0) != (v == 1) {
					continue
				}
				count++
				for j := range s.Dim {
					c := float64(codes[i*cd+a*s.Dim+j])
					sum[j] += c
					sq[j] += c * c
				}
			}
			mean, std := make([]float32, s.Dim), make([]float32, s.Dim)
			for j := range s.Dim {
				if count == 0 { // a value never seen: the prior
					mean[j], std[j] = float32(2*v-1), embed.ComponentStd
					continue
				}
				m := sum[j] / float64(count)
				mean[j] = float32(m)
				std[j] = float32(math.Sqrt(max(sq[j]/float64(count)-m*m, 0)))
			}
			st.Mean[a][v], st.Std[a][v] = mean, std
		}
	}
	return st, nil
}

// valueIndex is 1 for +1 and 0 for -1.
func valueIndex(v int8) int {
	if v > 0 {
		return 1
	}
	return 0
}

// SourceValues reads attribute values from an E_a mean code: per
// attribute, the value whose mean block (Stats) is nearer, or without
// statistics the sign of the block's mean (the prior's means are +-1).
func (u *UNIT) SourceValues(code []float32) []int8 {
	s, st := u.Config.Schema, u.Config.Stats
	if st == nil {
		return s.Values(code)
	}
	out := make([]int8, len(s.Attrs))
	for a := range s.Attrs {
		out[a] = st.blockValue(code[a*s.Dim:(a+1)*s.Dim], a)
	}
	return out
}

// blockValue is the value of attribute a whose mean block is nearer to b.
func (st *CodeStats) blockValue(b []float32, a int) int8 {
	var dn, dp float64
	for j, v := range b {
		dn += sq(float64(v - st.Mean[a][0][j]))
		dp += sq(float64(v - st.Mean[a][1][j]))
	}
	if dp <= dn {
		return 1
	}
	return -1
}

func sq(x float64) float64 { return x * x }

// CodeMode says where a translation's attribute code comes from.
type CodeMode int

const (
	// CodeEncoder, the default: the attributes a translation keeps take
	// the source's E_a mean blocks; the changed ones take the target
	// domain's blocks as E_a sees it: the mean of the guides' blocks that
	// have the target value (the retrieved neighbours', in RG-UNIT), else
	// the model's per-domain statistics; a changed block that falls short
	// of the target domain is then moved along the axis between the two
	// domains until it lies Reach standard deviations past the target's
	// mean. These are codes the decoder has been trained on.
	CodeEncoder CodeMode = iota
	// CodePrior is the paper's: every block from the target values'
	// prior Gaussians (their means, or samples).
	CodePrior
	// CodeMixed keeps the source's E_a mean blocks for the attributes a
	// translation keeps (as CodeEncoder) and takes the changed ones from
	// the prior (as CodePrior): the code of the recipe's style swap.
	CodeMixed
)

// CodeModes are the modes by name.
var CodeModes = map[string]CodeMode{"encoder": CodeEncoder, "prior": CodePrior, "mixed": CodeMixed}

// ParseCodeMode reads "encoder", "prior" or "mixed".
func ParseCodeMode(s string) (CodeMode, error) {
	if s == "" {
		return CodeEncoder, nil
	}
	if m, ok := CodeModes[s]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("generator: codes %q: want encoder, prior or mixed", s)
}

func (m CodeMode) String() string {
	for name, v := range CodeModes {
		if v == m {
			return name
		}
	}
	return fmt.Sprint("CodeMode(", int(m), ")")
}

// TranslationCode returns the code that translates an image whose E_a mean
// is srcMu and whose attribute values are src to the values tgt (see
// CodeMode). guides are E_a means of images that have the target
// attributes (retrieved neighbours, a reference image; may be empty).
// With rng set, the code is drawn around that instead: in CodePrior mode
// from the prior Gaussians, in CodeEncoder mode the changed blocks get
// noise of their domain's spread (the prior's without statistics).
func (u *UNIT) TranslationCode(mode CodeMode, srcMu []float32, src, tgt []int8, guides [][]float32, rng *rand.Rand) []float32 {
	s, st := u.Config.Schema, u.Config.Stats
	out := make([]float32, s.CodeDim())
	if mode == CodePrior {
		if rng != nil {
			s.Sample(tgt, rng, out)
		} else {
			s.Means(tgt, out)
		}
		return out
	}
	copy(out, srcMu)
	for a := range s.Attrs {
		if src[a] == tgt[a] {
			continue
		}
		block := out[a*s.Dim : (a+1)*s.Dim]
		v := valueIndex(tgt[a])
		if mode == CodeMixed {
			for j := range block {
				block[j] = float32(tgt[a])
				if rng != nil {
					block[j] += float32(embed.ComponentStd * rng.NormFloat64())
				}
			}
			continue
		}
		n := 0
		clear(block)
		for _, g := range guides {
			gb := g[a*s.Dim : (a+1)*s.Dim]
			if st != nil && st.blockValue(gb, a) != tgt[a] {
				continue // this guide does not show the target value
			}
			for j, x := range gb {
				block[j] += x
			}
			n++
		}
		switch {
		case n > 0:
			for j := range block {
				block[j] /= float32(n)
			}
		case st != nil:
			copy(block, st.Mean[a][v])
		default:
			for j := range block {
				block[j] = float32(tgt[a])
			}
		}
		if st != nil {
			st.reach(block, a, v, st.ReachStd())
		}
		if rng != nil {
			for j := range block {
				sd := float32(embed.ComponentStd)
				if st != nil {
					sd = st.Std[a][v][j]
				}
				block[j] += sd * float32(rng.NormFloat64())
			}
		}
	}
	return out
}

// Reach is how far past the target domain's mean E_a code, in that
// domain's standard deviations along the axis between the two domains'
// means, a changed block of a CodeEncoder translation is moved when its
// guides (or the statistics) leave it short. At 0 the mean of three
// neighbours' blocks often sits between the domains and the decoder barely
// changes gender (evaluation classifier, shipped 32 px model, 600
// held-back faces, seed 1: Male 0.80 at no reach, 0.84 at 1, 0.85 at 2,
// 0.87 at 3, 0.91 at 5); past 3 the outputs leave the real faces (FD-cls
// 0.91, 0.79, 0.75, 0.80, 1.26). docs/stage3.md has the table. A model
// may carry its own (CodeStats.Reach): the 64 px default's is 5.
const Reach = 3

// reach moves block (attribute a's, translated to value v) along the axis
// from the other value's mean block to value v's until it lies at least z
// of value v's standard deviations (along that axis) past v's mean; a
// block already that far is left alone, and so is every direction across
// the axis (the guides' style).
func (st *CodeStats) reach(block []float32, a, v int, z float64) {
	from, to, sd := st.Mean[a][1-v], st.Mean[a][v], st.Std[a][v]
	var along, axis2, spread float64
	for j := range block {
		d := float64(to[j] - from[j])
		along += float64(block[j]-to[j]) * d
		axis2 += d * d
		spread += d * d * float64(sd[j]) * float64(sd[j])
	}
	if axis2 == 0 {
		return
	}
	norm := math.Sqrt(axis2)
	pos, sigma := along/norm, math.Sqrt(spread/axis2)
	if pos >= z*sigma {
		return
	}
	step := (z*sigma - pos) / norm
	for j := range block {
		block[j] += float32(step * float64(to[j]-from[j]))
	}
}
