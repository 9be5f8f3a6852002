package bench

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"

	"rgunit/classifier"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/split"
)

// Split divides a dataset into training items and held-back items.
func Split(d *generator.Dataset) (train, held classifier.Data) {
	h := SplitHeld(d)
	for i, id := range d.IDs {
		if !split.HeldBack(id) {
			train.X, train.Labels = append(train.X, d.X[i]), append(train.Labels, d.Labels[i])
		}
	}
	return train, h.Data
}

// Held is the held-back items with their ids.
type Held struct {
	classifier.Data
	IDs []uint64
}

// SplitHeld returns the held-back items of a dataset, with their ids.
func SplitHeld(d *generator.Dataset) Held {
	var h Held
	for i, id := range d.IDs {
		if split.HeldBack(id) {
			h.X, h.Labels, h.IDs = append(h.X, d.X[i]), append(h.Labels, d.Labels[i]), append(h.IDs, id)
		}
	}
	return h
}

// Method is a translation method under test: it translates images (with
// their store ids, which retrieval must not return, and their attribute
// values) to targets, each with the code its translator makes (drawn
// around it when sample is set).
type Method struct {
	Name      string
	Schema    embed.Schema
	Size      int
	Translate func(x []float32, ids []uint64, src, targets [][]int8, sample *rand.Rand) ([][]float32, error)
	// UNIT is the stage-1 model the method translates with (RG-UNIT's
	// frozen base).
	UNIT *generator.UNIT
}

// UNITMethod is GMM-UNIT: G(E_c(x), code), the code made in mode from the
// model's per-domain statistics (no guides).
func UNITMethod(name string, u *generator.UNIT, mode generator.CodeMode) Method {
	return Method{Name: name, Schema: u.Config.Schema, Size: u.Config.Arch.Size, UNIT: u,
		Translate: func(x []float32, _ []uint64, src, targets [][]int8, sample *rand.Rand) ([][]float32, error) {
			codes, err := u.TranslationCodes(mode, x, src, targets, nil, sample)
			if err != nil {
				return nil, err
			}
			return u.Translate(x, codes)
		}}
}

// TranslateResult is the translation bench's figures.
type TranslateResult struct {
	Images         int       `json:"images"`         // held-back inputs translated
	ClassifierAcc  float64   `json:"classifier_acc"` // evaluation classifier on real held-back images
	TargetAcc      float64   `json:"target_acc"`     // classifier agrees with the target attributes
	TargetAccAttrs []float64 `json:"target_acc_per_attr"`
	FDcls          float64   `json:"fd_cls"`           // translations vs real held-back images
	FDclsRealReal  float64   `json:"fd_cls_real_real"` // two halves of the real images: the floor
	FDclsInputs    float64   `json:"fd_cls_inputs"`    // untranslated inputs vs real: no translation at all
	Diversity      float64   `json:"diversity"`        // mean pairwise L1 of 4 samples per input
	Speckle        float64   `json:"speckle"`          // SpeckleRatio of the translations to their inputs
	Method         string    `json:"method"`
	// hits is, per input, the share of its target attributes the
	// classifier agrees with: the paired comparison of two methods scored
	// on the same inputs and targets (PairedAcc).
	hits []float64
}

