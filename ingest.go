package rgunit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"rgunit/generator"
	"rgunit/guided"
	"rgunit/ingest"
	"rgunit/models"
	"rgunit/retrieval"
	"rgunit/storage"
)

// IngestOptions configure Ingest. The zero value ingests without labels
// and gives a new database the shipped models.
type IngestOptions struct {
	Labels *ingest.LabelTable // optional; may cover some of the files
	// Model is the models of a new database: "" or "default" (the shipped
	// bundle), "none", or a bundle file's path. With ImportModel the
	// bundle is imported even into a database that is not new.
	Model       string
	ImportModel bool
	BatchSize   int                   // images per write transaction (0: ingest.DefaultBatchSize)
	Workers     int                   // decoding goroutines (0: all cores)
	OnIngest    func(ingest.Progress) // progress of the files
	OnIndex     func(done, total int) // progress of the indexing
	// StoredPath, if set, names each file in the database (see
	// ingest.Options.StoredPath).
	StoredPath func(abs string) string
}

// IngestResult is what Ingest did.
type IngestResult struct {
	ingest.Summary
	Imported *guided.Imported     `json:"-"` // the models given to the database, if any
	Index    *retrieval.SyncStats `json:"-"` // the indexing of new items, when the database has a retrieval model
	// Domain says how far the new items lie from the models' training
	// images (nil when the models carry no record of them).
	Domain *DomainCheck `json:"domain,omitempty"`
	// The whole run, files and indexing: its seconds, its rate (images
	// added or found again per second) and the indexing's seconds.
	TotalSeconds   float64 `json:"total_seconds"`
	TotalPerSecond float64 `json:"total_images_per_second"`
	IndexSeconds   float64 `json:"index_seconds"`
	// The database afterwards (for WriteText).
	Path      string `json:"-"`
	Items     int    `json:"-"`
	SizeBytes int64  `json:"-"`
}

// CheckIngest refuses paths, labels and models that Ingest would refuse,
// without a database: a command checks them before it creates one.
func CheckIngest(paths []string, o IngestOptions) ([]byte, error) {
	if err := ingest.CheckPaths(paths); err != nil {
		return nil, err
	}
	if o.Labels != nil {
		if err := o.Labels.CheckNames(); err != nil {
			return nil, err
		}
	}
	if o.Model == "none" {
		return nil, nil
	}
	b, err := Bundle(o.Model)
	if errors.Is(err, ErrUnknownModel) {
		return nil, err // it says where it looked
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModels, err)
	}
	return b, nil
}

// WriteText writes what an ingest did as rgunit ingest prints it: the
// summary, the skipped files (the first 20), the database's size, the
// indexing.
func (r *IngestResult) WriteText(w io.Writer) error {
	s := r.Summary
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
	if r.Path != "" {
		fmt.Fprintf(w, "database %s: %d items, %s\n", r.Path, r.Items, FormatBytes(r.SizeBytes))
	}
	if msg := r.Domain.Warning(); msg != "" {
		fmt.Fprintln(w, "warning:", msg)
	}
	if r.Index != nil && !r.Interrupted {
		fmt.Fprintln(w, r.Index)
		_, err := fmt.Fprintf(w, "whole run: %.1fs, %.0f images/s with embedding and indexing (%.1fs, %.0f%% of the run)\n",
			r.TotalSeconds, r.TotalPerSecond, r.IndexSeconds, 100*r.IndexSeconds/max(r.TotalSeconds, 1e-9))
		return err
	}
	return nil
}

// Bundle reads the models named as IngestOptions.Model does: "default"
// (or "") is the bundle embedded in the binary, a path (with a separator
// or the .rgm suffix) a bundle file, and any other name a shipped model
// (see FindModel); the bundle is checked (checksums, format) before it is
// returned.
func Bundle(name string) ([]byte, error) {
	var b []byte
	switch {
	case name == "" || name == "default":
		b = models.Default
	default:
		path := name
		if !strings.ContainsRune(name, filepath.Separator) && !strings.HasSuffix(name, ".rgm") {
			var err error
			if path, err = FindModel(name); err != nil {
				return nil, err
			}
		}
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	if _, err := guided.DecodeBundle(b); err != nil {
		return nil, fmt.Errorf("models %s: %w", name, err)
	}
	return b, nil
}

// Ingest adds image files and folders (recursively) to the database. A
// database is new until it holds an item or a model, and a new one first
// gets the models of o.Model in one transaction (a run killed before gets
// them when run again); "none" records that it is to have none. Then the
// files are ingested (see package ingest: bad files are skipped and
// listed, a killed run is completed by running it again), and, when the
// database has a retrieval model, every item not yet indexed is embedded
// and indexed. Nothing is written when the paths or labels are refused.
func (d *DB) Ingest(ctx context.Context, paths []string, o IngestOptions) (*IngestResult, error) {
	bundle, err := CheckIngest(paths, o)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res := &IngestResult{Path: d.st.Path()}
	last, err := d.st.LastID() // the items after it are this run's
	if err != nil {
		return nil, err
	}
	defer func() {
		res.TotalSeconds = time.Since(start).Seconds()
		if res.TotalSeconds > 0 {
			res.TotalPerSecond = float64(res.Added+res.Duplicates) / res.TotalSeconds
		}
	}()
	fresh, err := modelless(d.st)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Model == "none" && fresh:
		if err := d.st.SetModelChoice("none"); err != nil {
			return nil, err
		}
	case bundle != nil && (fresh || o.ImportModel):
		d.forget()
		res.Imported, err = guided.Import(d.st, bundle)
		d.forget()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrModels, err)
		}
	}
	res.Summary, err = ingest.Run(ctx, d.st, paths, &ingest.Options{Labels: o.Labels, BatchSize: o.BatchSize,
		Workers: o.Workers, Progress: o.OnIngest, StoredPath: o.StoredPath})
	if n, lerr := d.st.Len(); lerr == nil {
		res.Items = n
		res.SizeBytes, _ = d.st.SizeBytes()
	}
	if err != nil || res.Interrupted {
		return res, err
	}
	if err := d.indexNew(ctx, res, o.OnIndex); err != nil || res.Added == 0 {
		return res, err
	}
	res.Domain, _ = d.checkNewItems(last) // advisory: a failed check never fails the ingest
	return res, nil
}

// indexNew embeds and indexes the items the index lacks, when there is a
// retrieval model.
func (d *DB) indexNew(ctx context.Context, res *IngestResult, progress func(done, total int)) error {
	m, ver, err := retrieval.Load(d.st)
	if errors.Is(err, retrieval.ErrNoModel) {
		return nil
	}
	if err != nil {
		return err
	}
	temps, err := d.temperatures()
	if err != nil {
		return err
	}
	defer d.forget() // queries see the new items
	start := time.Now()
	s, err := retrieval.Sync(ctx, d.st, m, ver, retrieval.SyncOptions{OnProgress: progress, Temperatures: temps})
	res.Index, res.IndexSeconds = &s, time.Since(start).Seconds()
	return err
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
