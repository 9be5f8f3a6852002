package bench

import (
	"context"
	"errors"
	"testing"
)

// TestHNSWLibPeer: hnswlib, through its peer, on a small clustered set:
// recall rises with ef and reaches 0.95, and rgunit's rows get their
// ratio to it. Skips where libhnswlib-dev or a C++ compiler is missing
// (.ci/run installs both).
func TestHNSWLibPeer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the C++ peer and two indexes")
	}
	if _, err := HNSWLibPeer(context.Background()); errors.Is(err, ErrNoHNSWLib) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	o := ANNOptions{N: 5000, Dim: 32, Queries: 200, M: 16, EfConstruction: 100, Efs: []int{10, 40, 160}}
	d, err := Synthetic("clustered", o)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ANN(context.Background(), d, o, []string{"rgunit", "hnswlib"}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var lib []ANNRow
	for _, r := range rows {
		switch r.Engine {
		case "hnswlib":
			lib = append(lib, r)
		case "rgunit":
			if r.OverHNSWLib <= 0 {
				t.Fatalf("rgunit row without its ratio to hnswlib: %+v", r)
			}
		}
	}
	if len(lib) != 3 || lib[2].Recall < 0.95 || lib[0].Recall > lib[2].Recall || lib[0].QPS <= 0 || lib[0].BytesPerVec < 4*32 {
		t.Fatalf("hnswlib rows %+v", lib)
	}
	t.Logf("hnswlib: ef 10 recall %.3f, ef 160 recall %.3f, %.0f bytes/vector", lib[0].Recall, lib[2].Recall, lib[0].BytesPerVec)
}

// TestQPSAtRecall: interpolation between the efs around the target.
func TestQPSAtRecall(t *testing.T) {
	t.Parallel()
	rows := []ANNRow{
		{Dataset: "d", Engine: "e", Ef: 40, Recall: 0.97, QPS: 600},
		{Dataset: "d", Engine: "e", Ef: 10, Recall: 0.90, QPS: 1000},
		{Dataset: "d", Engine: "e", Ef: 20, Recall: 0.94, QPS: 800},
	}
	if q := QPSAtRecall(rows, "d", "e", 0.95); q < 733 || q > 734 { // a third of the way from 800 to 600
		t.Fatalf("at 0.95: %v", q)
	}
	if q := QPSAtRecall(rows, "d", "e", 0.85); q != 1000 {
		t.Fatalf("below the first: %v", q)
	}
	if q := QPSAtRecall(rows, "d", "e", 0.99); q != 0 {
		t.Fatalf("not reached: %v", q)
	}
}
