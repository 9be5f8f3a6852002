package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/ingest"
	"rgunit/internal/cmdutil"
	"rgunit/storage"
)

type ingestOptions struct {
	db            cmdutil.DB
	idx           indexFlag
	labels, model string
	size          int
	asJSON, quiet bool
	o             rgunit.IngestOptions
}

func newIngestCmd() *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Add image files and folders to the database",
		Long: `Ingest walks folders recursively and adds every image (JPEG, PNG, GIF, BMP,
TIFF, WebP) to the database, normalized to the database's resolution (centre
crop, resize). Files already stored (same content) are not added again.
Labels in CelebA list_attr format may cover some, all or none of the files.
Bad files are skipped with a reason and never stop the run. Ctrl-C stops
after the batch in flight; a killed run is completed by running it again.

A new database gets the shipped default model (a retrieval model and an
RG-UNIT model trained on procedural faces; rgunit model info default), so
its items are indexed and it can translate without training. --model NAME
uses a shipped model (rgunit model list: celeba64 for photos, when its file
is present), --model FILE another bundle (rgunit model export), --model none
no model (to train
your own). Once a database has models, new items are indexed with them.`,
		Example: `  rgunit ingest photos/ --db faces.db
  rgunit ingest celeba/img/ --labels celeba/list_attr.txt --size 64 --db celeba.db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *ingestOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	o.idx.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.labels, "labels", "", "labels file in CelebA list_attr format")
	f.IntVar(&o.size, "size", 0, fmt.Sprintf("side of the normalized images, fixed when the database is created (default %d)", storage.DefaultImageSize))
	f.IntVar(&o.o.BatchSize, "batch", ingest.DefaultBatchSize, "images per write transaction")
	f.IntVar(&o.o.Workers, "workers", 0, "decoding goroutines (default: all cores)")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as one JSON object")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.model, "model", "default", "models for a new database: default (embedded), a shipped model's NAME (rgunit model list), a bundle FILE, or none")
}

// check refuses bad paths, labels, --index and --model before anything is
// opened or written.
func (o *ingestOptions) check(cmd *cobra.Command, args []string) error {
	o.o.Model, o.o.ImportModel = o.model, cmd.Flags().Changed("model") && o.model != "none"
	if o.labels != "" {
		t, err := ingest.LoadLabels(o.labels)
		if err != nil {
			return err
		}
		o.o.Labels = t
	}
	if err := o.idx.check(); err != nil {
		return err
	}
	if _, err := rgunit.CheckIngest(args, o.o); err != nil {
		if errors.Is(err, rgunit.ErrModels) || errors.Is(err, rgunit.ErrUnknownModel) {
			return fmt.Errorf("--model: %w", err)
		}
		return err
	}
	return nil
}

func (o *ingestOptions) run(cmd *cobra.Command, args []string) error {
	if err := o.check(cmd, args); err != nil {
		return err
	}
	_, statErr := os.Stat(o.db.Path)
	isNew := errors.Is(statErr, os.ErrNotExist)
	db, err := o.db.Open(rgunit.Options{ImageSize: o.size})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := o.idx.apply(db.Store()); err != nil {
		return err
	}
	ip, xp := ingestProgress(cmd, o.quiet)
	o.o.OnIngest, o.o.OnIndex = ip.onIngest, xp.onIndex
	res, err := db.Ingest(cmd.Context(), args, o.o)
	ip.finish()
	xp.finish()
	if errors.Is(err, rgunit.ErrModels) {
		if isNew {
			db.Close()
			os.Remove(o.db.Path) // nothing was ingested into it yet
		}
		return fmt.Errorf("--model %s: %w (pass --model none to ingest without a model)", o.model, err)
	}
	if res == nil {
		return err
	}
	if o.asJSON {
		err = errors.Join(err, cmdutil.WriteJSONLine(cmd.OutOrStdout(), res))
	} else {
		err = errors.Join(err, res.WriteText(cmd.OutOrStdout()))
	}
	return ingestEnd(res, err)
}

// ingestEnd is the error an ingest ends with (err is Ingest's).
func ingestEnd(res *rgunit.IngestResult, err error) error {
	if res.Interrupted {
		return fmt.Errorf("%w: stopped after %d files; run the same command again to finish", errInterrupted, res.Added+res.Duplicates+res.Skipped+res.Ignored)
	}
	if errors.Is(err, context.Canceled) && res.Index != nil {
		return fmt.Errorf("%w after indexing %d items; run rgunit reindex to finish", errInterrupted, res.Index.Added)
	}
	return err
}

// phaseProgress shows one phase of an ingest (the files, then the
// indexing) on stderr, once the phase reports its total.
type phaseProgress struct {
	cmd         *cobra.Command
	label, unit string
	quiet       bool
	p           *cmdutil.Progress
	done, total int
	extra       string
}

func (pp *phaseProgress) update(done, total int, extra string) {
	if pp.p == nil {
		pp.p = cmdutil.NewProgress(pp.cmd.ErrOrStderr(), total, pp.label, pp.unit, pp.quiet)
	}
	pp.done, pp.total, pp.extra = done, total, extra
	pp.p.Update(done, total, extra)
}

func (pp *phaseProgress) onIngest(pr ingest.Progress) {
	pp.update(pr.Done, pr.Total, fmt.Sprintf(", %d added, %d duplicates, %d skipped", pr.Added, pr.Duplicates, pr.Skipped))
}

func (pp *phaseProgress) onIndex(done, total int) { pp.update(done, total, "") }

func (pp *phaseProgress) finish() {
	if pp.p != nil {
		pp.p.Finish(pp.done, pp.total, pp.extra)
	}
}

// ingestProgress returns the displays of an ingest's two phases.
func ingestProgress(cmd *cobra.Command, quiet bool) (files, index *phaseProgress) {
	return &phaseProgress{cmd: cmd, label: "ingest", unit: "img", quiet: quiet},
		&phaseProgress{cmd: cmd, label: "index", unit: "img", quiet: quiet}
}
