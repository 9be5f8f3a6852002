package bench

import (
	"context"
	"testing"
)

// TestANNSQ8: the rgunit-sq8 rows on a small clustered set: recall 0.95 by
// ef 40, the stored indexes reopened (in the bench, and by FreshReopen once
// the bench has closed them), and fewer bytes per vector in memory than the
// float index's (its float vectors stay in the file).
func TestANNSQ8(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds four indexes (the index package tests SQ8 in the fast lane)")
	}
	o := ANNOptions{N: 4000, Dim: 64, Queries: 100, M: 16, EfConstruction: 100, Efs: []int{10, 40},
		// In this process: the file must be closed by then (bbolt locks it).
		FreshReopen: func(_ context.Context, path string) (float64, error) { return ReopenFile(path) }}
	d, err := Synthetic("clustered", o)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ANN(context.Background(), d, o, []string{"rgunit", "rgunit-sq8"}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byEngine := map[string][]ANNRow{}
	for _, r := range rows {
		byEngine[r.Engine] = append(byEngine[r.Engine], r)
	}
	f, q := byEngine["rgunit"], byEngine["rgunit-sq8"]
	if len(f) != 2 || len(q) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if q[1].Recall < 0.95 || q[0].QPS <= 0 || q[0].ReopenSeconds <= 0 || q[0].FreshReopenSeconds <= 0 || f[0].FreshReopenSeconds <= 0 {
		t.Fatalf("rgunit-sq8 rows %+v", q)
	}
	// 64-d at M 16: float records 1+32+3+64 words, SQ8 ones 1+32+3+16.
	if ratio := q[0].BytesPerVec / f[0].BytesPerVec; ratio > 0.7 {
		t.Fatalf("rgunit-sq8 holds %.0f bytes per vector, float %.0f (%.2fx): the float vectors should stay in the file", q[0].BytesPerVec, f[0].BytesPerVec, ratio)
	}
	t.Logf("rgunit-sq8: recall %.3f/%.3f, %.0f bytes/vector (float %.0f)", q[0].Recall, q[1].Recall, q[0].BytesPerVec, f[0].BytesPerVec)
}
