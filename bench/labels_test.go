package bench

import (
	"strings"
	"testing"
)

func labelsRow(f, gmmFD, rgFD float64) LabelsRow {
	return LabelsRow{Fraction: f, Data: "x.db",
		GMM: Row{TranslateResult: &TranslateResult{Method: "GMM-UNIT", FDcls: gmmFD, TargetAcc: 0.9}},
		RG:  Row{TranslateResult: &TranslateResult{Method: "RG-UNIT", FDcls: rgFD, TargetAcc: 0.92}}}
}

func TestNewLabelsTable(t *testing.T) {
	for _, c := range []struct {
		name  string
		rows  []LabelsRow
		order []float64
		want  []string
	}{
		{"guidance helps more with fewer labels (the paper)",
			[]LabelsRow{labelsRow(0.25, 2, 1.5), labelsRow(0, 2, 1.8), labelsRow(0.5, 2, 1.7)},
			[]float64{1, 0.5, 0.25},
			[]string{"with 100% of the labels RG-UNIT changes FD-cls by -10.0% (2.000 -> 1.800) and target accuracy by +0.0200",
				"with 25% of the labels RG-UNIT changes FD-cls by -25.0%", "Guidance helps more with fewer labels (FD-cls -25.0% at 25% vs -10.0% at 100%)"}},
		{"guidance helps less with fewer labels",
			[]LabelsRow{labelsRow(1, 2, 1.5), labelsRow(0.25, 2, 1.9)},
			[]float64{1, 0.25},
			[]string{"does not help more with fewer labels here (FD-cls -5.0% at 25% vs -25.0% at 100%)"}},
		{"one row",
			[]LabelsRow{labelsRow(0.5, 2, 2.2)},
			[]float64{0.5},
			[]string{"with 50% of the labels RG-UNIT changes FD-cls by +10.0%"}},
	} {
		tab, err := NewLabelsTable(c.rows)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, f := range c.order {
			if tab.Rows[i].Fraction != f {
				t.Errorf("%s: row %d at %g, want %g", c.name, i, tab.Rows[i].Fraction, f)
			}
		}
		for _, w := range c.want {
			if !strings.Contains(tab.Verdict, w) {
				t.Errorf("%s: verdict %q lacks %q", c.name, tab.Verdict, w)
			}
		}
		if len(c.rows) == 1 && strings.Contains(tab.Verdict, "fewer labels") {
			t.Errorf("%s: a trend from one row: %s", c.name, tab.Verdict)
		}
	}
	if _, err := NewLabelsTable(nil); err == nil {
		t.Error("no rows: no error")
	}
	if _, err := NewLabelsTable([]LabelsRow{labelsRow(0, 2, 1), labelsRow(1, 2, 1)}); err == nil || !strings.Contains(err.Error(), "two Table 3 rows at 100% labels from the same training run") {
		t.Errorf("0 and 1 are both every label: %v", err)
	}
}

// Several training runs at one fraction: the trend uses their mean gains,
// and a spread between runs as large as the trend is called noise.
func TestNewLabelsTableRuns(t *testing.T) {
	run := func(r LabelsRow, seed uint64) LabelsRow {
		r.Run = Run{Stage1Seed: 1, Stage1Step: 6000, Stage2Seed: 1, Stage2Step: 800, Stage3Seed: seed, Stage3Step: 2000}
		return r
	}
	for _, c := range []struct {
		name       string
		rows       []LabelsRow
		want, lack []string
	}{
		{"runs disagree more than the fractions",
			[]LabelsRow{run(labelsRow(1, 2, 1.7), 1), run(labelsRow(0.25, 2, 2.4), 1), run(labelsRow(0.25, 2, 1.6), 2)},
			[]string{"with 25% of the labels (stage 1 seed 1 step 6000, stage 2 seed 1 step 800, stage 3 seed 1 step 2000) RG-UNIT changes FD-cls by +20.0%",
				"with 25% of the labels (stage 1 seed 1 step 6000, stage 2 seed 1 step 800, stage 3 seed 2 step 2000) RG-UNIT changes FD-cls by -20.0%",
				"does not help more with fewer labels here (mean FD-cls +0.0% at 25% vs -15.0% at 100%)",
				"differ by up to 40.0 points of FD-cls change (at 25%), as much as or more than the fractions do (15.0)"},
			[]string{"with 100% of the labels (stage"}},
		{"runs agree",
			[]LabelsRow{run(labelsRow(1, 2, 1.8), 1), run(labelsRow(0.25, 2, 1.4), 1), run(labelsRow(0.25, 2, 1.5), 2)},
			[]string{"Guidance helps more with fewer labels (mean FD-cls -27.5% at 25% vs -10.0% at 100%)"},
			[]string{"run-to-run noise"}},
	} {
		tab, err := NewLabelsTable(c.rows)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(tab.Rows) != 3 || tab.Rows[1].Run.Stage3Seed != 1 || tab.Rows[2].Run.Stage3Seed != 2 {
			t.Errorf("%s: rows %+v", c.name, tab.Rows)
		}
		for _, w := range c.want {
			if !strings.Contains(tab.Verdict, w) {
				t.Errorf("%s: verdict %q lacks %q", c.name, tab.Verdict, w)
			}
		}
		for _, w := range c.lack {
			if strings.Contains(tab.Verdict, w) {
				t.Errorf("%s: verdict %q has %q", c.name, tab.Verdict, w)
			}
		}
	}
}
