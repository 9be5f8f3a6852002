package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"rgunit/classifier"
	"rgunit/guided"
)

// RGMethod is RG-UNIT through t, with k neighbours retrieved for (image,
// target), never the image itself; with random set, k random items stand
// in for the retrieved ones (the control of the paper's Table 2).
func RGMethod(name string, t *guided.Translator, k int, random *rand.Rand) Method {
	u := t.RG.Base
	return Method{Name: name, Schema: u.Config.Schema, Size: u.Config.Arch.Size,
		Translate: func(x []float32, ids []uint64, targets [][]int8, codes [][]float32) ([][]float32, error) {
			outs, _, err := t.Batch(x, targets, codes, ids, k, random)
			return outs, err
		}}
}

// Row is one method's figures.
type Row struct {
	*TranslateResult
	Paired *PairedResult `json:"paired,omitempty"`
}

// Table is the translation bench: one row per method on the same inputs
// and targets, with the references that give the figures a scale.
type Table struct {
	Data          string  `json:"data"`
	Images        int     `json:"images"`
	ClassifierAcc float64 `json:"classifier_acc"`
	FDFloor       float64 `json:"fd_cls_real_real"`
	FDInputs      float64 `json:"fd_cls_inputs"`
	Rows          []Row   `json:"rows"`
	Verdict       string  `json:"verdict"`
}

// RunTable scores each method on the same held-back inputs and targets
// (and pairs, when given).
func RunTable(data string, methods []Method, cls *classifier.Classifier, held Held, n int, seed uint64,
	pairs []Pair, sources map[string]Source) (*Table, error) {
	t := &Table{Data: data}
	for _, m := range methods {
		r, err := Translate(m, cls, held, n, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		row := Row{TranslateResult: r}
		if len(pairs) > 0 {
			if row.Paired, err = Paired(m, pairs, sources, n); err != nil {
				return nil, fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		t.Rows = append(t.Rows, row)
		t.Images, t.ClassifierAcc, t.FDFloor, t.FDInputs = r.Images, r.ClassifierAcc, r.FDclsRealReal, r.FDclsInputs
	}
	t.Verdict = verdict(t.Rows)
	return t, nil
}

// verdict compares the second row (RG-UNIT) with the first (GMM-UNIT) and
// the third (random neighbours), in words.
func verdict(rows []Row) string {
	if len(rows) < 2 {
		return ""
	}
	base, rg := rows[0], rows[1]
	var parts []string
	better, worse := 0, 0
	cmp := func(name string, a, b float64, lowerBetter bool, f string) {
		d := b - a
		good := (d > 0) != lowerBetter && d != 0
		if good {
			better++
		} else if d != 0 {
			worse++
		}
		parts = append(parts, fmt.Sprintf("%s "+f+" -> "+f+" (%+"+f[1:]+")", name, a, b, d))
	}
	cmp("target accuracy", base.TargetAcc, rg.TargetAcc, false, "%.4f")
	cmp("FD-cls", base.FDcls, rg.FDcls, true, "%.3f")
	if base.Paired != nil && rg.Paired != nil {
		cmp("paired L1 hair", base.Paired.HairL1, rg.Paired.HairL1, true, "%.4f")
		cmp("paired L1 age", base.Paired.AgeL1, rg.Paired.AgeL1, true, "%.4f")
		cmp("paired SSIM hair", base.Paired.HairSSIM, rg.Paired.HairSSIM, false, "%.4f")
		cmp("paired SSIM age", base.Paired.AgeSSIM, rg.Paired.AgeSSIM, false, "%.4f")
	}
	how := "guidance helps on every measure"
	switch {
	case worse > 0 && better > 0:
		how = fmt.Sprintf("guidance helps on %d of %d measures", better, better+worse)
	case better == 0:
		how = "guidance does not help on any measure"
	}
	s := fmt.Sprintf("%s vs %s: %s: %s", rg.Method, base.Method, how, strings.Join(parts, "; "))
	for _, r := range rows[min(2, len(rows)):] {
		s += fmt.Sprintf(". %s: target accuracy %.4f, FD-cls %.3f", r.Method, r.TargetAcc, r.FDcls)
		if r.Paired != nil {
			s += fmt.Sprintf(", paired L1 hair %.4f, age %.4f", r.Paired.HairL1, r.Paired.AgeL1)
		}
	}
	return s
}
