package bench

import (
	"fmt"
	"slices"
	"strings"

	"rgunit/classifier"
)

// LabelsRow is one row of the paper's Table 3: stages 1-3 trained on a
// fraction of the labels, with every item (the unlabelled rest included)
// in the retrieval set, GMM-UNIT and RG-UNIT scored on the same inputs and
// targets as every other row.
type LabelsRow struct {
	Fraction float64 `json:"labelled_fraction"` // of the labelled items stages 1-3 trained on
	Data     string  `json:"data"`              // the database the models come from
	GMM      Row     `json:"gmm_unit"`
	RG       Row     `json:"rg_unit"`
}

// LabelsTable is Table 3: one row per labelled fraction, most labels first.
type LabelsTable struct {
	Rows    []LabelsRow `json:"rows"`
	Verdict string      `json:"verdict"`
}

// ScoreRow scores one method as RunTable does (with paired ground truth
// when pairs are given).
func ScoreRow(m Method, cls *classifier.Classifier, held Held, n int, seed uint64,
	pairs []Pair, sources map[string]Source) (Row, error) {
	r, err := Translate(m, cls, held, n, seed)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", m.Name, err)
	}
	row := Row{TranslateResult: r}
	if len(pairs) > 0 {
		if row.Paired, err = Paired(m, pairs, sources, n); err != nil {
			return Row{}, fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return row, nil
}

// NewLabelsTable sorts the rows (most labels first) and writes the
// verdict: at each fraction, what RG-UNIT changes against GMM-UNIT, and
// whether the FD-cls gain grows as labels get fewer (the paper's claim:
// -8.1% FID with every label, -12.7% with a quarter).
func NewLabelsTable(rows []LabelsRow) (*LabelsTable, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("bench: Table 3 needs at least one row")
	}
	rows = slices.Clone(rows)
	for i := range rows {
		if rows[i].Fraction <= 0 || rows[i].Fraction > 1 {
			rows[i].Fraction = 1 // a model config's zero value: every label
		}
	}
	slices.SortStableFunc(rows, func(a, b LabelsRow) int {
		switch {
		case a.Fraction > b.Fraction:
			return -1
		case a.Fraction < b.Fraction:
			return 1
		}
		return 0
	})
	for i := 1; i < len(rows); i++ {
		if rows[i].Fraction == rows[i-1].Fraction {
			return nil, fmt.Errorf("bench: two Table 3 rows at %s labels (%s and %s)", pct(rows[i].Fraction), rows[i-1].Data, rows[i].Data)
		}
	}
	t := &LabelsTable{Rows: rows}
	var parts []string
	for _, r := range rows {
		s := fmt.Sprintf("with %s of the labels RG-UNIT changes FD-cls by %+.1f%% (%.3f -> %.3f) and target accuracy by %+.4f (%.4f -> %.4f)",
			pct(r.Fraction), r.FDGain()*100, r.GMM.FDcls, r.RG.FDcls, r.RG.TargetAcc-r.GMM.TargetAcc, r.GMM.TargetAcc, r.RG.TargetAcc)
		if r.GMM.Paired != nil && r.RG.Paired != nil {
			s += fmt.Sprintf(", paired L1 hair %+.4f, age %+.4f", r.RG.Paired.HairL1-r.GMM.Paired.HairL1, r.RG.Paired.AgeL1-r.GMM.Paired.AgeL1)
		}
		parts = append(parts, s)
	}
	v := strings.Join(parts, "; ") + "."
	if len(rows) > 1 {
		most, least := rows[0], rows[len(rows)-1]
		switch g0, g1 := most.FDGain(), least.FDGain(); {
		case g1 < g0:
			v += fmt.Sprintf(" Guidance helps more with fewer labels (FD-cls %+.1f%% at %s vs %+.1f%% at %s), as in the paper (FID -8.1%% with every label, -12.7%% with 25%%).",
				g1*100, pct(least.Fraction), g0*100, pct(most.Fraction))
		default:
			v += fmt.Sprintf(" Guidance does not help more with fewer labels here (FD-cls %+.1f%% at %s vs %+.1f%% at %s), unlike the paper (FID -8.1%% with every label, -12.7%% with 25%%).",
				g1*100, pct(least.Fraction), g0*100, pct(most.Fraction))
		}
	}
	t.Verdict = v
	return t, nil
}

// FDGain is RG-UNIT's relative change of FD-cls against GMM-UNIT
// (negative: better).
func (r LabelsRow) FDGain() float64 {
	if r.GMM.FDcls == 0 {
		return 0
	}
	return (r.RG.FDcls - r.GMM.FDcls) / r.GMM.FDcls
}

func pct(f float64) string {
	if f <= 0 || f >= 1 {
		return "100%"
	}
	return fmt.Sprintf("%g%%", f*100)
}
