package split

import (
	"math"
	"testing"
)

// TestHeldBack: one id in ten, spread over every residue of a period (the
// reason the split hashes ids).
func TestHeldBack(t *testing.T) {
	t.Parallel()
	const n = 12000
	held := 0
	perResidue := make([]int, 12)
	for id := uint64(1); id <= n; id++ {
		if HeldBack(id) {
			held++
			perResidue[id%12]++
		}
	}
	if math.Abs(float64(held)/n-0.1) > 0.01 {
		t.Fatalf("held back %d of %d, want about 10%%", held, n)
	}
	for r, c := range perResidue {
		if c < 60 {
			t.Errorf("residue %d mod 12 has %d held-back ids, want about 100", r, c)
		}
	}
}

// TestInFraction: about the fraction asked for, independent of HeldBack,
// nested (a smaller fraction is a subset of a larger one), and every id for
// 1 and for the zero value.
func TestInFraction(t *testing.T) {
	t.Parallel()
	const n = 20000
	for _, f := range []float64{0.1, 0.25, 0.5, 0.9} {
		in, heldIn := 0, 0
		for id := uint64(1); id <= n; id++ {
			if InFraction(id, f) {
				in++
				if HeldBack(id) {
					heldIn++
				}
				if f < 0.9 && !InFraction(id, 0.9) {
					t.Fatalf("id %d in fraction %v but not in 0.9", id, f)
				}
			}
		}
		if got := float64(in) / n; math.Abs(got-f) > 0.02 {
			t.Errorf("fraction %v kept %.3f", f, got)
		}
		if got := float64(heldIn) / float64(in); math.Abs(got-0.1) > 0.02 {
			t.Errorf("fraction %v: %.3f of it held back, want about 0.1 (independent splits)", f, got)
		}
	}
	for _, f := range []float64{0, 1, All} {
		for id := uint64(1); id < 100; id++ {
			if !InFraction(id, f) {
				t.Fatalf("InFraction(%d, %v) = false, want every id", id, f)
			}
		}
	}
}

func TestFraction(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want float64 }{{0, 1}, {1, 1}, {0.25, 0.25}, {-1, 1}, {2, 1}} {
		if got := Fraction(c.in); got != c.want {
			t.Errorf("Fraction(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	for _, f := range []float64{0, -0.5, 1.5, math.NaN()} {
		if CheckFraction(f) == nil {
			t.Errorf("CheckFraction(%v) = nil, want an error", f)
		}
	}
	for _, f := range []float64{0.01, 0.5, 1} {
		if err := CheckFraction(f); err != nil {
			t.Errorf("CheckFraction(%v) = %v", f, err)
		}
	}
}

func TestHalf(t *testing.T) {
	t.Parallel()
	n := 0
	for id := uint64(1); id <= 10000; id++ {
		if Half(id) {
			n++
		}
	}
	if n < 4800 || n > 5200 {
		t.Fatalf("Half kept %d of 10000", n)
	}
}
