package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// LossLog is the numeric fields of the JSON lines a training run prints
// with --json (rgunit train unit|retrieval|rg), by name, in step order.
type LossLog struct {
	Steps  []float64
	Series map[string][]float64 // name -> one value per step (NaN where a line lacks it)
}

// ReadLossLog reads the JSON-object lines that carry a "step" from r;
// other lines (progress, messages) are skipped.
func ReadLossLog(r io.Reader) (*LossLog, error) {
	l := &LossLog{Series: map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		step, ok := m["step"].(float64)
		if !ok {
			continue
		}
		for name := range l.Series {
			l.Series[name] = append(l.Series[name], math.NaN())
		}
		n := len(l.Steps)
		l.Steps = append(l.Steps, step)
		for name, v := range m {
			x, ok := v.(float64)
			if !ok || name == "step" {
				continue
			}
			s, seen := l.Series[name]
			if !seen {
				s = make([]float64, n+1)
				for i := range n {
					s[i] = math.NaN()
				}
			}
			s[n] = x
			l.Series[name] = s
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(l.Steps) == 0 {
		return nil, fmt.Errorf("bench: no JSON lines with a step (train with --json)")
	}
	return l, nil
}

// Names are the series, sorted.
func (l *LossLog) Names() []string {
	var out []string
	for n := range l.Series {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// plot layout
const (
	panelW, panelH   = 300, 150
	panelPadL        = 48
	panelPadB        = 22
	panelCols        = 3
	panelGap         = 16
	lossPlotColour   = "#1f77b4"
	lossPlotFontSize = 11
)

// WriteLossSVG draws one small panel per series (its own y range, step
// on x), titled, as a standalone SVG.
func WriteLossSVG(w io.Writer, l *LossLog, names []string, title string) error {
	if len(names) == 0 {
		names = l.Names()
	}
	for _, n := range names {
		if _, ok := l.Series[n]; !ok {
			return fmt.Errorf("bench: no series %q in the log (it has %s)", n, strings.Join(l.Names(), ", "))
		}
	}
	rows := (len(names) + panelCols - 1) / panelCols
	width := panelCols*(panelW+panelGap) + panelGap
	height := 30 + rows*(panelH+panelGap+panelPadB)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="%d">`+"\n", width, height, lossPlotFontSize)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", panelGap, escapeXML(title))
	x0, x1 := l.Steps[0], l.Steps[len(l.Steps)-1]
	if x1 == x0 {
		x1 = x0 + 1
	}
	for i, name := range names {
		px := panelGap + (i%panelCols)*(panelW+panelGap)
		py := 30 + (i/panelCols)*(panelH+panelGap+panelPadB)
		ys := l.Series[name]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, y := range ys {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				lo, hi = min(lo, y), max(hi, y)
			}
		}
		if math.IsInf(lo, 0) {
			continue
		}
		if hi == lo {
			hi = lo + 1
		}
		ax, ay := float64(px+panelPadL), float64(py+panelH)
		aw, ah := float64(panelW-panelPadL), float64(panelH-10)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", px+panelPadL, py+8, escapeXML(name))
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", ax, ay, ax+aw, ay)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", ax, ay, ax, ay-ah)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f">%.3g</text>`+"\n", px, ay-ah+10, hi)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f">%.3g</text>`+"\n", px, ay, lo)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%.0f</text>`+"\n", ax, ay+14, x0)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">step %.0f</text>`+"\n", ax+aw, ay+14, l.Steps[len(l.Steps)-1])
		var pts []string
		for j, y := range ys {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", ax+aw*(l.Steps[j]-x0)/(x1-x0), ay-ah*(y-lo)/(hi-lo)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", lossPlotColour, strings.Join(pts, " "))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// ReadLossLogFiles reads several logs in order, as one run resumed.
func ReadLossLogFiles(paths ...string) (*LossLog, error) {
	texts := make([]string, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		texts[i] = string(b)
	}
	return ReadLossLog(strings.NewReader(strings.Join(texts, "\n")))
}
