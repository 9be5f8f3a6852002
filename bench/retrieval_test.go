package bench

import (
	"math"
	"strings"
	"testing"

	"rgunit/embed"
)

func TestCosine(t *testing.T) {
	for _, c := range []struct {
		a, b []int8
		want float64
	}{
		{[]int8{1, -1, 1}, []int8{1, -1, 1}, 1},
		{[]int8{1, -1}, []int8{-1, 1}, -1},
		{[]int8{1, 1, 1, 1}, []int8{1, 1, -1, -1}, 0},
		{[]int8{1, 0, 1}, []int8{1, 1, 1}, 2 / math.Sqrt(6)}, // unknown content counts as 0
		{[]int8{0, 0}, []int8{1, 1}, 0},
	} {
		if got := cosine(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("cosine(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestCheckOrder(t *testing.T) {
	rows := func(all, hard, easy, medium, random float64) map[string]RetrievalRow {
		return map[string]RetrievalRow{"all": {AttrP10: all}, "hard": {AttrP10: hard}, "easy": {AttrP10: easy},
			"medium": {AttrP10: medium}, "random": {AttrP10: random}}
	}
	if ok, d := checkOrder(rows(.83, .80, .66, .66, .65)); !ok { // the paper's figures
		t.Fatalf("paper's figures: %s", d)
	}
	for _, r := range []map[string]RetrievalRow{
		rows(.7, .8, .6, .6, .5),  // all < hard
		rows(.8, .6, .7, .7, .5),  // hard < easy
		rows(.8, .8, .7, .6, .5),  // easy far from medium
		rows(.8, .8, .6, .6, .65), // random above
		{"all": {AttrP10: 1}},     // settings missing
	} {
		if ok, d := checkOrder(r); ok || !strings.Contains(d, "NO") && !strings.Contains(d, "not every") {
			t.Errorf("%v: holds %v (%s)", r, ok, d)
		}
	}
}

func TestSubPool(t *testing.T) {
	p := &embed.Pool{Kinds: embed.AllNegatives, N: 1, Content: make([][]float32, 6), Codes: make([][]float32, 6)}
	for r := range 6 {
		p.Content[r], p.Codes[r] = []float32{float32(r)}, []float32{float32(10 * r)}
	}
	sub := subPool(p, []embed.Negative{embed.Hardest, embed.Medium})
	if sub.Roles() != 4 {
		t.Fatalf("%d roles", sub.Roles())
	}
	for i, want := range []float32{0, 1, 5, 3} { // anchor, positive, hardest, medium
		if sub.Content[i][0] != want || sub.Codes[i][0] != 10*want {
			t.Fatalf("role %d: content %v code %v, want %v", i, sub.Content[i], sub.Codes[i], want)
		}
	}
}
