package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
)

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
	f.IntVar(&o.o.Limit, "limit", 0, "train on at most this many labelled items (0: all)")
	f.StringVar(&o.init, "init", "", "start a new model from a bundle's stage-1 weights (default, or a bundle file): a 32 px model starts a 64 px one")
}

func (o *trainUnitOptions) run(cmd *cobra.Command, _ []string) error {
	if o.init != "" {
		b, err := rgunit.Bundle(o.init)
		if err != nil {
			return fmt.Errorf("--init: %w", err)
		}
		o.o.WarmStart = b
	}
	db, topts, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	run := o.newGANRun(cmd, "train unit", true)
	o.o.TrainOptions, o.o.Recipe, o.o.Without = topts, o.recipe.name, o.recipe.without
	o.o.OnStep = func(l generator.Losses) { run.Step(l.Step, l) }
	o.o.OnCheckpoint = run.Checkpoint
	res, err := db.TrainUnit(cmd.Context(), o.o)
	return endGAN(run, err, res, "")
}
