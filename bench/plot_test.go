package bench

import (
	"math"
	"strings"
	"testing"
)

// TestLossPlot: JSON lines among other output are read in order, a loss
// missing from a line is a gap, and the SVG has one panel with one point
// per present value for each series asked for.
func TestLossPlot(t *testing.T) {
	t.Parallel()
	log := `train unit: 10 labelled items
{"step":100,"rec":0.3,"adv":0.5}
checkpoint: version 1 at step 100
{"step":200,"rec":0.2,"adv":0.4,"kl":2}
not json {
{"step":300,"rec":0.1,"adv":0.45,"kl":1.5}
{"no_step":1}
`
	l, err := ReadLossLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Steps) != 3 || l.Steps[2] != 300 || strings.Join(l.Names(), ",") != "adv,kl,rec" {
		t.Fatalf("%+v", l)
	}
	if kl := l.Series["kl"]; !math.IsNaN(kl[0]) || kl[1] != 2 || kl[2] != 1.5 {
		t.Fatalf("kl %v", kl)
	}
	var b strings.Builder
	if err := WriteLossSVG(&b, l, []string{"rec", "kl"}, "a <title>"); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<polyline") != 2 || !strings.Contains(svg, "a &lt;title&gt;") {
		t.Fatalf("svg:\n%s", svg)
	}
	for _, line := range strings.Split(svg, "\n") {
		if strings.HasPrefix(line, "<polyline") {
			pts := line[strings.Index(line, `points="`)+8:]
			pts = pts[:strings.Index(pts, `"`)]
			if n := len(strings.Fields(pts)); n != 3 && n != 2 { // rec has 3 values, kl 2
				t.Fatalf("%d points: %s", n, line)
			}
		}
	}
	if err := WriteLossSVG(&b, l, []string{"bogus"}, ""); err == nil || !strings.Contains(err.Error(), "adv, kl, rec") {
		t.Fatalf("unknown series: %v", err)
	}
	if _, err := ReadLossLog(strings.NewReader("no json here\n")); err == nil {
		t.Fatal("a log without JSON lines was read")
	}
}
