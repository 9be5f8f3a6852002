package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
	"rgunit/internal/loop"
	"rgunit/split"
)

func newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "train", Short: "Train rgunit's models on a database"}
	cmd.AddCommand(newTrainUnitCmd(), newTrainClassifierCmd(), newTrainRetrievalCmd(), newTrainRGCmd())
	return cmd
}

// trainFlags are the flags the resumable trainings share.
type trainFlags struct {
	db                  cmdutil.DB
	steps, every        int
	fresh, quiet, jsonl bool
	labelled            float64
}

func (t *trainFlags) register(cmd *cobra.Command, steps int, what string) {
	t.db.Register(cmd)
	f := cmd.Flags()
	f.IntVar(&t.steps, "steps", steps, "train until the model has taken this many steps")
	f.IntVar(&t.every, "checkpoint-every", loop.DefaultCheckpointEvery, "steps between checkpoints")
	f.BoolVar(&t.fresh, "fresh", false, "ignore existing "+what+" checkpoints and start over")
	f.BoolVarP(&t.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&t.jsonl, "json", false, "print the losses as JSON at each checkpoint (means over the steps since the previous line) and at the end")
	f.Float64Var(&t.labelled, "labelled", split.All, "train on this fraction of the labelled items, chosen by a hash of the id (the rest count as unlabelled)")
}

// open checks the flags and opens the database for writing, with the
// library's training options.
func (t *trainFlags) open(cmd *cobra.Command) (*rgunit.DB, rgunit.TrainOptions, error) {
	if err := split.CheckFraction(t.labelled); err != nil {
		return nil, rgunit.TrainOptions{}, fmt.Errorf("--labelled %v: want a fraction in (0, 1]", t.labelled)
	}
	db, err := t.db.Open(cmdutil.Existing)
	if err != nil {
		return nil, rgunit.TrainOptions{}, err
	}
	return db, rgunit.TrainOptions{
		Steps: t.steps, CheckpointEvery: t.every, Fresh: t.fresh, Labelled: t.labelled,
		Given: cmd.Flags().Changed, Log: cmd.ErrOrStderr(),
	}, nil
}

// interrupted is the error of a training stopped by Ctrl-C.
func interrupted(err error, step int) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w at step %d (checkpoint saved); run the same command again to resume", errInterrupted, step)
	}
	return err
}

// recipeFlags are --recipe and --without: the training recipe of a new
// model (docs/recipe.md).
type recipeFlags struct {
	name    string
	without []string
}

func (r *recipeFlags) register(cmd *cobra.Command) {
	var parts []string
	for _, p := range generator.RecipeParts {
		parts = append(parts, p.Name)
	}
	cmd.Flags().StringVar(&r.name, "recipe", generator.RecipeDefault, "training recipe: default, or first (the paper's GMM-UNIT, as rgunit first trained it)")
	cmd.Flags().StringSliceVar(&r.without, "without", nil, "leave these parts out of the default recipe (an ablation): "+strings.Join(parts, ", "))
}
