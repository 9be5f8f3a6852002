package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/internal/cmdutil"
	"rgunit/internal/loop"
	"rgunit/retrieval"
	"rgunit/split"
)

// rgunit train: stage 1 (unit), stage 2 (retrieval), stage 3 (rg) and the
// evaluation classifier. The subcommands share this file and the flags
// of the resumable trainings.

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

// update checks the flags and runs train on the database opened for
// writing, with the library's training options.
func (t *trainFlags) update(cmd *cobra.Command, train func(*rgunit.DB, rgunit.TrainOptions) error) error {
	switch {
	case split.CheckFraction(t.labelled) != nil:
		return fmt.Errorf("--labelled %v: want a fraction in (0, 1]", t.labelled)
	case t.steps < 1 || t.every < 1:
		return fmt.Errorf("--steps %d, --checkpoint-every %d: want at least 1 of each", t.steps, t.every)
	}
	return t.Update(func(db *rgunit.DB) error {
		return train(db, rgunit.TrainOptions{Steps: t.steps, CheckpointEvery: t.every, Fresh: t.fresh, Labelled: t.labelled,
			Given: cmd.Flags().Changed, Log: cmd.ErrOrStderr()})
	})
}

// partsFlag is --parts of the GAN trainings.
func partsFlag(cmd *cobra.Command, parts *int) {
	cmd.Flags().IntVar(parts, "parts", 0, "split each step's batch into this many parts, one graph per core, run at once (0: one per core); it changes the speed and the rounding, not the model: give it to repeat a run bit for bit on a machine with other cores")
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

type trainUnitOptions struct {
	trainFlags
	recipe recipeFlags
	init   string
	o      rgunit.UnitOptions
}

func (o *trainUnitOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 20000, "gmm-unit")
	o.recipe.register(cmd)
	o.o.Config = generator.DefaultConfig()
	c, f := &o.o.Config, cmd.Flags()
	f.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	f.IntVar(&c.Arch.Size, "size", c.Arch.Size, "image size: 32 or 64")
	f.IntVar(&c.Arch.Width, "width", c.Arch.Width, "channels of the first layer")
	f.IntVar(&c.Arch.ResBlocks, "res-blocks", c.Arch.ResBlocks, "residual blocks in E_c and G")
	f.StringSliceVar(&o.o.Attrs, "attrs", nil, "attributes, comma-separated (default: every attribute labelled with both values, up to 8)")
	f.IntVar(&c.Schema.Dim, "attr-dim", c.Schema.Dim, "code dimensions per attribute")
	f.IntVar(&c.Schema.Free, "free-dims", 0, "code dimensions no attribute owns (free style; tried and left out of the default recipe: docs/recipe.md)")
	f.IntVar(&c.Arch.OutKernel, "out-kernel", 0, "side of the decoder's conv to RGB (0: 7; 3 was tried and left out: docs/recipe.md)")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the weights, batches and noise")
	partsFlag(cmd, &c.Parts)
	f.IntVar(&o.o.Limit, "limit", 0, "train on at most this many labelled items (0: all)")
	f.StringVar(&o.init, "init", "", "start a new model from a bundle's stage-1 weights (default, or a bundle file): a 32 px model starts a 64 px one")
}

func (o *trainUnitOptions) run(cmd *cobra.Command, _ []string) error {
	if o.o.Limit < 0 {
		return fmt.Errorf("--limit %d: want a count (0: all)", o.o.Limit)
	}
	if o.init != "" {
		b, err := rgunit.Bundle(o.init)
		if err != nil {
			return fmt.Errorf("--init: %w", err)
		}
		o.o.WarmStart = b
	}
	return o.update(cmd, func(db *rgunit.DB, topts rgunit.TrainOptions) error {
		run := o.newGANRun(cmd, "train unit", true)
		o.o.TrainOptions, o.o.Recipe, o.o.Without = topts, o.recipe.name, o.recipe.without
		o.o.OnStep = func(l generator.Losses) { run.Step(l.Step, l) }
		o.o.OnCheckpoint = run.Checkpoint
		res, err := db.TrainUnit(cmd.Context(), o.o)
		return endGAN(run, err, res, "")
	})
}

type trainRGOptions struct {
	trainFlags
	recipe recipeFlags
	o      rgunit.RGOptions
}

func (o *trainRGOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 3000, "rg-unit")
	o.recipe.register(cmd)
	o.o.Config = rg.DefaultConfig()
	c, f := &o.o.Config, cmd.Flags()
	f.IntVarP(&c.K, "k", "k", c.K, "neighbours retrieved and fused per image")
	f.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the new weights, batches and noise")
	partsFlag(cmd, &c.Parts)
}

func (o *trainRGOptions) run(cmd *cobra.Command, _ []string) error {
	return o.update(cmd, func(db *rgunit.DB, topts rgunit.TrainOptions) error {
		run := o.newGANRun(cmd, "train rg", false)
		o.o.TrainOptions, o.o.Recipe, o.o.Without = topts, o.recipe.name, o.recipe.without
		o.o.OnStep = func(l generator.Losses) { run.Step(l.Step, l) }
		res, err := db.TrainRG(cmd.Context(), o.o)
		return endGAN(run, err, res, "rg-unit ")
	})
}

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
	return o.update(cmd, func(db *rgunit.DB, topts rgunit.TrainOptions) error {
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
	})
}

type trainClassifierOptions struct {
	cmdutil.DB
	quiet, asJSON bool
	o             rgunit.ClassifierOptions
}

func (o *trainClassifierOptions) addFlags(cmd *cobra.Command) {
	cmdutil.QuietFlag(cmd, &o.quiet)
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the result as JSON")
	f := cmd.Flags()
	f.IntVar(&o.o.Steps, "steps", 1500, "training steps")
	f.IntVar(&o.o.Batch, "batch", 32, "batch size")
	f.IntVar(&o.o.Size, "size", 0, "image size: 32 or 64 (default: the stage-1 model's, else 32)")
	f.IntVar(&o.o.Width, "width", 16, "channels of the first layer")
	f.StringSliceVar(&o.o.Attrs, "attrs", nil, "attributes (default: the stage-1 model's, else as train unit)")
	f.Uint64Var(&o.o.Seed, "seed", 1, "seed")
}

func (o *trainClassifierOptions) run(cmd *cobra.Command, _ []string) error {
	if o.o.Steps < 1 || o.o.Batch < 1 { // before opening: 0 is the library's default
		return fmt.Errorf("--steps %d, --batch %d: want at least 1 of each (an untrained classifier would score nothing)", o.o.Steps, o.o.Batch)
	}
	return o.Update(func(db *rgunit.DB) error {
		pr := cmdutil.NewPhase(cmd, "train classifier", "steps", o.quiet)
		o.o.OnStep = func(step int, loss float64) { pr.Update(step, o.o.Steps, fmt.Sprintf(" | loss %.4f", loss)) }
		res, err := db.TrainClassifier(cmd.Context(), o.o)
		pr.Finish()
		if err != nil {
			return err
		}
		return cmdutil.Print(cmd, o.asJSON, res)
	})
}
