package bench

import "testing"

// TestReliability: predictions that match their frequencies have an
// error near 0; overconfident ones (always 0.99 for a coin) near 0.49.
func TestReliability(t *testing.T) {
	t.Parallel()
	var p []float64
	var y []int8
	for i := range 1000 {
		v := float64(i%10)/10 + 0.05 // 0.05 .. 0.95
		p = append(p, v)
		if float64((i/10)%10)/10 < v { // in each bin, a share v of +1
			y = append(y, 1)
		} else {
			y = append(y, -1)
		}
	}
	bins, ece := Reliability(p, y, 10)
	if len(bins) != 10 || ece > 0.06 || bins[3].N != 100 {
		t.Fatalf("matched: ece %v, bins %+v", ece, bins)
	}
	over := make([]float64, len(p))
	for i := range over {
		over[i] = 0.99
	}
	if _, e := Reliability(over, y, 10); e < 0.4 {
		t.Fatalf("overconfident: ece %v", e)
	}
}
