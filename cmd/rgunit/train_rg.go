package main

import (
	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
)

type trainRGOptions struct {
	trainFlags
	recipe recipeFlags
	o      rgunit.RGOptions
}

func (o *trainRGOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 3000, "rg-unit")
	o.recipe.register(cmd)
	o.o.Config = generator.DefaultRGConfig()
	c, f := &o.o.Config, cmd.Flags()
	f.IntVarP(&c.K, "k", "k", c.K, "neighbours retrieved and fused per image")
	f.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the new weights, batches and noise")
}

func (o *trainRGOptions) run(cmd *cobra.Command, _ []string) error {
	db, topts, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	run := o.newGANRun(cmd, "train rg", false)
	o.o.TrainOptions, o.o.Recipe, o.o.Without = topts, o.recipe.name, o.recipe.without
	o.o.OnStep = func(l generator.Losses) { run.Step(l.Step, l) }
	res, err := db.TrainRG(cmd.Context(), o.o)
	return endGAN(run, err, res, "rg-unit ")
}
