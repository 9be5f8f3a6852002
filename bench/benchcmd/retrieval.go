package benchcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
)

type benchRetrievalOptions struct {
	db                cmdutil.DB
	content, settings string
	asJSON, quiet     bool
	o                 bench.RetrievalOptions
}

func newBenchRetrievalCmd() *cobra.Command {
	o := &benchRetrievalOptions{}
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
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f, d := cmd.Flags(), retrieval.DefaultConfig()
	f.StringVar(&o.content, "content", "", "non-domain attributes file (list_attr format), e.g. list_content.txt")
	f.StringVar(&o.settings, "settings", "", "negatives settings, ';'-separated (default easy;medium;hard;hardest;all)")
	f.IntVar(&o.o.Steps, "steps", 1500, "embedder training steps per setting")
	f.IntVar(&o.o.Pool, "pool", d.Pool, "triplets made with stage 1")
	f.IntVar(&o.o.Batch, "batch", d.Batch, "triplets per step")
	f.IntVar(&o.o.Dim, "dim", d.Dim, "embedding dimensions")
	f.IntVar(&o.o.Queries, "queries", 0, "held-back queries (0: all)")
	f.IntVar(&o.o.K, "k", 10, "neighbours per query")
	f.Uint64Var(&o.o.Seed, "seed", 1, "seed")
	f.BoolVar(&o.o.Unlabelled, "unlabelled", false, "also run the unlabelled-ingestion check")
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the result as JSON")
	cmdutil.QuietFlag(cmd, &o.quiet)
	return cmd
}

func (o *benchRetrievalOptions) run(cmd *cobra.Command) error {
	st, err := o.db.Store(false)
	if err != nil {
		return err
	}
	defer st.Close()
	u, _, err := generator.LoadLatest(st)
	if err != nil {
		return fmt.Errorf("no GMM-UNIT model (rgunit train unit): %w", err)
	}
	if o.settings != "" {
		o.o.Settings = strings.Split(o.settings, ";")
	}
	items, attrs, err := bench.RetrievalItems(st, u, o.content)
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	if !o.quiet {
		fmt.Fprintf(errw, "%d labelled items; content attributes: %d (%s...)\n", len(items), len(attrs), strings.Join(attrs[:min(4, len(attrs))], ","))
	}
	var pr *cmdutil.Progress
	stage, last := "", [2]int{}
	o.o.OnProgress = func(s string, done, total int) {
		if s != stage {
			if pr != nil {
				pr.Finish(last[0], last[1], "")
			}
			pr, stage = cmdutil.NewProgress(errw, total, s, "", o.quiet), s
		}
		pr.Update(done, total, "")
		last = [2]int{done, total}
	}
	r, err := bench.Retrieval(cmd.Context(), u, items, o.o)
	if pr != nil {
		pr.Finish(last[0], last[1], "")
	}
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), r)
	}
	return r.WriteText(cmd.OutOrStdout(), st.Path())
}
