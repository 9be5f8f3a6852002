package embed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Negative is a kind of triplet negative.
type Negative uint8

const (
	// Easy: a random real image.
	Easy Negative = iota
	// Medium: another image translated to the anchor's target.
	Medium
	// Hard: the anchor's image translated to a random other domain.
	Hard
	// Hardest: the anchor's image reconstructed in its own domain.
	Hardest
)

var negativeNames = []string{"easy", "medium", "hard", "hardest"}

func (k Negative) String() string {
	if int(k) < len(negativeNames) {
		return negativeNames[k]
	}
	return fmt.Sprintf("negative(%d)", k)
}

// AllNegatives is every kind, in order.
var AllNegatives = []Negative{Easy, Medium, Hard, Hardest}

// ErrNegatives: a --negatives value that is not a kind or "all".
var ErrNegatives = errors.New("embed: bad negatives")

// ParseNegatives reads "all" or a comma list of kinds.
func ParseNegatives(s string) ([]Negative, error) {
	if s == "" || s == "all" {
		return slices.Clone(AllNegatives), nil
	}
	var out []Negative
	for _, f := range strings.Split(s, ",") {
		i := slices.Index(negativeNames, strings.TrimSpace(f))
		if i < 0 {
			return nil, fmt.Errorf("%w: %q (want all, or some of %s)", ErrNegatives, f, strings.Join(negativeNames, ", "))
		}
		if slices.Contains(out, Negative(i)) {
			return nil, fmt.Errorf("%w: %q named twice", ErrNegatives, f)
		}
		out = append(out, Negative(i))
	}
	return out, nil
}

// FormatNegatives is the inverse of ParseNegatives.
func FormatNegatives(ks []Negative) string {
	if slices.Equal(ks, AllNegatives) {
		return "all"
	}
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = k.String()
	}
	return strings.Join(parts, ",")
}

// Stage1 is what building triplets needs from the frozen stage-1 models.
// Images are n*3*S*S values (CHW, [-1, 1]); content maps n*ContentSize;
// codes n*CodeDim.
type Stage1 interface {
	Content(x []float32, n int) ([]float32, error) // E_c
	Codes(x []float32, n int) ([]float32, error)   // E_a's mean code
	Generate(content, codes []float32, n int) ([]float32, error)
}

// Labelled is the labelled images triplets are drawn from.
type Labelled struct {
	X      [][]float32
	Labels [][]int8
}

// Pool is a set of precomputed triplets: for triplet i and role r (0 the
// anchor, 1 the positive, 2+j the negative of kind Kinds[j]) the
// embedder's inputs Content[r][i*ContentSize:...] and Codes[r][i*CodeDim:...].
// Stage 1 is frozen, so the translations are made once and the embedder
// trains on them for as many steps as it needs.
type Pool struct {
	Kinds                []Negative
	N                    int
	ContentSize, CodeDim int
	Content, Codes       [][]float32
	Source               []int    // the anchor's image (index in the data)
	Other                []int    // the medium negative's image (-1 without)
	Easy                 []int    // the easy negative's image (-1 without)
	Target, HardDomain   [][]int8 // the anchor's target; the hard negative's domain
}

// Roles returns the number of roles (anchor, positive, the negatives).
func (p *Pool) Roles() int { return 2 + len(p.Kinds) }

