package benchcmd

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench"
	"rgunit/ingest"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
	"rgunit/storage"
)

type benchUnlabelledOptions struct {
	db      cmdutil.DB
	labels  string
	targets []string
	k, n    int
	asJSON  bool
}

func newBenchUnlabelledCmd() *cobra.Command {
	o := &benchUnlabelledOptions{}
	cmd := &cobra.Command{
		Use:   "unlabelled",
		Short: "Query precision on items ingested without labels, scored with their true labels",
		Long: `For a database whose items were ingested without labels, scores with the true
labels of --labels (list_attr format, rows matched by file name): for each
target, image+target queries from --n items that do not already have the
target value (rgunit query id:N --to TARGET -k K) and the attribute-only
query (rgunit query --to TARGET -k K), as the share of returned items whose
true label has the asked value, next to that value's base rate. The
image+target queries run twice: as rgunit query answers them (neighbours
must carry the asked value, a known label else the predicted one) and as
the plain nearest items (--nearest).`,
		Example: `  rgunit ingest photos/ --db photos.db --model celeba64
  rgunit bench unlabelled --db photos.db --labels photos/list_attr.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.labels, "labels", "", "the true labels (list_attr format)")
	f.StringSliceVar(&o.targets, "to", bench.DefaultUnlabelledTargets, "targets")
	f.IntVarP(&o.k, "k", "k", 10, "results per query")
	f.IntVarP(&o.n, "n", "n", 100, "image+target queries per target")
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per target")
	cmd.MarkFlagRequired("labels")
	return cmd
}

func (o *benchUnlabelledOptions) run(cmd *cobra.Command) error {
	table, err := ingest.LoadLabels(o.labels)
	if err != nil {
		return err
	}
	db, err := o.db.Open(cmdutil.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	truth := map[uint64]storage.Labels{}
	var ids []uint64
	err = db.EachItem(cmd.Context(), rgunit.ItemFilter{}, func(it rgunit.Item) error {
		if key, ok := table.Match(filepath.Base(it.Path), it.Path); ok {
			truth[it.ID], _ = table.Row(key)
			ids = append(ids, it.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("no item of %s matches a row of %s", o.db.Path, o.labels)
	}
	var rows []bench.UnlabelledRow
	for _, target := range o.targets {
		r, err := o.target(cmd, db, target, ids, truth)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if o.asJSON {
		return cmdutil.WriteJSONLines(cmd.OutOrStdout(), rows)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d items with true labels\n", len(ids))
	return bench.WriteUnlabelled(cmd.OutOrStdout(), rows, o.k)
}

// target scores one target.
func (o *benchUnlabelledOptions) target(cmd *cobra.Command, db *rgunit.DB, target string, ids []uint64, truth map[uint64]storage.Labels) (bench.UnlabelledRow, error) {
	attr, v := bench.ParseTarget(target)
	row := bench.UnlabelledRow{Target: target, BaseRate: bench.Precision(ids, truth, attr, v)}
	var sources []uint64
	for _, id := range retrieval.Sample(ids, len(ids)) {
		if truth[id][attr] != v && len(sources) < o.n { // a change, not the value it has
			sources = append(sources, id)
		}
	}
	var sum, sumNearest float64
	for _, id := range sources {
		for _, nearest := range []bool{false, true} {
			res, err := db.Query(cmd.Context(), rgunit.Query{Source: fmt.Sprintf("id:%d", id), Targets: target, K: o.k, Nearest: nearest})
			if err != nil {
				return row, err
			}
			var got []uint64
			for _, n := range res.Neighbours {
				got = append(got, n.ID)
			}
			if p := bench.Precision(got, truth, attr, v); nearest {
				sumNearest += p
			} else {
				sum += p
			}
		}
	}
	row.Queries = len(sources)
	if row.Queries > 0 {
		row.ImageP10, row.NearestP10 = sum/float64(row.Queries), sumNearest/float64(row.Queries)
	}
	ns, err := db.QueryAttrs(cmd.Context(), target, o.k)
	if err != nil {
		return row, err
	}
	var got []uint64
	for _, n := range ns {
		got = append(got, n.ID)
	}
	row.AttrP10 = bench.Precision(got, truth, attr, v)
	row.AttrRanked = !slices.IsSorted(got)
	return row, nil
}
