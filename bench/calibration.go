package bench

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"rgunit/retrieval"
	"rgunit/split"
	"rgunit/storage"
)

// ReliabilityBin is one bin of a reliability table: the predictions of
// P(+1) in [Lo, Hi), how many, their mean, and how often the label was +1.
type ReliabilityBin struct {
	Lo, Hi   float64
	N        int
	MeanP    float64
	FracTrue float64
}

// Reliability bins predictions p of labels y (+1/-1; 0 skipped) into
// bins equal widths and returns the bins and the expected calibration
// error (the N-weighted mean |MeanP - FracTrue|).
func Reliability(p []float64, y []int8, bins int) ([]ReliabilityBin, float64) {
	out := make([]ReliabilityBin, bins)
	for i := range out {
		out[i].Lo, out[i].Hi = float64(i)/float64(bins), float64(i+1)/float64(bins)
	}
	n := 0
	for i, v := range p {
		if y[i] == 0 {
			continue
		}
		b := min(int(v*float64(bins)), bins-1)
		out[b].N++
		out[b].MeanP += v
		if y[i] > 0 {
			out[b].FracTrue++
		}
		n++
	}
	var ece float64
	for i := range out {
		if out[i].N > 0 {
			out[i].MeanP /= float64(out[i].N)
			out[i].FracTrue /= float64(out[i].N)
			ece += float64(out[i].N) * math.Abs(out[i].MeanP-out[i].FracTrue)
		}
	}
	return out, ece / float64(max(n, 1))
}

// CalibrationResult is the calibration of a database's attribute
// posteriors on its held-back labelled items, with temperatures fitted
// on the other labelled items.
type CalibrationResult struct {
	Train        int                `json:"train_items"`
	Held         int                `json:"held_back_items"`
	Temperatures []float64          `json:"temperatures"`
	Attrs        []string           `json:"attrs"`
	ECERaw       []float64          `json:"ece_raw"`        // per attribute, T = 1
	ECE          []float64          `json:"ece_calibrated"` // per attribute, fitted T
	Distinct     []float64          `json:"distinct_calibrated"`
	DistinctRaw  []float64          `json:"distinct_raw"` // share of held-back items with a probability no other has (ranking resolution)
	Bins         [][]ReliabilityBin `json:"bins"`         // per attribute, calibrated
}

// Calibration measures m's posterior calibration on st (held-back
// items by split.HeldBack; up to 2,000 training and 1,500 held-back).
func Calibration(st *storage.Store, m *retrieval.Model) (*CalibrationResult, error) {
	var train, held []uint64
	if err := st.ForEach(func(it storage.Item) error {
		if it.Labelled() {
			if split.HeldBack(it.ID) {
				held = append(held, it.ID)
			} else {
				train = append(train, it.ID)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if len(train) == 0 || len(held) == 0 {
		return nil, fmt.Errorf("bench: calibration needs labelled items (%d training, %d held back)", len(train), len(held))
	}
	tl, ty, err := retrieval.ItemLogOdds(st, m, retrieval.Sample(train, 2000))
	if err != nil {
		return nil, err
	}
	hl, hy, err := retrieval.ItemLogOdds(st, m, retrieval.Sample(held, 1500))
	if err != nil {
		return nil, err
	}
	r := &CalibrationResult{Train: len(tl), Held: len(hl), Temperatures: retrieval.FitTemperatures(tl, ty), Attrs: m.Schema().Attrs}
	for a := range r.Attrs {
		raw, cal := make([]float64, len(hl)), make([]float64, len(hl))
		ys := make([]int8, len(hl))
		for i, l := range hl {
			raw[i] = 1 / (1 + math.Exp(-l[a]))
			cal[i] = 1 / (1 + math.Exp(-l[a]/r.Temperatures[a]))
			ys[i] = hy[i][a]
		}
		_, eRaw := Reliability(raw, ys, 10)
		bins, e := Reliability(cal, ys, 10)
		r.ECERaw, r.ECE, r.Bins = append(r.ECERaw, eRaw), append(r.ECE, e), append(r.Bins, bins)
		r.DistinctRaw, r.Distinct = append(r.DistinctRaw, distinct(raw)), append(r.Distinct, distinct(cal))
	}
	return r, nil
}

// distinct is the share of values (as float32, as stored) that no other
// value equals.
func distinct(p []float64) float64 {
	count := map[float32]int{}
	for _, v := range p {
		count[float32(v)]++
	}
	n := 0
	for _, v := range p {
		if count[float32(v)] == 1 {
			n++
		}
	}
	return float64(n) / float64(max(len(p), 1))
}

// WriteText writes the per-attribute summary and each attribute's
// reliability table.
func (r *CalibrationResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "temperatures fitted on %d labelled items, measured on %d held back\n", r.Train, r.Held)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attribute\tT\tECE raw\tECE calibrated\tdistinct raw\tdistinct calibrated\t")
	for a, name := range r.Attrs {
		fmt.Fprintf(tw, "%s\t%.2f\t%.4f\t%.4f\t%.2f\t%.2f\t\n", name, r.Temperatures[a], r.ECERaw[a], r.ECE[a], r.DistinctRaw[a], r.Distinct[a])
	}
	tw.Flush()
	for a, name := range r.Attrs {
		fmt.Fprintf(w, "\n%s (calibrated): P(+1) bin, items, mean P, fraction +1\n", name)
		for _, b := range r.Bins[a] {
			if b.N > 0 {
				fmt.Fprintf(w, "  [%.1f, %.1f)  %5d  %.3f  %.3f\n", b.Lo, b.Hi, b.N, b.MeanP, b.FracTrue)
			}
		}
	}
	return nil
}
