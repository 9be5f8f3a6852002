package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/generator"
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
			items, attrs, err := bench.RetrievalItems(st, u, content)
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
			return r.WriteText(out, st.Path())
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
