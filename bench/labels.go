package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"rgunit/classifier"
)

// LabelsRow is one row of the paper's Table 3: stages 1-3 trained on a
// fraction of the labels, with every item (the unlabelled rest included)
// in the retrieval set, GMM-UNIT and RG-UNIT scored on the same inputs and
// targets as every other row.
//
// Several rows may share a fraction when they come from different training
// runs (another seed or step count): the verdict then compares the mean
// gains and says whether the runs disagree more than the fractions do.
type LabelsRow struct {
	Fraction float64 `json:"labelled_fraction"` // of the labelled items stages 1-3 trained on
	Data     string  `json:"data"`              // the database the models come from
	Run      Run     `json:"run"`
	GMM      Row     `json:"gmm_unit"`
	RG       Row     `json:"rg_unit"`
}

// Run names the training run of a Table 3 row: two rows at one fraction
// with equal runs would be the same models twice (a copied database).
type Run struct {
	Stage1Seed uint64 `json:"stage1_seed"`
	Stage1Step int    `json:"stage1_step"`
	Stage2Seed uint64 `json:"stage2_seed"` // the retrieval embedder
	Stage2Step int    `json:"stage2_step"`
	Stage3Seed uint64 `json:"stage3_seed"`
	Stage3Step int    `json:"stage3_step"`
}

func (r Run) String() string {
	return fmt.Sprintf("stage 1 seed %d step %d, stage 2 seed %d step %d, stage 3 seed %d step %d",
		r.Stage1Seed, r.Stage1Step, r.Stage2Seed, r.Stage2Step, r.Stage3Seed, r.Stage3Step)
}

// LabelsTable is Table 3: one row per training run, most labels first.
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
// -8.1% FID with every label, -12.7% with a quarter), comparing the mean
// gains of the runs at the most and the fewest labels, and saying so when
// the runs at one fraction disagree by as much as the fractions differ.
// Two rows at one fraction from the same run are refused.
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
	groups := groupByFraction(rows)
	for _, g := range groups {
		for i := range g {
			for j := range i {
				if g[i].Run == g[j].Run {
					return nil, fmt.Errorf("bench: two Table 3 rows at %s labels from the same training run (%s: %s and %s)",
						pct(g[i].Fraction), g[i].Run, g[j].Data, g[i].Data)
				}
			}
		}
	}
	t := &LabelsTable{Rows: rows}
	var parts []string
	for _, g := range groups {
		for _, r := range g {
			s := fmt.Sprintf("with %s of the labels", pct(r.Fraction))
			if len(g) > 1 {
				s += fmt.Sprintf(" (%s)", r.Run)
			}
			s += fmt.Sprintf(" RG-UNIT changes FD-cls by %+.1f%% (%.3f -> %.3f) and target accuracy by %+.4f (%.4f -> %.4f)",
				r.FDGain()*100, r.GMM.FDcls, r.RG.FDcls, r.RG.TargetAcc-r.GMM.TargetAcc, r.GMM.TargetAcc, r.RG.TargetAcc)
			if r.GMM.Paired != nil && r.RG.Paired != nil {
				s += fmt.Sprintf(", paired L1 hair %+.4f, age %+.4f", r.RG.Paired.HairL1-r.GMM.Paired.HairL1, r.RG.Paired.AgeL1-r.GMM.Paired.AgeL1)
			}
			parts = append(parts, s)
		}
	}
	v := strings.Join(parts, "; ") + "."
	if len(groups) > 1 {
		most, least := groups[0], groups[len(groups)-1]
		g0, g1 := meanGain(most), meanGain(least)
		mean := ""
		if len(most) > 1 || len(least) > 1 {
			mean = "mean "
		}
		switch {
		case g1 < g0:
			v += fmt.Sprintf(" Guidance helps more with fewer labels (%sFD-cls %+.1f%% at %s vs %+.1f%% at %s), as in the paper (FID -8.1%% with every label, -12.7%% with 25%%).",
				mean, g1*100, pct(least[0].Fraction), g0*100, pct(most[0].Fraction))
		default:
			v += fmt.Sprintf(" Guidance does not help more with fewer labels here (%sFD-cls %+.1f%% at %s vs %+.1f%% at %s), unlike the paper (FID -8.1%% with every label, -12.7%% with 25%%).",
				mean, g1*100, pct(least[0].Fraction), g0*100, pct(most[0].Fraction))
		}
		spread, at := 0.0, 0.0
		for _, g := range groups {
			lo, hi := gainRange(g)
			if hi-lo > spread {
				spread, at = hi-lo, g[0].Fraction
			}
		}
		if spread > 0 && spread >= math.Abs(g1-g0) {
			v += fmt.Sprintf(" But training runs at one fraction differ by up to %.1f points of FD-cls change (at %s), as much as or more than the fractions do (%.1f): the trend is within run-to-run noise.",
				spread*100, pct(at), math.Abs(g1-g0)*100)
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

// groupByFraction splits rows sorted most labels first into runs of one
// fraction.
func groupByFraction(rows []LabelsRow) [][]LabelsRow {
	var groups [][]LabelsRow
	for i, r := range rows {
		if i == 0 || r.Fraction != rows[i-1].Fraction {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], r)
	}
	return groups
}

func meanGain(rows []LabelsRow) float64 {
	var s float64
	for _, r := range rows {
		s += r.FDGain()
	}
	return s / float64(len(rows))
}

func gainRange(rows []LabelsRow) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		lo, hi = min(lo, r.FDGain()), max(hi, r.FDGain())
	}
	return lo, hi
}

func pct(f float64) string {
	if f <= 0 || f >= 1 {
		return "100%"
	}
	return fmt.Sprintf("%g%%", f*100)
}
