package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/guided"
	"rgunit/retrieval"
)

func newTrainRGCmd() *cobra.Command {
	var (
		db                  dbFlag
		steps, every        int
		fresh, quiet, jsonl bool
		cfg                 = generator.RGConfig{K: generator.DefaultK, Batch: 8, Seed: 1}
		lab                 labelledFlag
		rf                  recipeFlags
	)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			rdb, err := retrieval.Open(st)
			if err != nil {
				return err
			}
			defer rdb.Close()
			errw := cmd.ErrOrStderr()
			r, ver, err := guided.Load(rdb)
			switch {
			case err == nil && !fresh:
				c := r.Config
				l, _ := lab.value()
				arch, sch := rdb.Model.Stage1.Config.Arch, rdb.Model.Schema()
				rc, rerr := rf.recipe(steps, &arch, &sch)
				rc = generator.StageThree(rc)
				rc.Steps = c.Recipe.Steps
				if err := resumeGuard(cmd, fmt.Sprintf("rg-unit version %d", ver), r.Step, map[string]bool{
					"k": cfg.K == c.K, "batch": cfg.Batch == c.Batch, "seed": cfg.Seed == c.Seed, "labelled": l == c.Labelled,
					"recipe": rerr == nil && rc == c.Recipe, "without": rerr == nil && rc == c.Recipe,
				}); err != nil {
					return err
				}
				fmt.Fprintf(errw, "resuming rg-unit version %d at step %d\n", ver, r.Step)
			case err == nil || errors.Is(err, guided.ErrNoModel) || errors.Is(err, guided.ErrVersion):
				if errors.Is(err, guided.ErrVersion) {
					fmt.Fprintf(errw, "the latest rg-unit model was trained over another retrieval model: starting over\n")
				}
				var d *generator.Discriminator
				if u, _, err := generator.LoadLatest(st); err == nil && u.Config.Arch == rdb.Model.Stage1.Config.Arch &&
					strings.Join(u.Config.Schema.Attrs, ",") == strings.Join(rdb.Model.Schema().Attrs, ",") {
					d = u.D // the stage-1 discriminator, when it fits
				}
				cfg.Retrieval = rdb.Version
				if cfg.Labelled, err = lab.value(); err != nil {
					return err
				}
				arch, sch := rdb.Model.Stage1.Config.Arch, rdb.Model.Schema()
				rc, err := rf.recipe(steps, &arch, &sch)
				if err != nil {
					return err
				}
				cfg.Recipe = generator.StageThree(rc)
				if rc != (generator.Recipe{}) {
					cfg.Codes = generator.CodeEncoder.String()
				}
				if r, err = generator.NewRG(rdb.Model.Stage1, d, cfg); err != nil {
					return err
				}
				how := "a new discriminator"
				if d != nil {
					how = "the stage-1 discriminator"
				}
				fmt.Fprintf(errw, "new rg-unit model over retrieval version %d (stage 1 at step %d), k %d, %s\n", rdb.Version, rdb.Model.Stage1.Step, cfg.K, how)
			default:
				return err
			}
			d, err := generator.LoadDataset(st, rdb.Model.Schema(), rdb.Model.Size(), 0)
			if err != nil {
				return err
			}
			if err := keepLabelled(errw, d, r.Config.Labelled); err != nil {
				return err
			}
			g, f, dp := r.Params()
			fmt.Fprintf(errw, "%d labelled items to train on, %d items indexed for retrieval; parameters trained: G %d, fusion %d, D %d\n",
				len(d.X), rdb.Len(), g, f, dp)
			if r.Step >= steps {
				fmt.Fprintf(errw, "the model has already taken %d steps (--steps %d)\n", r.Step, steps)
				return nil
			}
			run := newGANRun(cmd, "train rg", r.Step, steps, every, quiet, jsonl, false)
			last, err := guided.Train(cmd.Context(), rdb, r, d, guided.TrainOptions{Steps: steps, CheckpointEvery: every, OnStep: run.onStep})
			return run.finish(err, last, r.Step, "rg-unit ")
		},
	}
	db.register(cmd)
	lab.register(cmd)
	rf.register(cmd)
	f := cmd.Flags()
	f.IntVar(&steps, "steps", 3000, "train until the model has taken this many steps")
	f.IntVarP(&cfg.K, "k", "k", cfg.K, "neighbours retrieved and fused per image")
	f.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the new weights, batches and noise")
	f.IntVar(&every, "checkpoint-every", 200, "steps between checkpoints")
	f.BoolVar(&fresh, "fresh", false, "ignore existing rg-unit checkpoints and start over")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&jsonl, "json", false, "print the losses as JSON at each checkpoint (means since the previous line) and at the end")
	return cmd
}

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Export, import and describe model bundles (a retrieval model with the RG-UNIT model trained over it)"}
	cmd.AddCommand(newModelExportCmd(), newModelImportCmd(), newModelInfoCmd())
	return cmd
}

