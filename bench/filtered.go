package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"rgunit/index"
	"rgunit/internal/vecgen"
	"rgunit/split"
)

// FilteredRow is one way of answering filtered queries at one share of
// admitted items: recall@10 against the exact filtered answer, and
// single-thread QPS.
type FilteredRow struct {
	Dataset  string  `json:"dataset"`
	Admitted float64 `json:"admitted"` // share of the items the filter admits
	Method   string  `json:"method"`   // walk (filtered HNSW search), rgunit (rule), exact (scan of the admitted), post-filter
	Ef       int     `json:"ef"`
	Recall   float64 `json:"recall"`
	QPS      float64 `json:"qps"`
}

// ANNFiltered measures, on d, filtered queries at each admitted share
// (items chosen by a hash of their id): the HNSW walk that skips
// non-admitted results (never switching to a scan), the index as it is
// (the walk, or the exact scan below Options.ExactBelow items), the
// exact scan of the admitted items, and post-filtering (an unfiltered search for
// k/share results, then the filter), each scored against the exact
// filtered top 10.
func ANNFiltered(ctx context.Context, d *ANNData, o ANNOptions, shares []float64, ef int) ([]FilteredRow, error) {
	o.defaults()
	dim := len(d.Base[0])
	walk, err := index.NewHNSW(dim, &index.Options{M: o.M, EfConstruction: o.EfConstruction, ExactBelow: -1})
	if err != nil {
		return nil, err
	}
	defer walk.Close()
	auto, err := index.NewHNSW(dim, &index.Options{M: o.M, EfConstruction: o.EfConstruction})
	if err != nil {
		return nil, err
	}
	defer auto.Close()
	exact, err := index.NewExact(dim, index.L2)
	if err != nil {
		return nil, err
	}
	defer exact.Close()
	ids := make([]uint64, len(d.Base))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	for _, h := range []*index.HNSW{walk, auto} {
		if err := h.AddBatch(ctx, ids, d.Base, 0); err != nil {
			return nil, err
		}
	}
	for i, v := range d.Base {
		if err := exact.Add(ctx, ids[i], v); err != nil {
			return nil, err
		}
	}
	var rows []FilteredRow
	for _, share := range shares {
		cut := uint64(share * 1e6)
		keep := func(id uint64) bool { return split.Mix(id)%1_000_000 < cut }
		truth := make([][]uint64, len(d.Queries))
		for i, q := range d.Queries {
			rs, err := exact.Search(ctx, q, 10, &index.SearchOptions{Filter: keep})
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				truth[i] = append(truth[i], r.ID)
			}
		}
		fetch := min(len(d.Base), int(float64(10)/share*1.5)+10)
		for _, m := range []struct {
			name   string
			search func(q []float32) ([]index.Result, error)
		}{
			{"walk", func(q []float32) ([]index.Result, error) {
				return walk.Search(ctx, q, 10, &index.SearchOptions{Ef: max(ef, 10), Filter: keep})
			}},
			{"rgunit (rule)", func(q []float32) ([]index.Result, error) {
				return auto.Search(ctx, q, 10, &index.SearchOptions{Ef: max(ef, 10), Filter: keep})
			}},
			{"exact", func(q []float32) ([]index.Result, error) {
				return exact.Search(ctx, q, 10, &index.SearchOptions{Filter: keep})
			}},
			{"post-filter", func(q []float32) ([]index.Result, error) {
				rs, err := walk.Search(ctx, q, fetch, &index.SearchOptions{Ef: max(ef, fetch)})
				rs = slices.DeleteFunc(rs, func(r index.Result) bool { return !keep(r.ID) })
				return rs[:min(10, len(rs))], err
			}},
		} {
			res := make([][]index.Result, len(d.Queries))
			start := time.Now()
			for i, q := range d.Queries {
				if res[i], err = m.search(q); err != nil {
					return nil, err
				}
			}
			qps := float64(len(d.Queries)) / time.Since(start).Seconds()
			rows = append(rows, FilteredRow{Dataset: d.Name, Admitted: share, Method: m.name, Ef: ef,
				Recall: vecgen.Recall(res, resultID, truth, 10), QPS: qps})
		}
	}
	return rows, nil
}

// WriteFiltered writes the rows as a table.
func WriteFiltered(w io.Writer, rows []FilteredRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tadmitted\tmethod\tef\trecall@10\tQPS (1 thread)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%d\t%.4f\t%.0f\t\n", r.Dataset, r.Admitted, r.Method, r.Ef, r.Recall, r.QPS)
	}
	return tw.Flush()
}
