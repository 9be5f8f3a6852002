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

// PairedResult is the mean L1 (images in [-1, 1]) and SSIM between
// translations and their rendered ground truth, per kind of change, next
// to those of doing nothing (the source itself against the target).
type PairedResult struct {
	Method        string  `json:"method"`
	Pairs         int     `json:"pairs"`
	HairL1        float64 `json:"paired_l1_hair"`
	AgeL1         float64 `json:"paired_l1_age"`
	HairL1Ident   float64 `json:"paired_l1_hair_identity"`
	AgeL1Ident    float64 `json:"paired_l1_age_identity"`
	HairSSIM      float64 `json:"paired_ssim_hair"`
	AgeSSIM       float64 `json:"paired_ssim_age"`
	HairSSIMIdent float64 `json:"paired_ssim_hair_identity"`
	AgeSSIMIdent  float64 `json:"paired_ssim_age_identity"`
}

// Source is a pair's source image, its store id and attribute values.
type Source struct {
	X      []float32
	ID     uint64
	Labels []int8
}

// Paired translates each pair's source (looked up by base name in sources)
// to the pair's attributes with the method's code, and measures L1 and SSIM
// against the rendered target. Pairs whose source is not in sources are
// skipped; at most limit pairs are used (0: all).
func Paired(m Method, pairs []Pair, sources map[string]Source, limit int) (*PairedResult, error) {
	size := m.Size
	var use []Pair
	for _, p := range pairs {
		if _, ok := sources[p.Source]; ok && (limit <= 0 || len(use) < limit) {
			use = append(use, p)
		}
	}
	if len(use) == 0 {
		return nil, fmt.Errorf("%w: no pair's source is among the held-back items", ErrPairs)
	}
	var l1s, ssims, l1i, ssimi, n [2]float64
	for lo := 0; lo < len(use); lo += 32 {
		chunk := use[lo:min(lo+32, len(use))]
		var xs []float32
		var ids []uint64
		var srcs, tgts [][]int8
		var truth [][]float32
		for _, p := range chunk {
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
			src := sources[p.Source]
			xs, ids, tgts = append(xs, src.X...), append(ids, src.ID), append(tgts, p.Attrs)
			srcs, truth = append(srcs, src.Labels), append(truth, tgt)
		}
		outs, err := m.Translate(xs, ids, srcs, tgts, nil)
		if err != nil {
			return nil, err
		}
		for i, p := range chunk {
			k := 0
			if p.Kind == "age" {
				k = 1
			}
			src := sources[p.Source].X
			l1s[k] += l1(outs[i], truth[i])
			l1i[k] += l1(src, truth[i])
			ssims[k] += SSIM(outs[i], truth[i], size)
			ssimi[k] += SSIM(src, truth[i], size)
			n[k]++
		}
	}
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0 // no pair of that kind
		}
		return a / b
	}
	return &PairedResult{Method: m.Name, Pairs: len(use),
		HairL1: div(l1s[0], n[0]), AgeL1: div(l1s[1], n[1]), HairL1Ident: div(l1i[0], n[0]), AgeL1Ident: div(l1i[1], n[1]),
		HairSSIM: div(ssims[0], n[0]), AgeSSIM: div(ssims[1], n[1]), HairSSIMIdent: div(ssimi[0], n[0]), AgeSSIMIdent: div(ssimi[1], n[1]),
	}, nil
}

func l1(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i] - b[i]))
	}
	return s / float64(len(a))
}

// ssimWindow is the 11x11 Gaussian window (sigma 1.5) of Wang et al.'s
// SSIM, normalized to sum 1.
var ssimWindow = func() [11][11]float64 {
	var w [11][11]float64
	var sum float64
	for y := range 11 {
		for x := range 11 {
			dy, dx := float64(y-5), float64(x-5)
			w[y][x] = math.Exp(-(dx*dx + dy*dy) / (2 * 1.5 * 1.5))
			sum += w[y][x]
		}
	}
	for y := range 11 {
		for x := range 11 {
			w[y][x] /= sum
		}
	}
	return w
}()

// SSIM is the structural similarity of two size x size images (CHW in
// [-1, 1]) on their luma: the mean over every 11x11 Gaussian window that
// fits (Wang et al. 2004; K1 0.01, K2 0.03, dynamic range 2). 1 means
// identical.
func SSIM(a, b []float32, size int) float64 {
	luma := func(x []float32) []float64 {
		p := size * size
		y := make([]float64, p)
		for i := range y {
			y[i] = 0.299*float64(x[i]) + 0.587*float64(x[p+i]) + 0.114*float64(x[2*p+i])
		}
		return y
	}
	ya, yb := luma(a), luma(b)
	const c1, c2 = (0.01 * 2) * (0.01 * 2), (0.03 * 2) * (0.03 * 2)
	var total float64
	var count int
	for oy := 0; oy+11 <= size; oy++ {
		for ox := 0; ox+11 <= size; ox++ {
			var ma, mb, saa, sbb, sab float64
			for y := range 11 {
				for x := range 11 {
					w := ssimWindow[y][x]
					va, vb := ya[(oy+y)*size+ox+x], yb[(oy+y)*size+ox+x]
					ma, mb = ma+w*va, mb+w*vb
					saa, sbb, sab = saa+w*va*va, sbb+w*vb*vb, sab+w*va*vb
				}
			}
			saa, sbb, sab = saa-ma*ma, sbb-mb*mb, sab-ma*mb
			total += ((2*ma*mb + c1) * (2*sab + c2)) / ((ma*ma + mb*mb + c1) * (saa + sbb + c2))
			count++
		}
	}
	if count == 0 {
		return math.NaN()
	}
	return total / float64(count)
}
