package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
)

type translateOptions struct {
	db            cmdutil.DB
	targets       []string
	out, codes    string
	samples       int
	seed          uint64
	asJSON, quiet bool
	allowPartial  bool
	o             rgunit.TranslatorOptions
}

func newTranslateCmd() *cobra.Command {
	o := &translateOptions{}
	cmd := &cobra.Command{
		Use:   "translate IMG|id:N|DIR",
		Short: "Translate images to target attributes, guided by retrieved neighbours",
		Long: `Translates IMG (an image file, id:N for a stored item, or a folder of images) to
the attributes of each --to: a comma-separated list where a name sets the
attribute and -name clears it (Blond_Hair,Young,-Male); attributes not named
keep IMG's values (its known labels for a stored item, else what the
attribute encoder reads). Hair colours stay one-hot.

By default RG-UNIT translates: the k items the retrieval index returns for
(IMG, target) guide the generator (a stored item is never its own
neighbour; a database with fewer than k other items uses those it has and
says so). --no-retrieval runs the GMM-UNIT baseline.

The attribute code decoded keeps IMG's own code (from the attribute
encoder) for the attributes it keeps, and takes the neighbours' codes for
the changed ones (without neighbours: the model's per-domain code
statistics): codes the generator was trained on. --codes prior uses the
paper's codes instead (the means of the targets' prior Gaussians). With
--samples N, N codes are drawn around that (diverse outputs).

Writes into --out: each output as NAME_to_TARGET_i.png and a sheet,
NAME_sheet.png, with one row per target: the input, the neighbours used, the
outputs. A folder is translated image by image with a progress bar.`,
		Example: `  rgunit translate face.png --to Blond_Hair --to -Young --db faces.db --out out/
  rgunit translate id:42 --to Black_Hair,-Male --samples 4 --json --db faces.db
  rgunit translate photos/ --to Young --out photos-young/ --db faces.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *translateOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.targets, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVarP(&o.out, "out", "o", "translations", "output folder")
	f.IntVar(&o.samples, "samples", 1, "codes drawn around the target code (1: the code itself)")
	f.StringVar(&o.codes, "codes", "encoder", "attribute codes: encoder (the source's and the neighbours' encoder codes), prior (the paper's: the targets' Gaussians) or mixed (the source's for kept attributes, the prior for changed ones)")
	f.IntVarP(&o.o.K, "k", "k", 0, "neighbours used (default: the model's k)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the sampled codes")
	f.BoolVar(&o.o.NoRetrieval, "no-retrieval", false, "translate with GMM-UNIT alone (the baseline)")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, guide with the neighbours it finds instead of failing")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per input and target: outputs and neighbour ids")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
}

// check refuses bad flags before anything is opened.
func (o *translateOptions) check(cmd *cobra.Command) error {
	var err error
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

func (o *translateOptions) run(cmd *cobra.Command, arg string) error {
	if err := o.check(cmd); err != nil {
		return err
	}
	inputs, err := rgunit.ImageFiles(arg)
	if err != nil {
		return err
	}
	// Read-only: translations run side by side.
	db, err := o.db.Open(rgunit.Options{ReadOnly: true, AllowPartial: o.allowPartial})
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.Translator(o.o)
	if err != nil {
		return err
	}
	if idx := t.Index(); idx != nil {
		cmdutil.Warn(cmd, db.IndexWarning())
		if err := t.CheckTargets(o.targets...); err != nil {
			return err
		}
	}
	pr := cmdutil.NewProgress(cmd.ErrOrStderr(), len(inputs), "translate", "img", o.quiet || len(inputs) == 1)
	failed := 0
	name := rgunit.OutputNamer()
	warned := false
	for i, in := range inputs {
		src, err := t.Load(in)
		if err == nil && !warned && src.ID == 0 { // a stored item was checked when it was ingested
			c, _ := db.CheckSourceDomain(src)
			warned = c.Warning() != ""
			cmdutil.Warn(cmd, c.Warning())
		}
		if err == nil {
			_, err = o.translateOne(cmd, t, src, name(src.Name), rand.New(rand.NewPCG(o.seed, uint64(i))), len(inputs) == 1)
		}
		if err != nil {
			if len(inputs) == 1 {
				return err
			}
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in, err)
			continue
		}
		pr.Update(i+1, len(inputs), "")
	}
	pr.Finish(len(inputs), len(inputs), "")
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be translated", failed, len(inputs))
	}
	return nil
}

// translateOne translates src to every target, writes the outputs and the
// sheet into --out as name_*, and prints what it did.
func (o *translateOptions) translateOne(cmd *cobra.Command, t *rgunit.Translator, src *rgunit.Source, name string, rng *rand.Rand, single bool) (sheet string, err error) {
	var trs []*rgunit.Translation
	for _, spec := range o.targets {
		tr, err := t.Translate(src, spec, o.samples, rng)
		if err != nil {
			return "", err
		}
		trs = append(trs, tr)
	}
	recs, sheet, err := t.WriteFiles(o.out, name, trs)
	if err != nil {
		return "", err
	}
	w := cmd.OutOrStdout()
	for _, r := range recs {
		if o.asJSON {
			err = cmdutil.WriteJSONLine(w, r)
		} else {
			err = r.WriteText(w)
		}
		if err != nil {
			return "", err
		}
	}
	if !o.asJSON && single {
		fmt.Fprintf(w, "sheet: %s\n", sheet)
	}
	return sheet, nil
}
