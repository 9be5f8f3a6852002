package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/generator"
	"rgunit/ingest"
	"rgunit/storage"
)

func newBenchRetrievalCmd() *cobra.Command {
	var (
		db       dbFlag
		content  string
		settings string
		asJSON   bool
		quiet    bool
		o        = bench.RetrievalOptions{Seed: 1}
	)
	cmd := &cobra.Command{
		Use:   "retrieval",
		Short: "Reproduce the seed's Table 1: retrieval P@10 per negatives setting",
		Long: `Trains the retrieval embedder once per negatives setting (easy, medium, hard,
hardest, all) on one triplet pool made with the database's latest GMM-UNIT
model from the labelled items that are not held back, embeds every labelled
item, and queries with every held-back item (one id in ten, by a hash): its content with
a target that flips one attribute. P@K for attributes is the mean cosine
similarity between the target's +-1 vector and each neighbour's labels; for
content, between the query's and each neighbour's non-domain attributes:
those of --content (a list_attr-format file, e.g. faces12k's
list_content.txt), else the item's own labels outside the model's attributes
(CelebA's 35 others). Random retrieval is the baseline. --unlabelled adds the
unlabelled-ingestion check: an embedder trained on a labelled half (chosen by
a hash of the id) only, and the attribute P@K of neighbours from each half.
Nothing is written to the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			u, _, err := generator.LoadLatest(st)
			if err != nil {
				return fmt.Errorf("no GMM-UNIT model (rgunit train unit): %w", err)
			}
			if settings != "" {
				o.Settings = strings.Split(settings, ";")
			}
			items, attrs, err := retrievalItems(st, u, content)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			if !quiet {
				fmt.Fprintf(errw, "%d labelled items; content attributes: %d (%s...)\n", len(items), len(attrs), strings.Join(attrs[:min(4, len(attrs))], ","))
			}
			var pr *progress
			stage, last := "", [2]int{}
			o.OnProgress = func(s string, done, total int) {
				if s != stage {
					if pr != nil {
						pr.finish(last[0], last[1], "")
					}
					pr, stage = newProgress(errw, total, s, "", quiet), s
				}
				pr.update(done, total, "")
				last = [2]int{done, total}
			}
			r, err := bench.Retrieval(cmd.Context(), u, items, o)
			if pr != nil {
				pr.finish(last[0], last[1], "")
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSONLine(out, r)
			}
			fmt.Fprintf(out, "%s: %d items, %d held-back queries, P@%d; stage 1 at step %d; %.0f s\n", st.Path(), r.Items, r.Queries, r.K, r.Stage1Step, r.Seconds)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "negatives\tattributes P@%d\tcontent P@%d\tfinal loss\ttrain s\t\n", r.K, r.K)
			for _, row := range r.Rows {
				fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.4f\t%.0f\t\n", row.Setting, row.AttrP10, row.ContentP10, row.Loss, row.TrainSeconds)
			}
			tw.Flush()
			holds := "holds"
			if !r.OrderHolds {
				holds = "does NOT hold"
			}
			fmt.Fprintf(out, "paper's ordering (all >= hard > easy ~ medium > random) %s: %s\n", holds, r.OrderDetail)
			if c := r.Unlabelled; c != nil {
				fmt.Fprintf(out, "unlabelled ingestion: attribute P@%d of neighbours from the labelled half %.3f, from the unlabelled half %.3f (diff %+.3f, within 0.02: %v)\n",
					r.K, c.LabelledAttrP10, c.UnlabelledAttrP10, c.Diff, c.Within002)
			}
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&content, "content", "", "non-domain attributes file (list_attr format), e.g. list_content.txt")
	f.StringVar(&settings, "settings", "", "negatives settings, ';'-separated (default easy;medium;hard;hardest;all)")
	f.IntVar(&o.Steps, "steps", 1500, "embedder training steps per setting")
	f.IntVar(&o.Pool, "pool", 2048, "triplets made with stage 1")
	f.IntVar(&o.Batch, "batch", 32, "triplets per step")
	f.IntVar(&o.Dim, "dim", 100, "embedding dimensions")
	f.IntVar(&o.Queries, "queries", 0, "held-back queries (0: all)")
	f.IntVar(&o.K, "k", 10, "neighbours per query")
	f.Uint64Var(&o.Seed, "seed", 1, "seed")
	f.BoolVar(&o.Unlabelled, "unlabelled", false, "also run the unlabelled-ingestion check")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

// retrievalItems loads the labelled items with their non-domain attributes
// (from the content file, else the items' other labels) and returns the
// content attribute names.
func retrievalItems(st *storage.Store, u *generator.UNIT, contentFile string) ([]bench.RetrievalItem, []string, error) {
	s := u.Config.Schema
	d, err := generator.LoadDataset(st, s, u.Config.Arch.Size, 0)
	if err != nil {
		return nil, nil, err
	}
	var table *ingest.LabelTable
	var attrs []string
	if contentFile != "" {
		if table, err = ingest.LoadLabels(contentFile); err != nil {
			return nil, nil, err
		}
		attrs = table.Attrs
	} else {
		stats, err := st.Stats()
		if err != nil {
			return nil, nil, err
		}
		for a := range stats.Attributes {
			if s.Index(a) < 0 {
				attrs = append(attrs, a)
			}
		}
		slices.Sort(attrs)
		if len(attrs) == 0 {
			return nil, nil, fmt.Errorf("%s has no labels outside the model's attributes: pass --content", st.Path())
		}
	}
	items := make([]bench.RetrievalItem, len(d.IDs))
	for i, id := range d.IDs {
		var labels storage.Labels
		if table != nil {
			key, ok := table.Match(d.Names[i], d.Names[i])
			if !ok {
				return nil, nil, fmt.Errorf("%s has no row for %s", contentFile, d.Names[i])
			}
			labels, _ = table.Row(key)
		} else {
			it, err := st.Get(id)
			if err != nil {
				return nil, nil, err
			}
			labels = it.Labels
		}
		c := make([]int8, len(attrs))
		for j, a := range attrs {
			c[j] = labels[a]
		}
		items[i] = bench.RetrievalItem{ID: id, X: d.X[i], Labels: d.Labels[i], Content: c}
	}
	return items, attrs, nil
}
