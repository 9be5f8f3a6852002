package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
)

type trainRetrievalOptions struct {
	trainFlags
	o rgunit.RetrievalOptions
}

func (o *trainRetrievalOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 2000, "retrieval")
	o.o.Config = retrieval.DefaultConfig()
	c, f := &o.o.Config, cmd.Flags()
	f.StringVar(&c.Negatives, "negatives", c.Negatives, "negatives: easy, medium, hard, hardest or all (or a comma list)")
	f.IntVar(&c.Pool, "pool", c.Pool, "triplets made with stage 1 before training")
	f.IntVar(&c.Batch, "batch", c.Batch, "triplets per step")
	f.IntVar(&c.Dim, "dim", c.Dim, "embedding dimensions")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the weights, triplets and batches")
}

func (o *trainRetrievalOptions) run(cmd *cobra.Command, _ []string) error {
	db, topts, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	pool := cmdutil.NewPhase(cmd, "triplets", "triplets", o.quiet)
	run := cmdutil.NewRun[retrieval.Losses](cmd, "train retrieval", o.steps, o.every, o.quiet, o.jsonl,
		func(l retrieval.Losses) string { return fmt.Sprintf(" | loss %.4f", l.Loss) })
	o.o.TrainOptions, o.o.OnPool = topts, pool.Until
	o.o.OnStep = func(l retrieval.Losses) { run.Step(l.Step, l) }
	res, err := db.TrainRetrieval(cmd.Context(), o.o)
	pool.Finish()
	if err := run.Finish(err, res.Step, res.Last); err != nil {
		return err
	}
	line := fmt.Sprintf("retrieval version %d trained to step %d | loss %.4f %v", res.Version, res.Step, res.Last.Loss, res.Last.PerKind)
	if err := run.End(res.Last, line); err != nil {
		return err
	}
	return syncIndex(cmd, db, false, o.quiet)
}
