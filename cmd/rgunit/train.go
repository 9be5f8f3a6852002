package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/classifier"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/storage"
)

func newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "train", Short: "Train rgunit's models on a database"}
	cmd.AddCommand(newTrainUnitCmd(), newTrainClassifierCmd(), newTrainRetrievalCmd(), newTrainRGCmd())
	return cmd
}

func newTrainUnitCmd() *cobra.Command {
	var (
		db                  dbFlag
		steps, every, limit int
		attrs               string
		fresh, quiet, jsonl bool
		cfg                 = generator.Config{Arch: embed.DefaultArch, Schema: embed.Schema{Dim: embed.DefaultAttrDim}, Batch: 8, Seed: 1}
		lab                 labelledFlag
		rf                  recipeFlags
	)
	cmd := &cobra.Command{
		Use:   "unit",
		Short: "Train stage 1 (GMM-UNIT: encoders, generator, discriminator) on the labelled items",
		Long: `Trains the content and attribute encoders, the generator and the discriminator
on the database's labelled items (unlabelled ones are skipped), with the
GMM-UNIT losses. Checkpoints (weights, optimizer state, step, configuration)
are stored in the database as versions of the model "gmm-unit"; running the
command again resumes from the latest one (--fresh starts over), and Ctrl-C
checkpoints before it exits. Batches and noise depend only on the seed and the
step, so a resumed run is the same run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			u, ver, err := generator.LoadLatest(st)
			switch {
			case err == nil && !fresh:
				c := u.Config
				l, _ := lab.value()
				arch, sch := cfg.Arch, cfg.Schema
				rc, rerr := rf.recipe(steps, &arch, &sch)
				rc.Steps = c.Recipe.Steps // a resumed run keeps its schedule
				if err := resumeGuard(cmd, fmt.Sprintf("checkpoint version %d", ver), u.Step, map[string]bool{
					"size": cfg.Arch.Size == c.Arch.Size, "width": cfg.Arch.Width == c.Arch.Width, "res-blocks": cfg.Arch.ResBlocks == c.Arch.ResBlocks,
					"attrs": attrs == strings.Join(c.Schema.Attrs, ","), "attr-dim": cfg.Schema.Dim == c.Schema.Dim,
					"free-dims": cfg.Schema.Free == c.Schema.Free, "out-kernel": cfg.Arch.OutKernel == c.Arch.OutKernel,
					"batch": cfg.Batch == c.Batch, "seed": cfg.Seed == c.Seed, "labelled": l == c.Labelled,
					"recipe":  rerr == nil && rc == c.Recipe && arch == c.Arch && sch.Free == c.Schema.Free,
					"without": rerr == nil && rc == c.Recipe && sch.Free == c.Schema.Free,
				}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "resuming from checkpoint version %d at step %d\n", ver, u.Step)
			case err == nil || errors.Is(err, storage.ErrNotFound):
				s, err := chooseSchema(st, attrs)
				if err != nil {
					return err
				}
				cfg.Schema.Attrs = s.Attrs
				if cfg.Labelled, err = lab.value(); err != nil {
					return err
				}
				if cfg.Recipe, err = rf.recipe(steps, &cfg.Arch, &cfg.Schema); err != nil {
					return err
				}
				if u, err = generator.NewUNIT(cfg); err != nil {
					return err
				}
			default:
				return err
			}
			c := u.Config
			d, err := generator.LoadDataset(st, c.Schema, c.Arch.Size, limit)
			if err != nil {
				return err
			}
			if err := keepLabelled(cmd.ErrOrStderr(), d, c.Labelled); err != nil {
				return err
			}
			ec, ea, g, dp := u.Params()
			fmt.Fprintf(cmd.ErrOrStderr(), "%d labelled items (%d skipped: not labelled for every attribute); attributes %s; %d px, batch %d; parameters E_c %d, E_a %d, G %d, D %d\n",
				len(d.X), d.Skipped, strings.Join(c.Schema.Attrs, ","), c.Arch.Size, c.Batch, ec, ea, g, dp)
			if u.Step >= steps {
				fmt.Fprintf(cmd.ErrOrStderr(), "the model has already taken %d steps (--steps %d)\n", u.Step, steps)
				return nil
			}
			run := newGANRun(cmd, "train unit", u.Step, steps, every, quiet, jsonl, true)
			last, err := generator.Train(cmd.Context(), st, u, d, generator.TrainOptions{
				Steps: steps, CheckpointEvery: every, OnStep: run.onStep,
				OnCheckpoint: func(v uint64) {
					if !quiet && run.pr.bar == nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "checkpoint: version %d at step %d\n", v, u.Step)
					}
				},
			})
			return run.finish(err, last, u.Step, "")
		},
	}
	db.register(cmd)
	lab.register(cmd)
	rf.register(cmd)
	f := cmd.Flags()
	f.IntVar(&steps, "steps", 20000, "train until the model has taken this many steps")
	f.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	f.IntVar(&cfg.Arch.Size, "size", cfg.Arch.Size, "image size: 32 or 64")
	f.IntVar(&cfg.Arch.Width, "width", cfg.Arch.Width, "channels of the first layer")
	f.IntVar(&cfg.Arch.ResBlocks, "res-blocks", cfg.Arch.ResBlocks, "residual blocks in E_c and G")
	f.StringVar(&attrs, "attrs", "", "attributes, comma-separated (default: every attribute labelled with both values, up to 8)")
	f.IntVar(&cfg.Schema.Dim, "attr-dim", cfg.Schema.Dim, "code dimensions per attribute")
	f.IntVar(&cfg.Schema.Free, "free-dims", 0, "code dimensions no attribute owns (free style; tried and left out of the default recipe: docs/recipe.md)")
	f.IntVar(&cfg.Arch.OutKernel, "out-kernel", 0, "side of the decoder's conv to RGB (0: 7; 3 was tried and left out: docs/recipe.md)")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the weights, batches and noise")
	f.IntVar(&every, "checkpoint-every", 200, "steps between checkpoints")
	f.IntVar(&limit, "limit", 0, "train on at most this many labelled items (0: all)")
	f.BoolVar(&fresh, "fresh", false, "ignore existing checkpoints and start over")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&jsonl, "json", false, "print the losses as JSON at each checkpoint (means over the steps since the previous line) and at the end")
	return cmd
}

func newTrainClassifierCmd() *cobra.Command {
	var (
		db                 dbFlag
		steps, batch, size int
		width              int
		attrs              string
		quiet, jsonOut     bool
		seed               uint64
	)
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Train the evaluation classifier on real labelled images (one id in ten held back, by a hash)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if steps < 1 || batch < 1 {
				return fmt.Errorf("--steps %d, --batch %d: want at least 1 of each (an untrained classifier would score nothing)", steps, batch)
			}
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			schema, err := chooseSchema(st, attrs)
			if err != nil {
				return err
			}
			d, err := generator.LoadDataset(st, schema, size, 0)
			if err != nil {
				return err
			}
			train, held := bench.Split(d)
			c, err := classifier.New(classifier.Config{Size: size, Width: width, Attrs: schema.Attrs, Seed: seed})
			if err != nil {
				return err
			}
			pr := newProgress(cmd.ErrOrStderr(), steps, "train classifier", "steps", quiet)
			err = c.Train(cmd.Context(), train, steps, batch, func(step int, loss float64) {
				pr.update(step, steps, fmt.Sprintf(" | loss %.4f", loss))
			})
			pr.finish(steps, steps, "")
			if err != nil {
				return err
			}
			logits, _, err := c.PredictAll(held.X)
			if err != nil {
				return err
			}
			acc, per := classifier.Accuracy(logits, held.Labels)
			ver, err := c.Save(st)
			if err != nil {
				return err
			}
			res := map[string]any{"version": ver, "train_images": len(train.X), "held_out_images": len(held.X),
				"held_out_accuracy": acc, "per_attribute": per, "attributes": schema.Attrs}
			if jsonOut {
				return writeJSONLine(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "classifier version %d: held-back accuracy %.4f on %d images (trained on %d)\n", ver, acc, len(held.X), len(train.X))
			for i, a := range schema.Attrs {
				fmt.Fprintf(cmd.OutOrStdout(), "  %-12s %.4f\n", a, per[i])
			}
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.IntVar(&steps, "steps", 1500, "training steps")
	f.IntVar(&batch, "batch", 32, "batch size")
	f.IntVar(&size, "size", 32, "image size: 32 or 64")
	f.IntVar(&width, "width", 16, "channels of the first layer")
	f.StringVar(&attrs, "attrs", "", "attributes (default: as train unit)")
	f.Uint64Var(&seed, "seed", 1, "seed")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// labelledFlag is --labelled: the fraction of the labelled items a
// training uses (the others count as unlabelled), for the label-fraction
// experiments of the paper's Table 3.
type labelledFlag struct{ f float64 }

func (l *labelledFlag) register(cmd *cobra.Command) {
	cmd.Flags().Float64Var(&l.f, "labelled", 1, "train on this fraction of the labelled items, chosen by a hash of the id (the rest count as unlabelled)")
}

// value is the fraction to store in a new model's configuration (0: all).
func (l *labelledFlag) value() (float64, error) {
	if !(l.f > 0 && l.f <= 1) {
		return 0, fmt.Errorf("--labelled %v: want a fraction in (0, 1]", l.f)
	}
	if l.f == 1 {
		return 0, nil
	}
	return l.f, nil
}

// keepLabelled applies a model's stored fraction to its training data.
func keepLabelled(w io.Writer, d *generator.Dataset, f float64) error {
	if f <= 0 || f >= 1 {
		return nil
	}
	all := len(d.IDs)
	if d.KeepFraction(f) == 0 {
		return fmt.Errorf("%w: --labelled %v keeps none of the %d labelled items", generator.ErrNoLabelled, f, all)
	}
	fmt.Fprintf(w, "training on %d of the %d labelled items (--labelled %v)\n", len(d.IDs), all, f)
	return nil
}

// chooseSchema is the attributes named by --attrs (each must be labelled),
// or by default every attribute labelled with both values (up to 8).
func chooseSchema(st *storage.Store, attrs string) (embed.Schema, error) {
	if attrs == "" {
		return generator.DefaultSchema(st, 8)
	}
	s := embed.Schema{Attrs: strings.Split(attrs, ","), Dim: embed.DefaultAttrDim}
	return s, generator.CheckSchema(st, s)
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
	cmd.Flags().StringVar(&r.name, "recipe", "default", "training recipe: default, or first (the paper's GMM-UNIT, as rgunit first trained it)")
	cmd.Flags().StringSliceVar(&r.without, "without", nil, "leave these parts out of the default recipe (an ablation): "+strings.Join(parts, ", "))
}

// recipe returns the recipe of a new model trained for steps steps, and
// sets the network and code layouts that go with it in a and s.
func (r *recipeFlags) recipe(steps int, a *embed.Arch, s *embed.Schema) (generator.Recipe, error) {
	switch r.name {
	case "first":
		if len(r.without) > 0 {
			return generator.Recipe{}, fmt.Errorf("--without takes parts out of the default recipe, not the first")
		}
		return generator.Recipe{}, nil
	case "default":
		rc := generator.DefaultRecipe(steps, a, s)
		return rc, generator.Without(&rc, a, s, r.without)
	}
	return generator.Recipe{}, fmt.Errorf("--recipe %q: want default or first", r.name)
}

// resumeGuard refuses a flag given on a resumed run whose value differs
// from the model's (same[flag] false): running the same command again, as
// after a kill, resumes.
func resumeGuard(cmd *cobra.Command, what string, step int, same map[string]bool) error {
	for _, f := range slices.Sorted(maps.Keys(same)) {
		if cmd.Flags().Changed(f) && !same[f] {
			return fmt.Errorf("--%s cannot change a model being resumed (%s at step %d); pass --fresh to start over", f, what, step)
		}
	}
	return nil
}
