package bench_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit/bench"
	"rgunit/generator"
	"rgunit/internal/testenv"
	"rgunit/storage"
)

// TestExperiment: Table 2 on a small trained database has GMM-UNIT,
// RG-UNIT, the random-neighbour control and a row per other code mode,
// all on the same inputs, with a grid per method; a baseline adds a row;
// what cannot be compared is refused.
func TestExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a fixture")
	}
	path := testenv.Trained(t)
	baseline := filepath.Join(t.TempDir(), "baseline.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(baseline, b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := bench.Experiment{N: 8, Seed: 1, GridRows: 2, Baselines: []string{baseline}}.Run(st)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res.Table.Rows {
		names = append(names, r.Method)
		if r.Images != res.Table.Images || r.TargetAcc < 0 || r.TargetAcc > 1 || len(r.TargetAccAttrs) != 5 {
			t.Errorf("row %s: %d images (table %d), acc %v %v", r.Method, r.Images, res.Table.Images, r.TargetAcc, r.TargetAccAttrs)
		}
	}
	want := []string{"GMM-UNIT (stage 1", "RG-UNIT (k", "RG-UNIT, random neighbours", "GMM-UNIT (step 2, baseline.db)",
		"RG-UNIT, prior codes", "GMM-UNIT, prior codes", "RG-UNIT, mixed codes", "GMM-UNIT, mixed codes"}
	if len(names) != len(want) {
		t.Fatalf("rows %q, want %d", names, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(names[i], w) {
			t.Errorf("row %d is %q, want %q...", i, names[i], w)
		}
	}
	if len(res.Figures) != len(names) || res.Methods[1] != names[1] {
		t.Fatalf("%d figures for %d methods", len(res.Figures), len(names))
	}
	if b := res.Figures[0].Image.Bounds(); b.Dy() < 2*32 {
		t.Errorf("grid of 2 rows is %v", b)
	}
	var text strings.Builder
	if err := res.Table.WriteText(&text); err != nil || !strings.Contains(text.String(), "RG-UNIT, random neighbours") || !strings.Contains(text.String(), "speckle") {
		t.Errorf("text table: %v\n%s", err, text.String())
	}

	only, err := bench.Experiment{N: 8, Seed: 1, NoRetrieval: true, Codes: generator.CodePrior}.Run(st)
	if err != nil {
		t.Fatal(err)
	}
	if r := only.Table.Rows; len(r) != 3 || !strings.HasPrefix(r[0].Method, "GMM-UNIT (step") || r[1].Method != "GMM-UNIT, encoder codes" || r[2].Method != "GMM-UNIT, mixed codes" {
		t.Errorf("--no-retrieval --codes prior rows: %v", r)
	}

	for name, e := range map[string]bench.Experiment{
		"missing baseline":  {N: 8, Baselines: []string{filepath.Join(t.TempDir(), "none.db")}},
		"labels-db is self": {N: 8, LabelDBs: []string{path}},
	} {
		if _, err := e.Run(st); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestExperimentNeedsClassifier: without an evaluation classifier the
// experiment says how to make one.
func TestExperimentNeedsClassifier(t *testing.T) {
	t.Parallel()
	st, err := storage.Open(testenv.Ingested(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := (bench.Experiment{N: 8}).Run(st); err == nil || !strings.Contains(err.Error(), "rgunit train classifier") {
		t.Fatalf("no classifier: %v", err)
	}
}
