package rgunit

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"rgunit/retrieval"
	"rgunit/storage"
)

// Hit is one result of a query by image and target, as rgunit query
// --json prints it and the HTTP API answers it.
type Hit struct {
	retrieval.Neighbour
	Query string `json:"query,omitempty"` // the source it answers, in a batch
	To    string `json:"to,omitempty"`    // and the target
	Rank  int    `json:"rank"`
	// Partial: the remote index answered without some shard (AllowPartial).
	Partial bool `json:"partial,omitempty"`
}

// AttrHit is one result of a query by attributes alone (no distance).
type AttrHit struct {
	ID          uint64         `json:"id"`
	Path        string         `json:"path"`
	Labels      storage.Labels `json:"labels,omitempty"`
	Predicted   bool           `json:"predicted"` // matched by predicted, not known, attributes
	Probability float32        `json:"probability"`
	To          string         `json:"to,omitempty"` // the target it answers, in a batch
	Rank        int            `json:"rank"`
}

// Hits ranks a query's answer; query and to name the source and target
// it answers in a batch ("" otherwise).
func Hits(res *retrieval.Result, query, to string) []Hit {
	hs := make([]Hit, len(res.Neighbours))
	for i, n := range res.Neighbours {
		hs[i] = Hit{Neighbour: n, Rank: i + 1, Partial: res.Partial, Query: query, To: to}
	}
	return hs
}

// AttrHits ranks a query by attributes' items; to names the target it
// answers in a batch ("" otherwise).
func AttrHits(ns []retrieval.Neighbour, to string) []AttrHit {
	hs := make([]AttrHit, len(ns))
	for i, n := range ns {
		hs[i] = AttrHit{ID: n.ID, Path: n.Path, Labels: n.Labels, Predicted: n.Predicted, Probability: n.Probability, Rank: i + 1, To: to}
	}
	return hs
}

// WriteHits writes a query's neighbours as rgunit query prints them: a
// table, nearest first; byAttrs for a query by attributes (how each item
// matched instead of a distance).
func WriteHits(w io.Writer, ns []retrieval.Neighbour, byAttrs, partial bool) error {
	if partial {
		fmt.Fprintln(w, "PARTIAL: some shard of the remote index was unreachable; these results may miss items (--allow-partial)")
	}
	if len(ns) == 0 {
		_, err := fmt.Fprintln(w, "no matching items")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if byAttrs {
		fmt.Fprintln(tw, "rank\tid\tmatch\tpath\tlabels")
	} else {
		fmt.Fprintln(tw, "rank\tid\tdistance\tpath\tlabels")
	}
	for i, n := range ns {
		col := fmt.Sprintf("%.4f", n.Distance)
		if byAttrs {
			col = "known"
			if n.Predicted {
				col = fmt.Sprintf("predicted %.5f", n.Probability)
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", i+1, n.ID, col, relPath(n.Path), positives(n.Labels))
	}
	return tw.Flush()
}

// positives lists the attributes a label set has at +1.
func positives(l storage.Labels) string {
	if len(l) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if l[k] > 0 {
			parts = append(parts, k)
		}
	}
	if len(parts) == 0 {
		return "(all -1)"
	}
	return strings.Join(parts, ",")
}

// QueryHeader is the line rgunit query prints above a query's results:
// the source, its attributes and how they were known, the target.
func (d *DB) QueryHeader(src *Source, res *retrieval.Result) (string, error) {
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return "", err
	}
	how := "known"
	if res.Estimated {
		how = "estimated"
	}
	s := idx.Model.Schema()
	return fmt.Sprintf("query %s: source %s (%s) -> target %s", src.Name, s.Format(res.Source), how, s.Format(res.Target)), nil
}

// IndexWarning says, when it is so, that some items cannot be found yet:
// pending for a remote index, or not indexed here ("" otherwise).
func (d *DB) IndexWarning() string {
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return ""
	}
	if idx.URL != "" && idx.Pending > 0 {
		return fmt.Sprintf("%d items are pending for %s and cannot be found yet (run rgunit sync)", idx.Pending, idx.URL)
	}
	if n, err := d.st.Len(); idx.URL == "" && err == nil && idx.Len() < n {
		return fmt.Sprintf("only %d of the %d items are indexed and can be found (run rgunit reindex --update)", idx.Len(), n)
	}
	return ""
}
