package bench

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/imageio"
)

// ErrPairs: a pairs.txt that does not parse.
var ErrPairs = errors.New("bench: bad pairs file")

// Pair is a paired ground truth made by facegen: the same face re-rendered
// with other attributes.
type Pair struct {
	Source string // source file's base name
	Target string // target image path
	Attrs  []int8 // target values, in schema order
	Kind   string // "hair" or "age"
}

// ParsePairs reads facegen's pairs.txt: a header "source target_image
// ATTR...", then "source target v1 v2 ..." rows. Attributes map to the
// schema by name; every schema attribute must be present.
func ParsePairs(dir string, s embed.Schema) ([]Pair, error) {
	f, err := os.Open(filepath.Join(dir, "pairs.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, fmt.Errorf("%w: empty", ErrPairs)
	}
	head := strings.Fields(sc.Text())
	if len(head) < 3 || head[0] != "source" || head[1] != "target_image" {
		return nil, fmt.Errorf("%w: header %q", ErrPairs, sc.Text())
	}
	col := make([]int, len(s.Attrs))
	for i, a := range s.Attrs {
		col[i] = -1
		for j, h := range head[2:] {
			if h == a {
				col[i] = j
			}
		}
		if col[i] < 0 {
			return nil, fmt.Errorf("%w: no column for %s", ErrPairs, a)
		}
	}
	var out []Pair
	for line := 2; sc.Scan(); line++ {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != len(head) {
			return nil, fmt.Errorf("%w: line %d has %d fields, want %d", ErrPairs, line, len(fs), len(head))
		}
		p := Pair{Source: fs[0], Target: filepath.Join(dir, filepath.Base(fs[1]))}
		for i := range s.Attrs {
			v, err := strconv.Atoi(fs[2+col[i]])
			if err != nil || (v != 1 && v != -1) {
				return nil, fmt.Errorf("%w: line %d: value %q", ErrPairs, line, fs[2+col[i]])
			}
			p.Attrs = append(p.Attrs, int8(v))
		}
		p.Kind = "hair"
		if strings.HasSuffix(fs[1], "_old.png") || strings.HasSuffix(fs[1], "_young.png") {
			p.Kind = "age"
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// PairedResult is the mean L1 (images in [-1, 1]) between translations and
// their rendered ground truth, per kind of change, next to the L1 of doing
// nothing (the source itself against the target).
type PairedResult struct {
	Pairs       int     `json:"pairs"`
	HairL1      float64 `json:"paired_l1_hair"`
	AgeL1       float64 `json:"paired_l1_age"`
	HairL1Ident float64 `json:"paired_l1_hair_identity"`
	AgeL1Ident  float64 `json:"paired_l1_age_identity"`
}

// Paired translates each pair's source (looked up by base name in sources)
// to the pair's attributes with the target means, and measures L1 against
// the rendered target. Pairs whose source is not in sources are skipped.
func Paired(u *generator.UNIT, pairs []Pair, sources map[string][]float32, limit int) (*PairedResult, error) {
	size := u.Config.Arch.Size
	s := u.Config.Schema
	var sum, ident, n [2]float64
	r := &PairedResult{}
	for _, p := range pairs {
		if limit > 0 && r.Pairs >= limit {
			break
		}
		src, ok := sources[p.Source]
		if !ok {
			continue
		}
		data, err := os.ReadFile(p.Target)
		if err != nil {
			return nil, err
		}
		img, _, err := imageio.Load(data, size, 1<<24)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Target, err)
		}
		tgt, err := generator.RGBATensor(img, size)
		if err != nil {
			return nil, err
		}
		code := make([]float32, s.CodeDim())
		s.Means(p.Attrs, code)
		out, err := u.Translate(src, [][]float32{code})
		if err != nil {
			return nil, err
		}
		k := 0
		if p.Kind == "age" {
			k = 1
		}
		sum[k] += l1(out[0], tgt)
		ident[k] += l1(src, tgt)
		n[k]++
		r.Pairs++
	}
	if r.Pairs == 0 {
		return nil, fmt.Errorf("%w: no pair's source is among the held-back items", ErrPairs)
	}
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0 // no pair of that kind
		}
		return a / b
	}
	r.HairL1, r.AgeL1 = div(sum[0], n[0]), div(sum[1], n[1])
	r.HairL1Ident, r.AgeL1Ident = div(ident[0], n[0]), div(ident[1], n[1])
	return r, nil
}

func l1(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i] - b[i]))
	}
	return s / float64(len(a))
}
