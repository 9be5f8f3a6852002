package ingest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"rgunit/imageio"
	"rgunit/storage"
)

// Defaults of Options.
const (
	DefaultBatchSize    = 256
	DefaultMaxFileBytes = 1 << 30
	maxSkipList         = 100_000
)

// Options configure Run. The zero value uses all cores, batches of 256,
// the 100-megapixel and 1 GiB budgets, and no labels.
type Options struct {
	Labels       *LabelTable
	Workers      int
	BatchSize    int
	MaxPixels    int
	MaxFileBytes int64
	// Progress, if set, is called from the writing goroutine after every file.
	Progress func(Progress)
	// Committed, if set, is called after every committed batch.
	Committed func(batch int, s Summary)
	// StoredPath, if set, is the path recorded for a file (given its
	// absolute path; default: that path): uploads are recorded by the
	// name they were sent with, not a temporary file's.
	StoredPath func(abs string) string
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	Done, Total                         int
	Added, Duplicates, Skipped, Ignored int
	Elapsed                             time.Duration
}

// Skip records a file that was not ingested and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summary is the outcome of a run.
type Summary struct {
	Files        int     `json:"files"`                 // candidate files found
	Added        int     `json:"added"`                 // new items
	Duplicates   int     `json:"duplicates"`            // content already stored (relabelled included)
	Relabelled   int     `json:"relabelled"`            // duplicates whose labels were updated
	Skipped      int     `json:"skipped"`               // unusable image files
	Ignored      int     `json:"ignored"`               // non-image files in folders
	Labelled     int     `json:"labelled"`              // added items that carry labels
	Unlabelled   int     `json:"unlabelled"`            // added items without labels
	Unmatched    int     `json:"labels_rows_unmatched"` // label rows that matched no file
	Batches      int     `json:"batches"`
	Interrupted  bool    `json:"interrupted"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"images_per_second"` // (added+duplicates)/seconds
	SkippedFiles []Skip  `json:"skipped_files"`
	// SkipReasons counts skips by their kind ("corrupt or truncated", ...).
	SkipReasons map[string]int `json:"skip_reasons"`
}

type result struct {
	idx     int
	rec     storage.Record
	key     string // matched label row
	skip    string // why skipped; "" when usable
	kind    string // skip kind for SkipReasons
	ignored bool
}

