package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/retrieval"
	"rgunit/storage"
)

// attrLine is one result of a query by attributes.
type attrLine struct {
	ID          uint64         `json:"id"`
	Path        string         `json:"path"`
	Labels      storage.Labels `json:"labels,omitempty"`
	Predicted   bool           `json:"predicted"`
	Probability float32        `json:"probability"`
	Rank        int            `json:"rank"`
}

type queryLine struct {
	retrieval.Neighbour
	Rank int `json:"rank"`
	// Partial: the remote index answered without some shard (--allow-partial).
	Partial bool `json:"partial,omitempty"`
}

type queryOptions struct {
	db           dbFlag
	to, sheetOut string
	k, ef        int
	filters      []string
	asJSON       bool
	allowPartial bool
}

func newQueryCmd() *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query [IMG]",
		Short: "Find the items nearest to an image translated to target attributes, or items with given attributes",
		Long: `With IMG (an image file, or id:N for a stored item), prints the k items
nearest to emb(E_c(IMG), target code), nearest first: the content of IMG with
the attributes of --to (Blond_Hair,Young,-Male: a name sets +1, -name sets -1;
unnamed attributes keep IMG's values, known labels for a labelled item, else
estimated by the attribute encoder). --filter Attr=+1 keeps only items with
that value (known label, else predicted).

Without IMG, lists the items whose attributes match --to: items whose known
labels match first, then unlabelled items whose predicted attributes match,
most probable first.`,
		Example: `  rgunit query face.png --to Blond_Hair,-Male --db faces.db
  rgunit query id:42 --to Young -k 5 --sheet out.png --db faces.db
  rgunit query --to Blond_Hair,Young --json --db faces.db`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *queryOptions) addFlags(cmd *cobra.Command) {
	o.db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "target attributes, e.g. Blond_Hair,Young,-Male")
	f.IntVarP(&o.k, "k", "k", 10, "number of results")
	f.IntVar(&o.ef, "ef", 0, "search beam width (default: the index's)")
	f.StringArrayVar(&o.filters, "filter", nil, "Attr=+1 or Attr=-1 (repeatable)")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per result")
	f.StringVar(&o.sheetOut, "sheet", "", "write a contact sheet PNG: the query, its target translation, the neighbours")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, answer with the results marked partial instead of failing")
	cmd.MarkFlagRequired("to")
}

func (o *queryOptions) run(cmd *cobra.Command, args []string) error {
	switch {
	case o.k <= 0:
		return fmt.Errorf("-k must be positive (got %d)", o.k)
	case o.ef < 0:
		return fmt.Errorf("--ef must be positive (got %d)", o.ef)
	case len(args) == 0 && (len(o.filters) > 0 || o.sheetOut != ""):
		return fmt.Errorf("--filter and --sheet need an IMG")
	}
	st, err := o.db.open(false, false, 0) // read-only: queries run side by side, on read-only files too
	if err != nil {
		return err
	}
	db := rgunit.New(st, &rgunit.Options{AllowPartial: o.allowPartial})
	defer db.Close()
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	if len(args) == 0 {
		res, err := db.QueryAttrs(ctx, o.to, o.k)
		if err != nil {
			return err
		}
		idx, _ := db.Index()
		warnPending(cmd, idx)
		return printNeighbours(out, res, o.asJSON, true, false)
	}
	src, err := db.LoadQuerySource(args[0])
	if err != nil {
		return err
	}
	idx, _ := db.Index()
	warnPending(cmd, idx)
	res, err := db.QuerySource(ctx, src, rgunit.Query{Targets: o.to, K: o.k, Ef: o.ef, Filters: o.filters})
	if err != nil {
		return err
	}
	if !o.asJSON {
		how := "known"
		if res.Estimated {
			how = "estimated"
		}
		s := idx.Model.Schema()
		fmt.Fprintf(out, "query %s: source %s (%s) -> target %s\n", src.Name, s.Format(res.Source), how, s.Format(res.Target))
	}
	if err := printNeighbours(out, res.Neighbours, o.asJSON, false, res.Partial); err != nil {
		return err
	}
	return o.writeSheet(out, db, src, res)
}

// writeSheet writes --sheet, when asked.
func (o *queryOptions) writeSheet(out io.Writer, db *rgunit.DB, src *rgunit.Source, res *retrieval.Result) error {
	if o.sheetOut == "" {
		return nil
	}
	sheet, err := db.QuerySheet(src, res)
	if err != nil {
		return err
	}
	if err := writePNG(o.sheetOut, sheet); err != nil {
		return err
	}
	if !o.asJSON {
		fmt.Fprintf(out, "sheet: %s\n", o.sheetOut)
	}
	return nil
}

func printNeighbours(w interface{ Write([]byte) (int, error) }, ns []retrieval.Neighbour, asJSON, byAttrs, partial bool) error {
	if asJSON {
		for i, n := range ns {
			var v any = queryLine{Neighbour: n, Rank: i + 1, Partial: partial}
			if byAttrs { // no distance
				v = attrLine{ID: n.ID, Path: n.Path, Labels: n.Labels, Predicted: n.Predicted, Probability: n.Probability, Rank: i + 1}
			}
			if err := writeJSONLine(w, v); err != nil {
				return err
			}
		}
		return nil
	}
	if partial {
		fmt.Fprintln(w, "PARTIAL: some shard of the remote index was unreachable; these results may miss items (--allow-partial)")
	}
	if len(ns) == 0 {
		fmt.Fprintln(w, "no matching items")
		return nil
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
				col = fmt.Sprintf("predicted %.3f", n.Probability)
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", i+1, n.ID, col, relPath(n.Path), formatLabels(n.Labels))
	}
	return tw.Flush()
}

func formatLabels(l storage.Labels) string {
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

// warnPending says on stderr that a remote index lacks some items.
func warnPending(cmd *cobra.Command, d *retrieval.DB) {
	if d.URL != "" && d.Pending > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d items are pending for %s and cannot be found yet (run rgunit sync)\n", d.Pending, d.URL)
	}
	if n, err := d.St.Len(); d.URL == "" && err == nil && d.Len() < n {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: only %d of the %d items are indexed and can be found (run rgunit reindex --update)\n", d.Len(), n)
	}
}
