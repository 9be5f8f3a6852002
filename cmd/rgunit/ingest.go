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
	cmdutil.DB
	idx           indexFlags
	labels, model string
	size          int
	asJSON, quiet bool
	o             rgunit.IngestOptions
}

func (o *ingestOptions) addFlags(cmd *cobra.Command) {
	o.idx.register(cmd)
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the summary as one JSON object")
	cmdutil.QuietFlag(cmd, &o.quiet)
	f := cmd.Flags()
	f.StringVar(&o.labels, "labels", "", "labels file in CelebA list_attr format")
	f.IntVar(&o.size, "size", 0, fmt.Sprintf("side of the normalized images, fixed when the database is created (default %d)", storage.DefaultImageSize))
	f.IntVar(&o.o.BatchSize, "batch", ingest.DefaultBatchSize, "images per write transaction")
	f.IntVar(&o.o.Workers, "workers", 0, "decoding goroutines (default: all cores)")
	f.StringVar(&o.model, "model", "default", "models for a new database: default (embedded), a shipped model's NAME (rgunit model list), a bundle FILE, or none")
}

// check refuses bad paths, labels, --index and --model before anything is
// opened or written.
func (o *ingestOptions) check(cmd *cobra.Command, args []string) (err error) {
	if o.o.BatchSize < 1 || o.o.Workers < 0 {
		return fmt.Errorf("--batch %d, --workers %d: want a batch of at least 1 and a count of workers (0: all cores)", o.o.BatchSize, o.o.Workers)
	}
	o.o.Model, o.o.ImportModel = o.model, cmd.Flags().Changed("model") && o.model != "none"
	if o.labels != "" {
		if o.o.Labels, err = ingest.LoadLabels(o.labels); err != nil {
			return err
		}
	}
	if err := o.idx.Check(); err != nil {
		return err
	}
	_, err = rgunit.CheckIngest(args, o.o)
	if errors.Is(err, rgunit.ErrModels) || errors.Is(err, rgunit.ErrUnknownModel) {
		return fmt.Errorf("--model: %w", err)
	}
	return err
}

func (o *ingestOptions) run(cmd *cobra.Command, args []string) error {
	if err := o.check(cmd, args); err != nil {
		return err
	}
	_, statErr := os.Stat(o.Path)
	db, err := o.Open(rgunit.Options{ImageSize: o.size})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetIndex(o.idx.IndexSettings); err != nil {
		return err
	}
	files, index := cmdutil.NewPhase(cmd, "ingest", "img", o.quiet), cmdutil.NewPhase(cmd, "index", "img", o.quiet)
	o.o.OnIngest, o.o.OnIndex = files.Ingest, index.Steps
	res, err := db.Ingest(cmd.Context(), args, o.o)
	files.Finish()
	index.Finish()
	if errors.Is(err, rgunit.ErrModels) {
		if errors.Is(statErr, os.ErrNotExist) {
			db.Close()
			os.Remove(o.Path) // nothing was ingested into it yet
		}
		return fmt.Errorf("--model %s: %w (pass --model none to ingest without a model)", o.model, err)
	}
	if res == nil {
		return err
	}
	return ingestEnd(res, errors.Join(err, cmdutil.Print(cmd, o.asJSON, res)))
}

// ingestEnd is the error an ingest ends with (err is Ingest's).
func ingestEnd(res *rgunit.IngestResult, err error) error {
	if res.Interrupted {
		return fmt.Errorf("%w: stopped after %d files; run the same command again to finish", cmdutil.ErrInterrupted, res.Added+res.Duplicates+res.Skipped+res.Ignored)
	}
	if errors.Is(err, context.Canceled) && res.Index != nil {
		return fmt.Errorf("%w after indexing %d items; run rgunit reindex to finish", cmdutil.ErrInterrupted, res.Index.Added)
	}
	return err
}
