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

func newTrainRGCmd() *cobra.Command {
	o := &trainRGOptions{}
	o.o.Config = generator.RGConfig{K: generator.DefaultK, Batch: 8, Seed: 1}
	cmd := &cobra.Command{
		Use:   "rg",
		Short: "Train stage 3 (RG-UNIT: the generator guided by retrieved neighbours) on the labelled items",
		Long: `Trains the retrieval-guided generator: for each labelled image and a target,
the k items the retrieval index returns for (image, target) (never the image
itself) are encoded by the frozen content encoder, fused by convolutions and
concatenated with the image's content, and decoded. E_c, E_a, the decoder's
code MLP and the retrieval embedder stay frozen, so the index stays valid; the
decoder (initialized from stage 1), the fusion convs and the discriminator
train with the stage-1 losses. Needs a retrieval model and its index (rgunit
train retrieval). Checkpoints go into the database as versions of the model
"rg-unit"; running the command again resumes, unless the retrieval model
changed since (then it starts over, since the old model fits the old index
only) or --fresh is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *trainRGOptions) addFlags(cmd *cobra.Command) {
	o.trainFlags.register(cmd, 3000, "rg-unit")
	o.recipe.register(cmd)
	c := &o.o.Config
	f := cmd.Flags()
	f.IntVarP(&c.K, "k", "k", c.K, "neighbours retrieved and fused per image")
	f.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	f.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the new weights, batches and noise")
}

func (o *trainRGOptions) run(cmd *cobra.Command) error {
	db, topts, err := o.open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	run := newGANRun(cmd, "train rg", o.steps, o.every, o.quiet, o.jsonl, false)
	o.o.TrainOptions, o.o.Recipe, o.o.Without, o.o.OnStep = topts, o.recipe.name, o.recipe.without, run.onStep
	res, err := db.TrainRG(cmd.Context(), o.o)
	return run.finish(err, res, "rg-unit ")
}
