package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type trainClassifierOptions struct {
	db            cmdutil.DB
	attrs         string
	quiet, asJSON bool
	o             rgunit.ClassifierOptions
}

func newTrainClassifierCmd() *cobra.Command {
	o := &trainClassifierOptions{}
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Train the evaluation classifier on real labelled images (one id in ten held back, by a hash)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *trainClassifierOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	f := cmd.Flags()
	f.IntVar(&o.o.Steps, "steps", 1500, "training steps")
	f.IntVar(&o.o.Batch, "batch", 32, "batch size")
	f.IntVar(&o.o.Size, "size", 0, "image size: 32 or 64 (default: the stage-1 model's, else 32)")
	f.IntVar(&o.o.Width, "width", 16, "channels of the first layer")
	f.StringVar(&o.attrs, "attrs", "", "attributes (default: the stage-1 model's, else as train unit)")
	f.Uint64Var(&o.o.Seed, "seed", 1, "seed")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
}

func (o *trainClassifierOptions) run(cmd *cobra.Command) error {
	if o.o.Steps < 1 || o.o.Batch < 1 { // before opening: 0 is the library's default
		return fmt.Errorf("--steps %d, --batch %d: want at least 1 of each (an untrained classifier would score nothing)", o.o.Steps, o.o.Batch)
	}
	db, err := o.db.Open(cmdutil.Existing)
	if err != nil {
		return err
	}
	defer db.Close()
	if o.attrs != "" {
		o.o.Attrs = strings.Split(o.attrs, ",")
	}
	pr := cmdutil.NewProgress(cmd.ErrOrStderr(), o.o.Steps, "train classifier", "steps", o.quiet)
	o.o.OnStep = func(step int, loss float64) { pr.Update(step, o.o.Steps, fmt.Sprintf(" | loss %.4f", loss)) }
	res, err := db.TrainClassifier(cmd.Context(), o.o)
	pr.Finish(o.o.Steps, o.o.Steps, "")
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "classifier version %d: held-back accuracy %.4f on %d images (trained on %d)\n", res.Version, res.Accuracy, res.HeldOut, res.TrainImages)
	for i, a := range res.Attributes {
		fmt.Fprintf(cmd.OutOrStdout(), "  %-12s %.4f\n", a, res.PerAttribute[i])
	}
	return nil
}