// Run ingests the paths into st. Bad files are skipped, never fatal; the
// error is non-nil only when the inputs cannot be listed or the store
// cannot be written. When ctx is cancelled Run stops dispatching, commits the
// files already processed, and returns with Summary.Interrupted set.
func Run(ctx context.Context, st *storage.Store, paths []string, opts *Options) (Summary, error) {
	o, err := withDefaults(opts)
	if err != nil {
		return Summary{}, err
	}
	r := &run{st: st, o: o, start: time.Now(), matched: map[string]bool{},
		sum: Summary{SkipReasons: map[string]int{}, SkippedFiles: []Skip{}}}
	if r.files, err = collect(paths); err != nil {
		return r.sum, err
	}
	r.sum.Files = len(r.files)

	wctx, stop := context.WithCancel(context.Background())
	defer stop()
	r.stop = stop
	window := o.Workers*4 + o.BatchSize
	sem := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan result, window)
	go func() { // dispatcher
		defer close(jobs)
		for i := range r.files {
			select {
			case <-ctx.Done():
				return
			case <-wctx.Done():
				return
			case sem <- struct{}{}:
			}
			select {
			case jobs <- i:
			case <-wctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- process(i, r.files[i], st, &r.o)
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	// Results are taken in input order (ids are deterministic), one
	// window slot freed for each.
	pending, next := map[int]result{}, 0
	for res := range results {
		if r.werr != nil {
			continue // drain
		}
		pending[res.idx] = res
		for {
			res, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-sem
			r.take(res)
			r.report(next)
		}
	}
	r.commit()
	r.report(next)
	if o.Labels != nil {
		r.sum.Unmatched = o.Labels.Len() - len(r.matched)
	}
	r.sum.Interrupted = ctx.Err() != nil && next < len(r.files)
	r.sum.Seconds = time.Since(r.start).Seconds()
	if r.sum.Seconds > 0 {
		r.sum.PerSecond = float64(r.sum.Added+r.sum.Duplicates) / r.sum.Seconds
	}
	return r.sum, r.werr
}

// withDefaults is opts with its zero fields filled in, its labels checked.
func withDefaults(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.Labels != nil {
		if err := o.Labels.CheckNames(); err != nil {
			return o, err
		}
	}
	return o, nil
}

// run is one Run: its files, what it has counted, the batch it has not
// committed yet, and the first write error (which stops the workers).
type run struct {
	st      *storage.Store
	o       Options
	start   time.Time
	files   []source
	sum     Summary
	matched map[string]bool // label rows matched by a file
	batch   []result
	werr    error
	stop    func()
}

// take counts one processed file, in input order, into the summary or the
// batch, and commits a full batch.
func (r *run) take(res result) {
	switch {
	case res.ignored:
		r.sum.Ignored++
	case res.skip != "":
		r.sum.Skipped++
		r.sum.SkipReasons[res.kind]++
		if len(r.sum.SkippedFiles) < maxSkipList {
			p := r.files[res.idx].abs
			if r.o.StoredPath != nil {
				p = r.o.StoredPath(p)
			}
			r.sum.SkippedFiles = append(r.sum.SkippedFiles, Skip{Path: p, Reason: res.skip})
		}
	default:
		if res.key != "" {
			r.matched[res.key] = true
		}
		r.batch = append(r.batch, res)
		if len(r.batch) >= r.o.BatchSize {
			r.commit()
		}
	}
}

// commit writes the batch in one transaction and counts its outcomes; a
// failed write stops the run.
func (r *run) commit() {
	if len(r.batch) == 0 || r.werr != nil {
		return
	}
	recs := make([]storage.Record, len(r.batch))
	for i := range r.batch {
		recs[i] = r.batch[i].rec
	}
	res, err := r.st.Add(recs)
	if err != nil {
		r.werr = fmt.Errorf("ingest: writing batch %d: %w", r.sum.Batches+1, err)
		r.stop()
		return
	}
	for i, a := range res {
		switch a.Outcome {
		case storage.Added:
			r.sum.Added++
			if len(recs[i].Labels) > 0 {
				r.sum.Labelled++
			} else {
				r.sum.Unlabelled++
			}
		case storage.Relabelled:
			r.sum.Duplicates++
			r.sum.Relabelled++
		default:
			r.sum.Duplicates++
		}
	}
	r.batch = r.batch[:0]
	r.sum.Batches++
	if r.o.Committed != nil {
		r.o.Committed(r.sum.Batches, r.sum)
	}
}

// report tells o.Progress that done files are counted.
func (r *run) report(done int) {
	if r.o.Progress != nil {
		r.o.Progress(Progress{Done: done, Total: len(r.files), Added: r.sum.Added, Duplicates: r.sum.Duplicates,
			Skipped: r.sum.Skipped, Ignored: r.sum.Ignored, Elapsed: time.Since(r.start)})
	}
}

// process reads, hashes, and (unless already stored) decodes one file.
func process(idx int, src source, st *storage.Store, o *Options) (res result) {
	res.idx = idx
	skip := func(kind string, err error) result {
		res.kind = kind
		res.skip = strings.TrimPrefix(err.Error(), "imageio: ")
		return res
	}
	fi, err := os.Stat(src.abs) // before opening: a FIFO would block the open
	if err != nil {
		return skip("unreadable", err)
	}
	if !fi.Mode().IsRegular() {
		if !src.explicit {
			res.ignored = true
			return res
		}
		return skip("not a regular file", errors.New("not a regular file"))
	}
	f, err := os.Open(src.abs)
	if err != nil {
		return skip("unreadable", err)
	}
	defer f.Close()
	if !src.explicit && !imageio.HasImageExt(src.abs) {
		// Unknown extension in a folder: look at the signature before reading it all.
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		if _, err := imageio.Sniff(head[:n]); errors.Is(err, imageio.ErrNotImage) || errors.Is(err, imageio.ErrEmpty) {
			res.ignored = true
			return res
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return skip("unreadable", err)
		}
	}
	if fi.Size() > o.MaxFileBytes {
		return skip("file too large", fmt.Errorf("file too large: %s exceeds the %s limit", sizeString(fi.Size()), sizeString(o.MaxFileBytes)))
	}
	data, err := io.ReadAll(io.LimitReader(f, o.MaxFileBytes+1))
	if err != nil {
		return skip("unreadable", err)
	}
	rec := storage.Record{Hash: sha256.Sum256(data), Path: src.abs}
	if o.StoredPath != nil {
		rec.Path = o.StoredPath(src.abs)
	}
	if o.Labels != nil {
		if key, ok := o.Labels.Match(src.rel, src.abs); ok {
			res.key = key
			rec.Labels, _ = o.Labels.Row(key)
		}
	}
	if _, known, err := st.LookupHash(rec.Hash); err == nil && known {
		res.rec = rec // duplicate: no need to decode
		return res
	}
	img, cfg, err := imageio.Load(data, st.ImageSize(), o.MaxPixels)
	switch {
	case errors.Is(err, imageio.ErrEmpty):
		return skip("empty file", err)
	case errors.Is(err, imageio.ErrNotImage):
		return skip("not an image", err)
	case errors.Is(err, imageio.ErrUnsupported):
		return skip("unsupported format", err)
	case errors.Is(err, imageio.ErrTooLarge):
		return skip("too many pixels", err)
	case err != nil:
		return skip("corrupt or truncated", err)
	}
	png, err := imageio.EncodePNG(img)
	if err != nil {
		return skip("encode", err)
	}
	rec.Width, rec.Height, rec.PNG = cfg.Width, cfg.Height, png
	res.rec = rec
	return res
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}
