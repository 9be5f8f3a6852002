package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
)

type translateOptions struct {
	cmdutil.DB
	targets                     []string
	out, codes                  string
	samples                     int
	seed                        uint64
	asJSON, quiet, allowPartial bool
	o                           rgunit.TranslatorOptions
	warning                     cmdutil.DomainWarning
}

func (o *translateOptions) addFlags(cmd *cobra.Command) {
	cmdutil.QuietFlag(cmd, &o.quiet)
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per input and target: outputs and neighbour ids")
	f := cmd.Flags()
	f.StringArrayVar(&o.targets, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVarP(&o.out, "out", "o", "translations", "output folder")
	f.IntVar(&o.samples, "samples", 1, "codes drawn around the target code (1: the code itself)")
	f.StringVar(&o.codes, "codes", "encoder", "attribute codes: encoder (the source's and the neighbours' encoder codes), prior (the paper's: the targets' Gaussians) or mixed (the source's for kept attributes, the prior for changed ones)")
	f.IntVarP(&o.o.K, "k", "k", 0, "neighbours used (default: the model's k)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the sampled codes")
	f.BoolVar(&o.o.NoRetrieval, "no-retrieval", false, "translate with GMM-UNIT alone (the baseline)")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, guide with the neighbours it finds instead of failing")
}

// check refuses bad flags before anything is opened.
func (o *translateOptions) check(cmd *cobra.Command) (err error) {
	switch {
	case len(o.targets) == 0:
		return fmt.Errorf("--to is required")
	case o.samples < 1 || o.samples > 64:
		return fmt.Errorf("--samples %d: want 1 to 64", o.samples)
	case cmd.Flags().Changed("k") && o.o.NoRetrieval:
		return fmt.Errorf("-k has no use with --no-retrieval")
	case o.o.K < 0:
		return fmt.Errorf("-k %d: want a positive count", o.o.K)
	}
	o.o.Codes, err = generator.ParseCodeMode(o.codes)
	return err
}

func (o *translateOptions) run(cmd *cobra.Command, args []string) error {
	if err := o.check(cmd); err != nil {
		return err
	}
	inputs, err := rgunit.ImageFiles(args[0])
	if err != nil {
		return err
	}
	// Read-only: translations run side by side.
	return o.With(rgunit.Options{ReadOnly: true, AllowPartial: o.allowPartial}, func(db *rgunit.DB) error {
		t, err := db.Translator(o.o)
		if err != nil {
			return err
		}
		if t.Index() != nil {
			cmdutil.Warn(cmd, db.IndexWarning())
			if err := t.CheckTargets(o.targets...); err != nil {
				return err
			}
		}
		one := len(inputs) == 1
		pr, done, failed, last := cmdutil.NewPhase(cmd, "translate", "img", o.quiet || one), 0, 0, error(nil)
		_, err = t.TranslateEach(cmd.Context(), inputs, o.targets, o.samples, o.seed, o.out, func(r rgunit.FileResult) {
			if r.Err == nil {
				r.Err = o.print(cmd, db, r, one)
			}
			if done = r.I + 1; r.Err != nil {
				failed, last = failed+1, r.Err
				if !one {
					fmt.Fprintln(cmd.ErrOrStderr(), r.Err) // it names the input
				}
			}
			pr.Steps(done, len(inputs))
		})
		switch pr.Finish(); {
		case err != nil: // Ctrl-C between two inputs
			return fmt.Errorf("%w after %d of %d inputs (their outputs are written)", cmdutil.ErrInterrupted, done, len(inputs))
		case one || failed == 0:
			return last
		}
		return fmt.Errorf("%d of %d inputs could not be translated", failed, len(inputs))
	})
}

// print prints an input's translations (and its sheet's path, when it is
// the only input), after a warning if it is far from the model's images.
func (o *translateOptions) print(cmd *cobra.Command, db *rgunit.DB, r rgunit.FileResult, single bool) error {
	o.warning.Check(cmd, db, r.Source)
	if err := cmdutil.PrintAll(cmd, o.asJSON, r.Records); err != nil || !single || o.asJSON {
		return err
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "sheet: %s\n", r.Sheet)
	return err
}