// BuildPool makes n triplets from data with stage 1, in chunks of chunk
// sources, drawing every choice from seed. progress (may be nil) is called
// after each chunk.
func BuildPool(ctx context.Context, s1 Stage1, schema Schema, data *Labelled, n, chunk int, kinds []Negative, seed uint64, progress func(done, total int)) (*Pool, error) {
	if len(data.X) < 3 {
		return nil, fmt.Errorf("embed: %d labelled images; triplets need at least 3", len(data.X))
	}
	if n < 1 || len(kinds) == 0 {
		return nil, fmt.Errorf("embed: %d triplets with %d negative kinds", n, len(kinds))
	}
	chunk = max(chunk, 1)
	rng := rand.New(rand.NewPCG(seed, 0x747269706c6574))
	cd := schema.CodeDim()
	p := &Pool{Kinds: slices.Clone(kinds), N: n, CodeDim: cd}
	p.Content, p.Codes = make([][]float32, p.Roles()), make([][]float32, p.Roles())
	role := map[Negative]int{}
	for j, k := range kinds {
		role[k] = 2 + j
	}
	pick := func(not ...int) int {
		for {
			if i := rng.IntN(len(data.X)); !slices.Contains(not, i) {
				return i
			}
		}
	}
	for start := 0; start < n; start += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := min(chunk, n-start)
		var xs, others, easies []float32
		codeT, codeT2, codeU := make([]float32, m*cd), make([]float32, m*cd), make([]float32, m*cd)
		for i := range m {
			src := pick()
			lab := data.Labels[src]
			tgt := schema.FlipOne(lab, rng)
			// The hard negative's domain: another image's labels that are
			// neither the source's nor the target's (FlipOne as a fallback).
			var dom []int8
			for try := 0; try < 32 && dom == nil; try++ {
				if d := data.Labels[rng.IntN(len(data.X))]; !slices.Equal(d, lab) && !slices.Equal(d, tgt) {
					dom = d
				}
			}
			for dom == nil || slices.Equal(dom, lab) || slices.Equal(dom, tgt) {
				dom = schema.FlipOne(tgt, rng)
			}
			schema.Sample(tgt, rng, codeT[i*cd:(i+1)*cd])
			schema.Sample(tgt, rng, codeT2[i*cd:(i+1)*cd])
			schema.Sample(dom, rng, codeU[i*cd:(i+1)*cd])
			other, easy := -1, -1
			if _, ok := role[Medium]; ok {
				other = pick(src)
				others = append(others, data.X[other]...)
			}
			if _, ok := role[Easy]; ok {
				easy = pick(src)
				easies = append(easies, data.X[easy]...)
			}
			xs = append(xs, data.X[src]...)
			p.Source, p.Other, p.Easy = append(p.Source, src), append(p.Other, other), append(p.Easy, easy)
			p.Target, p.HardDomain = append(p.Target, tgt), append(p.HardDomain, dom)
		}
		cx, err := s1.Content(xs, m)
		if err != nil {
			return nil, err
		}
		p.ContentSize = len(cx) / m
		// Translations: the positive first, then the negatives that need G.
		gc, gz := slices.Clone(cx), slices.Clone(codeT)
		genRoles := []int{1}
		for _, k := range kinds {
			switch k {
			case Medium:
				co, err := s1.Content(others, m)
				if err != nil {
					return nil, err
				}
				gc, gz = append(gc, co...), append(gz, codeT2...)
			case Hard:
				gc, gz = append(gc, cx...), append(gz, codeU...)
			case Hardest:
				own, err := s1.Codes(xs, m)
				if err != nil {
					return nil, err
				}
				gc, gz = append(gc, cx...), append(gz, own...)
			default:
				continue
			}
			genRoles = append(genRoles, role[k])
		}
		imgs, err := s1.Generate(gc, gz, m*len(genRoles))
		if err != nil {
			return nil, err
		}
		// Re-encode the translations (and the easy negatives' real images).
		if r, ok := role[Easy]; ok {
			imgs = append(imgs, easies...)
			genRoles = append(genRoles, r)
		}
		rc, err := s1.Content(imgs, m*len(genRoles))
		if err != nil {
			return nil, err
		}
		rz, err := s1.Codes(imgs, m*len(genRoles))
		if err != nil {
			return nil, err
		}
		p.Content[0], p.Codes[0] = append(p.Content[0], cx...), append(p.Codes[0], codeT...)
		cs := p.ContentSize
		for g, r := range genRoles {
			p.Content[r] = append(p.Content[r], rc[g*m*cs:(g+1)*m*cs]...)
			p.Codes[r] = append(p.Codes[r], rz[g*m*cd:(g+1)*m*cd]...)
		}
		if progress != nil {
			progress(start+m, n)
		}
	}
	return p, nil
}
