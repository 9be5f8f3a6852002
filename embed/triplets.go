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
	b := &poolBuilder{s1: s1, schema: schema, data: data, rng: rand.New(rand.NewPCG(seed, 0x747269706c6574)), role: map[Negative]int{},
		p: &Pool{Kinds: slices.Clone(kinds), N: n, CodeDim: schema.CodeDim()}}
	b.p.Content, b.p.Codes = make([][]float32, b.p.Roles()), make([][]float32, b.p.Roles())
	for j, k := range kinds {
		b.role[k] = 2 + j
	}
	for start := 0; start < n; start += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := min(chunk, n-start)
		if err := b.encode(b.draw(m)); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(start+m, n)
		}
	}
	return b.p, nil
}

// poolBuilder makes a Pool chunk by chunk: the draws, then the stage-1
// work on them.
type poolBuilder struct {
	s1     Stage1
	schema Schema
	data   *Labelled
	rng    *rand.Rand
	role   map[Negative]int // negative kind -> its role
	p      *Pool
}

// poolChunk is a chunk's draws: the sources' images, the medium and easy
// negatives' images, and the target, second target and hard-domain codes.
type poolChunk struct {
	m                    int
	xs, others, easies   []float32
	codeT, codeT2, codeU []float32
}

// pick draws an image index other than not.
func (b *poolBuilder) pick(not ...int) int {
	for {
		if i := b.rng.IntN(len(b.data.X)); !slices.Contains(not, i) {
			return i
		}
	}
}

// draw makes m triplets' choices and records them in the pool.
func (b *poolBuilder) draw(m int) *poolChunk {
	cd, data, p := b.p.CodeDim, b.data, b.p
	c := &poolChunk{m: m, codeT: make([]float32, m*cd), codeT2: make([]float32, m*cd), codeU: make([]float32, m*cd)}
	for i := range m {
		src := b.pick()
		lab := data.Labels[src]
		tgt := b.schema.FlipOne(lab, b.rng)
		// The hard negative's domain: another image's labels that are
		// neither the source's nor the target's (FlipOne as a fallback).
		var dom []int8
		for try := 0; try < 32 && dom == nil; try++ {
			if d := data.Labels[b.rng.IntN(len(data.X))]; !slices.Equal(d, lab) && !slices.Equal(d, tgt) {
				dom = d
			}
		}
		for dom == nil || slices.Equal(dom, lab) || slices.Equal(dom, tgt) {
			dom = b.schema.FlipOne(tgt, b.rng)
		}
		b.schema.Sample(tgt, b.rng, c.codeT[i*cd:(i+1)*cd])
		b.schema.Sample(tgt, b.rng, c.codeT2[i*cd:(i+1)*cd])
		b.schema.Sample(dom, b.rng, c.codeU[i*cd:(i+1)*cd])
		other, easy := -1, -1
		if _, ok := b.role[Medium]; ok {
			other = b.pick(src)
			c.others = append(c.others, data.X[other]...)
		}
		if _, ok := b.role[Easy]; ok {
			easy = b.pick(src)
			c.easies = append(c.easies, data.X[easy]...)
		}
		c.xs = append(c.xs, data.X[src]...)
		p.Source, p.Other, p.Easy = append(p.Source, src), append(p.Other, other), append(p.Easy, easy)
		p.Target, p.HardDomain = append(p.Target, tgt), append(p.HardDomain, dom)
	}
	return c
}

// encode runs stage 1 on a chunk: the anchors' content, the translations
// (the positive, then the negatives that need G), all re-encoded with the
// easy negatives' real images, into the pool's roles.
func (b *poolBuilder) encode(c *poolChunk) error {
	s1, p, m, cd := b.s1, b.p, c.m, b.p.CodeDim
	cx, err := s1.Content(c.xs, m)
	if err != nil {
		return err
	}
	p.ContentSize = len(cx) / m
	gc, gz := slices.Clone(cx), slices.Clone(c.codeT)
	genRoles := []int{1}
	for _, k := range p.Kinds {
		switch k {
		case Medium:
			co, err := s1.Content(c.others, m)
			if err != nil {
				return err
			}
			gc, gz = append(gc, co...), append(gz, c.codeT2...)
		case Hard:
			gc, gz = append(gc, cx...), append(gz, c.codeU...)
		case Hardest:
			own, err := s1.Codes(c.xs, m)
			if err != nil {
				return err
			}
			gc, gz = append(gc, cx...), append(gz, own...)
		default:
			continue
		}
		genRoles = append(genRoles, b.role[k])
	}
	imgs, err := s1.Generate(gc, gz, m*len(genRoles))
	if err != nil {
		return err
	}
	if r, ok := b.role[Easy]; ok {
		imgs = append(imgs, c.easies...)
		genRoles = append(genRoles, r)
	}
	rc, err := s1.Content(imgs, m*len(genRoles))
	if err != nil {
		return err
	}
	rz, err := s1.Codes(imgs, m*len(genRoles))
	if err != nil {
		return err
	}
	p.Content[0], p.Codes[0] = append(p.Content[0], cx...), append(p.Codes[0], c.codeT...)
	cs := p.ContentSize
	for g, r := range genRoles {
		p.Content[r] = append(p.Content[r], rc[g*m*cs:(g+1)*m*cs]...)
		p.Codes[r] = append(p.Codes[r], rz[g*m*cd:(g+1)*m*cd]...)
	}
	return nil
}
