package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
	"rgunit/internal/loop"
	"rgunit/split"
)

// trainFlags are the flags the resumable trainings share.
type trainFlags struct {
	cmdutil.DB
	steps, every        int
	fresh, quiet, jsonl bool
	labelled            float64
}

func (t *trainFlags) register(cmd *cobra.Command, steps int, what string) {
	cmdutil.QuietFlag(cmd, &t.quiet)
	cmdutil.JSONFlag(cmd, &t.jsonl, "print the losses as JSON at each checkpoint (means over the steps since the previous line) and at the end")
	f := cmd.Flags()
	f.IntVar(&t.steps, "steps", steps, "train until the model has taken this many steps")
	f.IntVar(&t.every, "checkpoint-every", loop.DefaultCheckpointEvery, "steps between checkpoints")
	f.BoolVar(&t.fresh, "fresh", false, "ignore existing "+what+" checkpoints and start over")
	f.Float64Var(&t.labelled, "labelled", split.All, "train on this fraction of the labelled items, chosen by a hash of the id (the rest count as unlabelled)")
}

// open checks the flags and opens the database for writing, with the
// library's training options.
func (t *trainFlags) open(cmd *cobra.Command) (*rgunit.DB, rgunit.TrainOptions, error) {
	if err := split.CheckFraction(t.labelled); err != nil {
		return nil, rgunit.TrainOptions{}, fmt.Errorf("--labelled %v: want a fraction in (0, 1]", t.labelled)
	}
	db, err := t.Open(cmdutil.Existing)
	return db, rgunit.TrainOptions{Steps: t.steps, CheckpointEvery: t.every, Fresh: t.fresh, Labelled: t.labelled,
		Given: cmd.Flags().Changed, Log: cmd.ErrOrStderr()}, err
}

// ganRun is the display of a GAN training (stage 1 or 3).
type ganRun = cmdutil.Run[generator.Losses, *generator.Losses]

// newGANRun returns the display of a GAN training; kl shows the KL loss
// (stage 1).
func (t *trainFlags) newGANRun(cmd *cobra.Command, label string, kl bool) *ganRun {
	return cmdutil.NewRun[generator.Losses](cmd, label, t.steps, t.every, t.quiet, t.jsonl,
		func(l generator.Losses) string { return l.Summary(kl) })
}

// endGAN closes a GAN training's display and says how it ended (what
// prefixes the closing line).
func endGAN(run *ganRun, err error, res rgunit.UnitResult, what string) error {
	if err := run.Finish(err, res.Step, res.Last); err != nil || !run.Ran() {
		return err
	}
	return run.End(res.Last, fmt.Sprintf("%strained to step %d%s", what, res.Step, run.Summary(res.Last, res.Step)))
}

// recipeFlags are --recipe and --without: the training recipe of a new
// model (docs/recipe.md).
type recipeFlags struct {
	name    string
	without []string
}

func (r *recipeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.name, "recipe", generator.RecipeDefault, "training recipe: default, or first (the paper's GMM-UNIT, as rgunit first trained it)")
	cmd.Flags().StringSliceVar(&r.without, "without", nil, "leave these parts out of the default recipe (an ablation): "+strings.Join(generator.RecipePartNames(), ", "))
}
