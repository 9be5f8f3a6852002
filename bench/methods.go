package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"rgunit/classifier"
	"rgunit/generator"
	"rgunit/guided"
)

// RGMethod is RG-UNIT through t, with k neighbours retrieved for (image,
// target), never the image itself, and codes made in mode; with random
// set, k random items stand in for the retrieved ones and the codes come
// from the model's statistics (the control of the paper's Table 2).
func RGMethod(name string, t *guided.Translator, k int, random *rand.Rand, mode generator.CodeMode) Method {
	u := t.RG.Base
	return Method{Name: name, Schema: u.Config.Schema, Size: u.Config.Arch.Size, UNIT: u,
		Translate: func(x []float32, ids []uint64, src, targets [][]int8, sample *rand.Rand) ([][]float32, error) {
			outs, _, err := t.Batch(x, src, targets, ids, k, random, mode, sample)
			return outs, err
		}}
}

// Row is one method's figures.
type Row struct {
	*TranslateResult
	Paired *PairedResult `json:"paired,omitempty"`
	// VsRG is RG-UNIT's target accuracy (the second row) minus this row's,
	// input by input (PairedAcc); absent on RG-UNIT's own row.
	VsRG *AccDiff `json:"target_acc_rg_minus_this,omitempty"`
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
	// Labels is Table 3 (stages 1-3 on fewer labels), when asked for.
	Labels *LabelsTable `json:"table3,omitempty"`
}

// RunTable scores each method on the same held-back inputs and targets
// (and pairs, when given).
func RunTable(data string, methods []Method, cls *classifier.Classifier, held Held, n int, seed uint64,
	pairs []Pair, sources map[string]Source) (*Table, error) {
	t := &Table{Data: data}
	for _, m := range methods {
		row, err := ScoreRow(m, cls, held, n, seed, pairs, sources)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
		t.Images, t.ClassifierAcc, t.FDFloor, t.FDInputs = row.Images, row.ClassifierAcc, row.FDclsRealReal, row.FDclsInputs
	}
	for i := range t.Rows {
		if len(t.Rows) > 1 && i != 1 {
			if d, ok := PairedAcc(t.Rows[1].TranslateResult, t.Rows[i].TranslateResult); ok {
				t.Rows[i].VsRG = &d
			}
		}
	}
	t.Verdict = verdict(t.Rows)
	return t, nil
}

// verdict compares the second row (RG-UNIT) with every other row in
// words: with the first (GMM-UNIT, the stage 1 it started from), with the
// third (the same model guided by random items: what retrieval itself
// adds) and with any baseline (for instance stage 1 trained for as many
// more steps: the same compute without retrieval).
func verdict(rows []Row) string {
	if len(rows) < 2 {
		return ""
	}
	rg := rows[1]
	var out []string
	for i, base := range rows {
		if i == 1 {
			continue
		}
		var parts []string
		better, worse := 0, 0
		cmp := func(name string, a, b float64, lowerBetter bool, f string) {
			d := b - a
			switch {
			case d == 0:
			case (d < 0) == lowerBetter:
				better++
			default:
				worse++
			}
			parts = append(parts, fmt.Sprintf("%s "+f+" vs "+f+" (%+"+f[1:]+")", name, b, a, d))
		}
		if p := base.VsRG; p != nil {
			// Target accuracy is paired: a difference inside its 95%
			// interval is no win.
			switch {
			case p.Level():
			case p.Diff > 0:
				better++
			default:
				worse++
			}
			parts = append(parts, fmt.Sprintf("target accuracy %.4f vs %.4f (%s)", rg.TargetAcc, base.TargetAcc, p))
		} else {
			cmp("target accuracy", base.TargetAcc, rg.TargetAcc, false, "%.4f")
		}
		cmp("FD-cls", base.FDcls, rg.FDcls, true, "%.3f")
		if base.Paired != nil && rg.Paired != nil {
			cmp("paired L1 hair", base.Paired.HairL1, rg.Paired.HairL1, true, "%.4f")
			cmp("paired L1 age", base.Paired.AgeL1, rg.Paired.AgeL1, true, "%.4f")
			cmp("paired SSIM hair", base.Paired.HairSSIM, rg.Paired.HairSSIM, false, "%.4f")
			cmp("paired SSIM age", base.Paired.AgeSSIM, rg.Paired.AgeSSIM, false, "%.4f")
		}
		out = append(out, fmt.Sprintf("%s is better than %s on %d of %d measures that differ (%s)", rg.Method, base.Method, better, better+worse, strings.Join(parts, "; ")))
	}
	return strings.Join(out, ". ") + "."
}
