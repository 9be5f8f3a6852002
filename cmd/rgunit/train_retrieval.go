package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/embed"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
)

type trainRetrievalOptions struct {
	trainFlags
	o rgunit.RetrievalOptions
}

func newTrainRetrievalCmd() *cobra.Command {
	o := &trainRetrievalOptions{}
	o.o.Config = retrieval.Config{Seed: 1}
	cmd := &cobra.Command{
		Use:   "retrieval",
		Short: "Train stage 2 (the triplet-trained retrieval embedder) and index every item",
		Long: `Trains the retrieval embedder on triplets made with the frozen stage-1 model
(the latest "gmm-unit" checkpoint, copied into the retrieval model): the
anchor is an image's content with a code sampled for a target that flips one
of its attributes; the positive is its translation, re-encoded; the negatives
are easy (a random real image), medium (another image translated to the
target), hard (the image translated to another domain) and hardest (the image
reconstructed in its own domain). --pool triplets are made once, then the
embedder trains on them (one item in ten, chosen by a hash of its id, is held
back for the benches).
Checkpoints go into the database as versions of the model "retrieval"; the
command resumes from the latest (--fresh starts over). When training ends,
every item, labelled or not, is embedded and indexed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *trainRetrievalOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 2000, "retrieval")
	c := &o.o.Config
	f := cmd.Flags()
	f.StringVar(&c.Negatives, "negatives", "all", "negatives: easy, medium, hard, hardest or all (or a comma list)")
	f.IntVar(&c.Pool, "pool", 2048, "triplets made with stage 1 before training")
	f.IntVar(&c.Batch, "batch", 32, "triplets per step")
	f.IntVar(&c.Dim, "dim", embed.DefaultEmbedDim, "embedding dimensions")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the weights, triplets and batches")
}

func (o *trainRetrievalOptions) run(cmd *cobra.Command) error {
	db, topts, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	errw, out := cmd.ErrOrStderr(), cmd.OutOrStdout()
	var pool, pr *cmdutil.Progress
	var window retrieval.Losses
	var n int
	o.o.TrainOptions = topts
	o.o.OnPool = func(done, total int) {
		if pool == nil {
			pool = cmdutil.NewProgress(errw, total, "triplets", "triplets", o.quiet)
		}
		pool.Update(done, total, "")
		if done == total {
			pool.Finish(done, total, "")
		}
	}
	o.o.OnStep = func(l retrieval.Losses) {
		if pr == nil {
			pr = cmdutil.NewProgress(errw, o.steps, "train retrieval", "steps", o.quiet)
			pr.Resume(l.Step - 1)
		}
		pr.Update(l.Step, o.steps, fmt.Sprintf(" | loss %.4f", l.Loss))
		window.Loss += l.Loss
		window.Seconds += l.Seconds
		n++
		if o.jsonl && l.Step%o.every == 0 {
			window.Step, window.Loss, window.Seconds = l.Step, window.Loss/float64(n), window.Seconds/float64(n)
			cmdutil.WriteJSONLine(out, window)
			window, n = retrieval.Losses{}, 0
		}
	}
	res, err := db.TrainRetrieval(cmd.Context(), o.o)
	if pr != nil {
		pr.Finish(res.Step, o.steps, fmt.Sprintf(" | loss %.4f", res.Last.Loss))
	}
	if err != nil {
		return interrupted(err, res.Step)
	}
	if o.jsonl {
		cmdutil.WriteJSONLine(out, res.Last)
	} else {
		fmt.Fprintf(out, "retrieval version %d trained to step %d | loss %.4f %v\n", res.Version, res.Step, res.Last.Loss, res.Last.PerKind)
	}
	return syncIndex(cmd, db, false, o.quiet)
}
