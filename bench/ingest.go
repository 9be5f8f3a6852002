package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"rgunit/imageio"
	"rgunit/ingest"
	"rgunit/storage"
)

// IngestOptions configure Ingest. The zero value ingests every image file
// of the folder at 64x64 with all cores, reading list_attr.txt if present.
type IngestOptions struct {
	Limit     int // at most this many files (0: all)
	ImageSize int
	Workers   int
	// TempDir holds the scratch database (default os.TempDir()).
	TempDir string
	// WithModel, if set, ingests files into a new database at path with
	// a model (embedding and indexing every image, as rgunit ingest does)
	// and returns the whole run's rate and the indexing's share of it.
	WithModel func(ctx context.Context, files []string, path string) (perSec, indexShare float64, err error)
}

// IngestResult is one row of the ingest bench.
type IngestResult struct {
	Dataset        string  `json:"dataset"`
	Files          int     `json:"files"`
	Workers        int     `json:"workers"`
	RawPerSec      float64 `json:"raw_decode_resize_per_s"`
	IngestPerSec   float64 `json:"ingest_per_s"`
	Ratio          float64 `json:"ingest_over_raw"`
	ReingestPerSec float64 `json:"reingest_per_s"`
	Added          int     `json:"added"`
	Labelled       int     `json:"labelled"`
	Skipped        int     `json:"skipped"`
	DBBytes        int64   `json:"db_bytes"`
	BytesPerImage  float64 `json:"db_bytes_per_image"`
	PNGBytesPerImg float64 `json:"png_bytes_per_image"`
	// With a model (IngestOptions.WithModel): images per second of the
	// whole run, embedding and indexing included, and the indexing's
	// share of it.
	ModelPerSec float64 `json:"with_model_per_s,omitempty"`
	IndexShare  float64 `json:"with_model_index_share,omitempty"`
}

// imageFiles lists the image files below dir in lexical order.
func imageFiles(dir string, limit int) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && imageio.HasImageExt(p) {
			files = append(files, p)
			if limit > 0 && len(files) >= limit {
				return filepath.SkipAll
			}
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("bench: no image files in %s", dir)
	}
	return files, err
}

// Ingest runs the ingest bench on one folder.
func Ingest(ctx context.Context, dir string, o IngestOptions) (IngestResult, error) {
	if o.ImageSize == 0 {
		o.ImageSize = storage.DefaultImageSize
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	r := IngestResult{Dataset: filepath.Base(filepath.Clean(dir)), Workers: o.Workers}
	files, err := imageFiles(dir, o.Limit)
	if err != nil {
		return r, err
	}
	r.Files = len(files)
	var labels *ingest.LabelTable
	for _, lf := range []string{filepath.Join(dir, "list_attr.txt"), filepath.Join(dir, "..", "list_attr.txt")} {
		if fileExists(lf) {
			if labels, err = ingest.LoadLabels(lf); err != nil {
				return r, err
			}
			break
		}
	}
	// Warm the page cache so that neither pass pays for cold reads.
	if _, err := rawPass(ctx, files, o.ImageSize, o.Workers, false); err != nil {
		return r, err
	}
	if r.RawPerSec, err = rawPass(ctx, files, o.ImageSize, o.Workers, true); err != nil {
		return r, err
	}
	tmp, err := os.MkdirTemp(o.TempDir, "rgunit-bench-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	st, err := storage.Open(filepath.Join(tmp, "bench.db"), &storage.Options{ImageSize: o.ImageSize})
	if err != nil {
		return r, err
	}
	defer st.Close()
	io := &ingest.Options{Labels: labels, Workers: o.Workers}
	sum, err := ingest.Run(ctx, st, files, io)
	if err != nil {
		return r, err
	}
	r.IngestPerSec = float64(sum.Added+sum.Duplicates) / sum.Seconds
	r.Ratio = r.IngestPerSec / r.RawPerSec
	r.Added, r.Labelled, r.Skipped = sum.Added, sum.Labelled, sum.Skipped
	again, err := ingest.Run(ctx, st, files, io)
	if err != nil {
		return r, err
	}
	if again.Added != 0 {
		return r, fmt.Errorf("bench: re-ingest added %d items, want 0", again.Added)
	}
	r.ReingestPerSec = float64(again.Duplicates) / again.Seconds
	s, err := st.Stats()
	if err != nil {
		return r, err
	}
	r.DBBytes = s.SizeBytes
	if s.Items > 0 {
		r.BytesPerImage = float64(s.SizeBytes) / float64(s.Items)
		r.PNGBytesPerImg = float64(s.ImageBytes) / float64(s.Items)
	}
	if o.WithModel != nil {
		r.ModelPerSec, r.IndexShare, err = o.WithModel(ctx, files, filepath.Join(tmp, "model.db"))
	}
	return r, err
}

// rawPass reads, decodes and normalizes every file on the given number of
// goroutines, and returns images per second. With decode unset it only
// reads the files.
func rawPass(ctx context.Context, files []string, size, workers int, decode bool) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				// Unusable files cost what they cost in ingest too: no error here.
				if data, err := os.ReadFile(files[i]); err == nil && decode {
					imageio.Load(data, size, 0)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return float64(len(files)) / time.Since(start).Seconds(), nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
