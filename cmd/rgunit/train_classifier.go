package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

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
