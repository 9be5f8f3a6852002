package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"rgunit/generator"
	"rgunit/guided"
	"rgunit/ingest"
	"rgunit/retrieval"
	"rgunit/storage"
)

func newIngestCmd() *cobra.Command {
	var (
		db      dbFlag
		labels  string
		size    int
		batch   int
		workers int
		asJSON  bool
		quiet   bool
		model   string
		idx     indexFlag
	)
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
its items are indexed and it can translate without training. --model FILE
uses another bundle (rgunit model export), --model none no model (to train
your own). Once a database has models, new items are indexed with them.`,
		Example: `  rgunit ingest photos/ --db faces.db
  rgunit ingest celeba/img/ --labels celeba/list_attr.txt --size 64 --db celeba.db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &ingest.Options{BatchSize: batch, Workers: workers}
			if err := ingest.CheckPaths(args); err != nil { // before anything is opened or written
				return err
			}
			if labels != "" {
				t, err := ingest.LoadLabels(labels)
				if err == nil {
					err = t.CheckNames()
				}
				if err != nil {
					return err
				}
				opts.Labels = t
			}
			if err := idx.check(); err != nil {
				return err
			}
			var bundle []byte
			_, statErr := os.Stat(db.path)
			isNew := errors.Is(statErr, os.ErrNotExist)
			if model != "none" {
				b, err := loadBundle(model)
				if err != nil {
					return err
				}
				if _, err := guided.DecodeBundle(b); err != nil {
					return fmt.Errorf("--model %s: %w", model, err)
				}
				bundle = b
			}
			st, err := db.open(true, true, size)
			if err != nil {
				return err
			}
			defer st.Close()
			// A database is new until it holds an item or a model: one
			// created by a run killed before its import gets the models now.
			fresh, err := modelless(st)
			if err != nil {
				return err
			}
			switch {
			case model == "none" && cmd.Flags().Changed("model") && fresh:
				if err := st.SetModelChoice("none"); err != nil {
					return err
				}
			case bundle != nil && (fresh || cmd.Flags().Changed("model")):
				if _, err := guided.Import(st, bundle); err != nil {
					if isNew {
						st.Close()
						os.Remove(db.path) // nothing was ingested into it yet
					}
					if model == "default" {
						return fmt.Errorf("the shipped default model: %w (pass --model none to ingest without a model)", err)
					}
					return fmt.Errorf("--model %s: %w", model, err)
				}
			}
			if err := idx.apply(st); err != nil {
				return err
			}
			sum, err := runIngest(cmd, st, args, opts, quiet)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSONLine(cmd.OutOrStdout(), sum); err != nil {
					return err
				}
			} else {
				printIngestSummary(cmd.OutOrStdout(), st, sum)
			}
			if sum.Interrupted {
				return fmt.Errorf("%w: stopped after %d files; run the same command again to finish", errInterrupted, sum.Added+sum.Duplicates+sum.Skipped+sum.Ignored)
			}
			// With a retrieval model, new items are embedded and indexed.
			m, ver, err := retrieval.Load(st)
			if errors.Is(err, retrieval.ErrNoModel) {
				return nil
			}
			if err != nil {
				return err
			}
			if asJSON {
				cmd.SetOut(io.Discard) // the summary is the one JSON object
			}
			return syncIndex(cmd, st, m, ver, false, quiet)
		},
	}
	db.register(cmd)
	idx.register(cmd)
	f := cmd.Flags()
	f.StringVar(&labels, "labels", "", "labels file in CelebA list_attr format")
	f.IntVar(&size, "size", 0, fmt.Sprintf("side of the normalized images, fixed when the database is created (default %d)", storage.DefaultImageSize))
	f.IntVar(&batch, "batch", ingest.DefaultBatchSize, "images per write transaction")
	f.IntVar(&workers, "workers", 0, "decoding goroutines (default: all cores)")
	f.BoolVar(&asJSON, "json", false, "print the summary as one JSON object")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&model, "model", "default", "models for a new database: default (the shipped bundle), a bundle FILE, or none")
	return cmd
}

// runIngest runs ingest.Run with a progress display on stderr.
func runIngest(cmd *cobra.Command, st *storage.Store, paths []string, opts *ingest.Options, quiet bool) (ingest.Summary, error) {
	var p *progress
	var last ingest.Progress
	extra := func(pr ingest.Progress) string {
		return fmt.Sprintf(", %d added, %d duplicates, %d skipped", pr.Added, pr.Duplicates, pr.Skipped)
	}
	opts.Progress = func(pr ingest.Progress) {
		if p == nil {
			p = newProgress(cmd.ErrOrStderr(), pr.Total, "ingest", "img", quiet)
		}
		last = pr
		p.update(pr.Done, pr.Total, extra(pr))
	}
	sum, err := ingest.Run(cmd.Context(), st, paths, opts)
	if p != nil {
		p.finish(last.Done, last.Total, extra(last))
	}
	return sum, err
}

func printIngestSummary(w io.Writer, st *storage.Store, s ingest.Summary) {
	fmt.Fprintf(w, "ingested %d files in %.1fs (%.0f images/s): %d added (%d labelled, %d unlabelled), %d duplicates",
		s.Files, s.Seconds, s.PerSecond, s.Added, s.Labelled, s.Unlabelled, s.Duplicates)
	if s.Relabelled > 0 {
		fmt.Fprintf(w, " (%d relabelled)", s.Relabelled)
	}
	fmt.Fprintf(w, ", %d skipped, %d ignored (not images)\n", s.Skipped, s.Ignored)
	if s.Unmatched > 0 {
		fmt.Fprintf(w, "warning: %d label rows matched no ingested file\n", s.Unmatched)
	}
	if s.Skipped > 0 {
		kinds := make([]string, 0, len(s.SkipReasons))
		for k, n := range s.SkipReasons {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "skipped: %s\n", strings.Join(kinds, ", "))
		const show = 20
		for i, sk := range s.SkippedFiles {
			if i == show {
				fmt.Fprintf(w, "  ... and %d more (--json lists them all)\n", s.Skipped-show)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", relPath(sk.Path), sk.Reason)
		}
	}
	if n, err := st.Len(); err == nil {
		size, _ := st.SizeBytes()
		fmt.Fprintf(w, "database %s: %d items, %s\n", st.Path(), n, humanBytes(size))
	}
}

// relPath shortens an absolute path to one relative to the working
// directory when it lies below it.
func relPath(p string) string {
	wd, err := filepath.Abs(".")
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// modelless reports whether st holds no item and no model and was not
// created without models on purpose: a new database, to give the shipped
// (or chosen) models.
func modelless(st *storage.Store) (bool, error) {
	if n, err := st.Len(); err != nil || n > 0 {
		return false, err
	}
	if c, err := st.ModelChoice(); err != nil || c != "" {
		return false, err
	}
	for _, name := range []string{retrieval.ModelName, generator.ModelName} {
		if _, _, err := st.Model(name, 0); err == nil {
			return false, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
	}
	return true, nil
}