func newModelExportCmd() *cobra.Command {
	var (
		db                  dbFlag
		out                 string
		command, data, note string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the database's retrieval and RG-UNIT models to a bundle file",
		Long: `Writes the latest retrieval model and the RG-UNIT model trained over it, without
optimizer state, with a record of what made them: --command (the command
that trained them), --data and --commit, which other databases show after
importing the bundle.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			b, err := guided.Export(st, guided.Provenance{Command: command, Data: data, Commit: note,
				Created: time.Now().UTC().Format(time.RFC3339)})
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			bd, err := guided.DecodeBundle(b)
			if err != nil {
				return err
			}
			p := bd.Provenance
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, bundle %s (stage 1 step %d, retrieval step %d, rg-unit step %d, k %d)\n",
				out, humanBytes(int64(len(b))), p.ID(), p.Stage1Step, p.RetrievalStep, p.RGStep, p.K)
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "bundle file to write")
	f.StringVar(&command, "command", "", "the command that trained the models (recorded)")
	f.StringVar(&data, "data", "", "the data they were trained on (recorded)")
	f.StringVar(&note, "commit", "", "the rgunit commit that trained them (recorded)")
	return cmd
}

func newModelImportCmd() *cobra.Command {
	var (
		db    dbFlag
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|default",
		Short: "Use a bundle's models in the database and index every item with them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := rgunit.Bundle(args[0])
			if err != nil {
				return err
			}
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			d := rgunit.New(st)
			defer d.Close()
			_, xp := ingestProgress(cmd, quiet)
			imp, s, err := d.ImportBundle(cmd.Context(), b, xp.onIndex)
			xp.finish()
			if imp != nil && !imp.Already {
				p := imp.Provenance
				fmt.Fprintf(cmd.OutOrStdout(), "models: bundle %s (retrieval version %d, rg-unit version %d; trained by %q on %s at commit %s)\n",
					p.ID(), imp.RetrievalVersion, imp.RGVersion, p.Command, p.Data, p.Commit)
			}
			if err != nil {
				return err
			}
			printSync(cmd.OutOrStdout(), s)
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func newModelInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE|default",
		Short: "Describe a bundle: what trained it, on what, its steps and checksums",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := rgunit.Bundle(args[0])
			if err != nil {
				return err
			}
			bd, err := guided.DecodeBundle(b)
			if err != nil {
				return err
			}
			p := bd.Provenance
			if asJSON {
				return writeJSONLine(cmd.OutOrStdout(), p)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "bundle %s, %s\n", p.ID(), humanBytes(int64(len(b))))
			fmt.Fprintf(w, "command:    %s\ndata:       %s\ncommit:     %s\ncreated:    %s\n", p.Command, p.Data, p.Commit, p.Created)
			fmt.Fprintf(w, "model:      %d px, attributes %s, k %d\n", p.Size, strings.Join(p.Attrs, ","), p.K)
			fmt.Fprintf(w, "steps:      stage 1 %d, retrieval %d, rg-unit %d\n", p.Stage1Step, p.RetrievalStep, p.RGStep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the provenance as JSON")
	return cmd
}
