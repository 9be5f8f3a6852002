package bench

import (
	"testing"

	"rgunit/storage"
)

// TestUnlabelledPrecision: a target's attribute and value, and the share
// of ids whose true label has it (ids without labels count against).
func TestUnlabelledPrecision(t *testing.T) {
	t.Parallel()
	if a, v := ParseTarget("-Male"); a != "Male" || v != -1 {
		t.Fatalf("-Male: %s %d", a, v)
	}
	if a, v := ParseTarget("Young"); a != "Young" || v != 1 {
		t.Fatalf("Young: %s %d", a, v)
	}
	truth := map[uint64]storage.Labels{1: {"Male": 1}, 2: {"Male": -1}, 3: {"Male": 1}}
	if p := Precision([]uint64{1, 2, 3, 4}, truth, "Male", 1); p != 0.5 {
		t.Fatalf("precision %v, want 0.5", p)
	}
	if p := Precision(nil, truth, "Male", 1); p != 0 {
		t.Fatalf("no ids: %v", p)
	}
}
