package bench

import (
	"context"
	"testing"
)

// TestANNFiltered: every method answers filtered queries; below the rule's
// count the index scans (recall 1), the walk finds the admitted items too.
func TestANNFiltered(t *testing.T) {
	t.Parallel()
	o := ANNOptions{N: 4000, Dim: 16, Queries: 50, M: 16, EfConstruction: 64}
	d, err := Synthetic("clustered", o)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ANNFiltered(context.Background(), d, o, []float64{0.05, 0.5}, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		min := 0.9
		if r.Method == "exact" || r.Method == "rgunit (rule)" && r.Admitted == 0.05 {
			min = 1
		}
		if r.Recall < min || r.QPS <= 0 {
			t.Errorf("%+v: recall under %v", r, min)
		}
	}
}
