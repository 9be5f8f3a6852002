package bench

import (
	"testing"
)

// TestMeasureTrain: the bench times the split step and, as its baseline,
// the same steps on one graph, and relates GFLOP/s to the ceiling.
func TestMeasureTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("times training steps")
	}
	var total uint64
	allocs := func() uint64 { total += 1e6; return total }
	r, err := MeasureTrain(32, 2, 1, 2, "first", 2, allocs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Parts != 2 || r.SecondsMedian <= 0 || r.OneGraphSecondsMedian <= 0 || r.Speedup != r.OneGraphSecondsMedian/r.SecondsMedian {
		t.Fatalf("split run: %+v", r)
	}
	if r.GFLOPPerStep <= 0 || r.PeakGFLOPS <= 0 || r.OfPeak != r.GFLOPS/r.PeakGFLOPS || r.AllocMBStep != 1 {
		t.Fatalf("figures: %+v", r)
	}
	one, err := MeasureTrain(32, 2, 1, 1, "first", 2, allocs)
	if err != nil {
		t.Fatal(err)
	}
	if one.Parts != 1 || one.OneGraphSecondsMedian != 0 || one.Speedup != 0 || one.GFLOPPerStep != r.GFLOPPerStep {
		t.Fatalf("one graph: %+v", one)
	}
	if _, err := MeasureTrain(32, 2, 1, 3, "first", 2, allocs); err == nil {
		t.Fatal("3 parts of a batch of 2 ran")
	}
}