// Translate scores a method on n held-back images: each is translated to
// the attributes of another random held-back image (a different domain),
// with the method's code; the classifier checks the targets and gives
// FD-cls. The targets depend on the seed only, so methods scored with one
// seed face the same targets.
func Translate(m Method, cls *classifier.Classifier, held Held, n int, seed uint64) (*TranslateResult, error) {
	n = min(n, len(held.X))
	if n < 8 {
		return nil, fmt.Errorf("bench: %d held-back images; need at least 8", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	r := &TranslateResult{Images: n, Method: m.Name}
	logits, realFeats, err := cls.PredictAll(held.X)
	if err != nil {
		return nil, err
	}
	r.ClassifierAcc, _ = classifier.Accuracy(logits, held.Labels)
	half := len(realFeats) / 2
	r.FDclsRealReal = classifier.FrechetDistance(realFeats[:half], realFeats[half:])
	var outs [][]float32
	var targets [][]int8
	for lo := 0; lo < n; lo += 32 {
		hi := min(lo+32, n)
		var xs []float32
		var tgts [][]int8
		for i := lo; i < hi; i++ {
			tgt := held.Labels[rng.IntN(len(held.Labels))]
			for tries := 0; tries < 20 && equal(tgt, held.Labels[i]); tries++ {
				tgt = held.Labels[rng.IntN(len(held.Labels))]
			}
			xs, tgts = append(xs, held.X[i]...), append(tgts, tgt)
		}
		targets = append(targets, tgts...)
		o, err := m.Translate(xs, held.IDs[lo:hi], held.Labels[lo:hi], tgts, nil)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o...)
	}
	tl, tf, err := cls.PredictAll(outs)
	if err != nil {
		return nil, err
	}
	r.TargetAcc, r.TargetAccAttrs = classifier.Accuracy(tl, targets)
	r.hits = make([]float64, len(tl))
	for i := range tl {
		r.hits[i], _ = classifier.Accuracy(tl[i:i+1], targets[i:i+1])
	}
	r.Speckle = SpeckleRatio(outs, held.X[:n], m.Size)
	r.FDcls = classifier.FrechetDistance(tf, realFeats)
	_, inFeats, err := cls.PredictAll(held.X[:n])
	if err != nil {
		return nil, err
	}
	r.FDclsInputs = classifier.FrechetDistance(inFeats, realFeats)
	// Diversity: 4 sampled codes for each of the first 16 inputs.
	var div float64
	nd := min(16, n)
	for i := range nd {
		var xs []float32
		var ids []uint64
		var srcs, tgts [][]int8
		for range 4 {
			xs, ids = append(xs, held.X[i]...), append(ids, held.IDs[i])
			srcs, tgts = append(srcs, held.Labels[i]), append(tgts, targets[i])
		}
		o, err := m.Translate(xs, ids, srcs, tgts, rng)
		if err != nil {
			return nil, err
		}
		div += classifier.Diversity(o)
	}
	r.Diversity = div / float64(nd)
	return r, nil
}

func equal(a, b []int8) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// GridTargets are the grid's columns after the input: each hair colour,
// then the other gender, then the other age (for the faces' schema; other
// schemas get one column per attribute, flipped).
func gridTargets(s []string, src []int8) [][]int8 {
	var out [][]int8
	hair := []string{"Black_Hair", "Blond_Hair", "Brown_Hair"}
	idx := func(name string) int {
		for i, a := range s {
			if a == name {
				return i
			}
		}
		return -1
	}
	if idx(hair[0]) >= 0 && idx(hair[1]) >= 0 && idx(hair[2]) >= 0 {
		for _, h := range hair {
			t := append([]int8(nil), src...)
			for _, o := range hair {
				t[idx(o)] = -1
			}
			t[idx(h)] = 1
			out = append(out, t)
		}
	}
	for a, name := range s {
		if idx(name) >= 0 && (name == hair[0] || name == hair[1] || name == hair[2]) {
			continue
		}
		t := append([]int8(nil), src...)
		t[a] = -t[a]
		out = append(out, t)
	}
	return out
}

// Grid renders translations of rows held-back images: one row per input,
// the input first, then one column per target of gridTargets.
func Grid(m Method, held Held, rows int) (*image.RGBA, []string, error) {
	s := m.Schema
	size := m.Size
	rows = min(rows, len(held.X))
	var cols []string
	var grid *image.RGBA
	for r := range rows {
		targets := gridTargets(s.Attrs, held.Labels[r])
		if grid == nil {
			grid = image.NewRGBA(image.Rect(0, 0, size*(1+len(targets)), size*rows))
			cols = gridColumns(s.Attrs)
		}
		var xs []float32
		var ids []uint64
		var srcs [][]int8
		for range targets {
			xs, ids, srcs = append(xs, held.X[r]...), append(ids, held.IDs[r]), append(srcs, held.Labels[r])
		}
		outs, err := m.Translate(xs, ids, srcs, targets, nil)
		if err != nil {
			return nil, nil, err
		}
		y := r * size
		draw.Draw(grid, image.Rect(0, y, size, y+size), generator.TensorImage(held.X[r], size), image.Point{}, draw.Src)
		for k, o := range outs {
			x := (k + 1) * size
			draw.Draw(grid, image.Rect(x, y, x+size, y+size), generator.TensorImage(o, size), image.Point{}, draw.Src)
		}
	}
	return grid, cols, nil
}

// gridColumns names the grid's columns (see gridTargets).
func gridColumns(attrs []string) []string {
	cols := []string{"input"}
	hair := map[string]bool{"Black_Hair": true, "Blond_Hair": true, "Brown_Hair": true}
	n := 0
	for _, a := range attrs {
		if hair[a] {
			n++
		}
	}
	if n == 3 {
		cols = append(cols, "Black_Hair", "Blond_Hair", "Brown_Hair")
	}
	for _, a := range attrs {
		if n == 3 && hair[a] {
			continue
		}
		cols = append(cols, "flip "+a)
	}
	return cols
}

// AccDiff is a method's target accuracy minus another's on the same inputs
// and targets, with the half-width of its 95% interval.
type AccDiff struct {
	Diff float64 `json:"diff"`
	CI95 float64 `json:"ci95"`
}

// Level reports whether the interval holds 0: the two methods cannot be
// told apart on these inputs.
func (d AccDiff) Level() bool { return math.Abs(d.Diff) <= d.CI95 }

// Interval is the difference and its half-width: "+0.0320 ± 0.0064".
func (d AccDiff) Interval() string { return fmt.Sprintf("%+.4f ± %.4f", d.Diff, d.CI95) }

func (d AccDiff) String() string {
	if d.Level() {
		return d.Interval() + ", level within the 95% interval"
	}
	return d.Interval()
}

// PairedAcc compares a's target accuracy with b's input by input (both
// scored on the same inputs and targets): the mean difference of the
// per-input shares of target attributes met, with a normal 95% interval
// over the inputs. Pairing cancels what the inputs share (an easy face is
// easy for both), so it separates two methods far more finely than their
// accuracies' own noise. ok is false when they were not scored alike.
func PairedAcc(a, b *TranslateResult) (d AccDiff, ok bool) {
	n := len(a.hits)
	if n < 2 || len(b.hits) != n {
		return AccDiff{}, false
	}
	var sum, sq float64
	for i := range n {
		sum += a.hits[i] - b.hits[i]
	}
	d.Diff = sum / float64(n)
	for i := range n {
		x := a.hits[i] - b.hits[i] - d.Diff
		sq += x * x
	}
	d.CI95 = 1.96 * math.Sqrt(sq/float64(n-1)/float64(n))
	return d, true
}
