package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"rgunit/bench/coderhnsw"
	"rgunit/index"
	"rgunit/internal/vecgen"
)

// ANNOptions configure ANN. The zero value is the set-up: 100,000
// base vectors of dimension 128, 1,000 queries, 1,000 centres with noise
// 0.1, M=16, efConstruction=200, ef in 10..160.
type ANNOptions struct {
	N, Dim, Queries, Centres int
	Sigma                    float64
	M, EfConstruction        int
	Efs                      []int
	Seed                     uint64
	// FreshReopen, when set, times opening a stored index file in a new
	// process (the command's hidden "bench ann-reopen"): in the bench's own
	// process the reopen follows builds whose memory is still being
	// returned.
	FreshReopen func(ctx context.Context, path string) (seconds float64, err error)
}

func (o *ANNOptions) defaults() {
	if o.N == 0 {
		o.N = 100_000
	}
	if o.Dim == 0 {
		o.Dim = 128
	}
	if o.Queries == 0 {
		o.Queries = 1000
	}
	if o.Centres == 0 {
		o.Centres = 1000
	}
	if o.Sigma == 0 {
		o.Sigma = 0.1
	}
	if o.M == 0 {
		o.M = index.DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = index.DefaultEfConstruction
	}
	if len(o.Efs) == 0 {
		o.Efs = []int{10, 20, 40, 80, 160}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// ANNRow is one line of the ANN bench: one engine at one ef.
type ANNRow struct {
	Dataset   string  `json:"dataset"`
	Engine    string  `json:"engine"` // rgunit, coder-hnsw, exact
	Ef        int     `json:"ef"`
	Recall    float64 `json:"recall"` // recall@10 of the one-thread build
	QPS       float64 `json:"qps"`    // single thread
	OverExact float64 `json:"qps_over_exact"`
	// OverHNSWLib is QPS over hnswlib's at the same ef, in the same run
	// (when hnswlib ran).
	OverHNSWLib float64 `json:"qps_over_hnswlib,omitempty"`
	// BuildSeconds is the one-thread, in-memory build.
	BuildSeconds float64 `json:"build_seconds"`
	// The all-cores build goes through the stored index (bbolt commits
	// included); its graph differs, so its recall is shown too.
	BuildSecondsAll float64 `json:"build_seconds_all_cores,omitempty"`
	Threads         int     `json:"threads,omitempty"`
	RecallAllCores  float64 `json:"recall_all_cores,omitempty"`
	// ReopenSeconds: closing and reopening the stored index; Identical:
	// its results equal those before closing, for every query.
	ReopenSeconds float64 `json:"reopen_seconds,omitempty"`
	// FreshReopenSeconds: opening the same file in a new process.
	FreshReopenSeconds float64 `json:"fresh_reopen_seconds,omitempty"`
	Identical          bool    `json:"reopen_identical,omitempty"`
	Relinked           int     `json:"reopen_relinked,omitempty"` // nodes the reopen had to link again (0 expected)
	// Remote engines (weaviate): nodes, replication factor, and gRPC batch
	// insert throughput (the embedded index's is n / the all-cores build).
	Nodes        int     `json:"nodes,omitempty"`
	Replication  int     `json:"replication,omitempty"`
	InsertPerSec float64 `json:"insert_per_second,omitempty"`
	BytesPerVec  float64 `json:"bytes_per_vector"`
	// PeakRSSMB: the peak resident set (MiB) while the one-thread build
	// ran, the data set included (ours: this process from just before the
	// build; hnswlib: its peer process, which also reads the queries).
	PeakRSSMB      float64 `json:"peak_rss_mb,omitempty"`
	BudgetPerVec   float64 `json:"budget_bytes_per_vector,omitempty"` // raw + 10 bytes per neighbour slot
	RawBytesPerVec float64 `json:"raw_bytes_per_vector"`
}

// ANNData is a base set, queries and exact ground truth.
type ANNData struct {
	Name    string
	Base    [][]float32
	Queries [][]float32
	Truth   [][]uint64 // ids are base position + 1
}

// Synthetic generates the clustered or gaussian set of the options.
func Synthetic(kind string, o ANNOptions) (*ANNData, error) {
	o.defaults()
	d := &ANNData{Name: fmt.Sprintf("%s-%dk-%d", kind, o.N/1000, o.Dim)}
	switch kind {
	case "clustered":
		var cents [][]float32
		d.Base, cents = vecgen.Clustered(o.N, o.Dim, o.Centres, o.Sigma, o.Seed)
		d.Queries = vecgen.ClusteredQueries(o.Queries, cents, o.Sigma, o.Seed+1)
	case "gaussian":
		d.Base = vecgen.Gaussian(o.N, o.Dim, o.Seed)
		d.Queries = vecgen.Gaussian(o.Queries, o.Dim, o.Seed+1)
	default:
		return nil, fmt.Errorf("bench: unknown data set %q (clustered, gaussian)", kind)
	}
	return d, nil
}

// ExactTruth fills d.Truth with the exact top-k by brute force on all cores
// and returns the single-thread exact-scan QPS measured on the first
// queries.
func (d *ANNData) ExactTruth(ctx context.Context, k int) (float64, error) {
	ex, err := index.NewExact(len(d.Base[0]), index.L2)
	if err != nil {
		return 0, err
	}
	for i, v := range d.Base {
		if err := ex.Add(context.Background(), uint64(i+1), v); err != nil {
			return 0, err
		}
	}
	// Single-thread QPS on a sample.
	sample := min(len(d.Queries), 100)
	start := time.Now()
	for _, q := range d.Queries[:sample] {
		ex.Search(context.Background(), q, k, nil)
	}
	qps := float64(sample) / time.Since(start).Seconds()
	if len(d.Truth) == len(d.Queries) {
		return qps, nil
	}
	d.Truth = make([][]uint64, len(d.Queries))
	err = parallelFor(ctx, len(d.Queries), func(i int) {
		rs, _ := ex.Search(context.Background(), d.Queries[i], k, nil)
		for _, r := range rs {
			d.Truth[i] = append(d.Truth[i], r.ID)
		}
	})
	return qps, err
}

// parallelFor runs fn(0..n-1) on all cores and returns ctx's error if it
// ended first (the items not started are skipped).
func parallelFor(ctx context.Context, n int, fn func(i int)) error {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

// Engines the ANN bench knows.
var Engines = []string{"rgunit", "coder-hnsw"}

// AllEngines are every engine the bench can run: Engines, rgunit-sq8 (a
// stored index of byte codes, its float vectors in the file), and hnswlib
// through its peer (Debian's libhnswlib-dev and a C++ compiler).
var AllEngines = []string{"rgunit", "rgunit-sq8", "coder-hnsw", "hnswlib"}

// ANN measures, on d, the exact scan, rgunit's HNSW (one-thread build in
// memory; all-cores build into a stored index in dir, then closed and
// reopened) and, if asked, coder/hnsw: recall@10 and single-thread QPS for
// each ef, next to the exact scan measured in the same run.
func ANN(ctx context.Context, d *ANNData, o ANNOptions, engines []string, dir string, progress func(string)) ([]ANNRow, error) {
	o.defaults()
	say := func(f string, a ...any) {
		if progress != nil {
			progress(fmt.Sprintf(f, a...))
		}
	}
	say("%s: exact ground truth for %d queries", d.Name, len(d.Queries))
	exactQPS, err := d.ExactTruth(ctx, 10)
	if err != nil {
		return nil, err
	}
	dim := len(d.Base[0])
	raw := float64(4 * dim)
	rows := []ANNRow{{Dataset: d.Name, Engine: "exact", Recall: 1, QPS: exactQPS, OverExact: 1, BytesPerVec: raw, RawBytesPerVec: raw}}
	ids := make([]uint64, len(d.Base))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	iopts := index.Options{M: o.M, EfConstruction: o.EfConstruction}
	for _, engine := range engines {
		switch engine {
		case "rgunit":
			r, err := annRgunit(ctx, d, o, iopts, ids, dir, say)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r...)
		case "rgunit-sq8":
			r, err := annSQ8(ctx, d, o, iopts, ids, dir, say)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r...)
		case "coder-hnsw":
			say("%s: building coder/hnsw (M=%d, EfSearch=%d at build) on one thread", d.Name, o.M, o.EfConstruction)
			c, err := coderhnsw.New(dim, &iopts)
			if err != nil {
				return nil, err
			}
			build, err := timeBuild(ctx, c, ids, d.Base)
			if err != nil {
				return nil, err
			}
			for _, ef := range o.Efs {
				recall, qps, _, err := measure(c, d, ef)
				if err != nil {
					return nil, err
				}
				rows = append(rows, ANNRow{Dataset: d.Name, Engine: engine, Ef: ef, Recall: recall, QPS: qps, OverExact: qps / exactQPS,
					BuildSeconds: build, RawBytesPerVec: raw})
				say("%s: coder-hnsw ef=%d recall@10=%.4f qps=%.0f", d.Name, ef, recall, qps)
			}
			c.Close()
		case "hnswlib":
			r, err := annHNSWLib(ctx, d, o, dir, say)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r...)
		default:
			return nil, fmt.Errorf("bench: unknown engine %q (%s)", engine, strings.Join(AllEngines, ", "))
		}
	}
	hnswlibQPS := map[int]float64{}
	for _, r := range rows {
		if r.Engine == "hnswlib" {
			hnswlibQPS[r.Ef] = r.QPS
		}
	}
	for i := range rows {
		rows[i].OverExact = rows[i].QPS / exactQPS
		if q := hnswlibQPS[max(rows[i].Ef, 10)]; q > 0 && rows[i].Engine != "exact" {
			rows[i].OverHNSWLib = rows[i].QPS / q
		}
	}
	return rows, nil
}

func annRgunit(ctx context.Context, d *ANNData, o ANNOptions, iopts index.Options, ids []uint64, dir string, say func(string, ...any)) ([]ANNRow, error) {
	dim := len(d.Base[0])
	say("%s: building rgunit HNSW (M=%d, efConstruction=%d) on one thread", d.Name, o.M, o.EfConstruction)
	h, err := index.NewHNSW(dim, &iopts)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	measurePeak := resetPeakRSS()
	h.Reserve(len(d.Base))
	build, err := timeBuild(ctx, h, ids, d.Base)
	if err != nil {
		return nil, err
	}
	var peak float64
	if measurePeak {
		peak = peakRSSMB()
	}
	mem := float64(h.MemoryBytes()) / float64(len(d.Base))
	budget := float64(4*dim) + 10*float64(h.Slots())/float64(len(d.Base))

	threads := runtime.GOMAXPROCS(0)
	say("%s: building a stored index on %d threads", d.Name, threads)
	path := filepath.Join(dir, "ann.db")
	os.Remove(path)
	s, err := index.OpenFile(path, &index.StoredOptions{Dim: dim, Options: iopts})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := s.AddBatch(ctx, ids, d.Base, threads); err != nil {
		s.Close()
		return nil, err
	}
	buildAll := time.Since(start).Seconds()
	before := make(map[int][][]index.Result)
	for _, ef := range o.Efs {
		_, _, before[ef], err = measure(s, d, ef)
		if err != nil {
			return nil, err
		}
	}
	s.Close()
	fresh, err := freshReopen(ctx, o, path)
	if err != nil {
		return nil, err
	}
	// The reopen is timed as a new process would see it, not charged for
	// collecting the closed index: return that memory first.
	debug.FreeOSMemory()
	start = time.Now()
	s, err = index.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	reopen := time.Since(start).Seconds()
	defer s.Close()
	say("%s: built in %.1f s (1 thread), %.1f s (%d threads, stored); reopened in %.3f s (%.3f s in a new process), %d nodes relinked",
		d.Name, build, buildAll, threads, reopen, fresh, s.Opened().Relinked)

	var rows []ANNRow
	for _, ef := range o.Efs {
		recall, qps, _, err := measure(h, d, ef)
		if err != nil {
			return nil, err
		}
		recallAll, _, after, err := measure(s, d, ef)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ANNRow{Dataset: d.Name, Engine: "rgunit", Ef: ef, Recall: recall, QPS: qps,
			BuildSeconds: build, BuildSecondsAll: buildAll, Threads: threads, RecallAllCores: recallAll, InsertPerSec: float64(len(ids)) / buildAll,
			ReopenSeconds: reopen, FreshReopenSeconds: fresh, Identical: reflect.DeepEqual(before[ef], after), Relinked: s.Opened().Relinked,
			BytesPerVec: mem, BudgetPerVec: budget, RawBytesPerVec: float64(4 * dim), PeakRSSMB: peak})
		say("%s: rgunit ef=%d recall@10=%.4f (all-cores build %.4f) qps=%.0f", d.Name, ef, recall, recallAll, qps)
	}
	return rows, nil
}

// annSQ8 measures a stored SQ8 index (rgunit-sq8): built on all cores
// into dir, closed and reopened (the float vectors stay in the file: the
// bytes per vector are what it holds in memory), then searched on one
// thread at each ef.
func annSQ8(ctx context.Context, d *ANNData, o ANNOptions, iopts index.Options, ids []uint64, dir string, say func(string, ...any)) ([]ANNRow, error) {
	dim, threads := len(d.Base[0]), runtime.GOMAXPROCS(0)
	iopts.Quantize = index.SQ8
	path := filepath.Join(dir, "ann-sq8.db")
	os.Remove(path)
	say("%s: building a stored SQ8 index on %d threads", d.Name, threads)
	s, err := index.OpenFile(path, &index.StoredOptions{Dim: dim, Options: iopts})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = s.AddBatch(ctx, ids, d.Base, threads)
	buildAll := time.Since(start).Seconds()
	if cerr := s.Close(); err != nil || cerr != nil {
		return nil, errors.Join(err, cerr)
	}
	fresh, err := freshReopen(ctx, o, path)
	if err != nil {
		return nil, err
	}
	debug.FreeOSMemory()
	start = time.Now()
	if s, err = index.OpenFile(path, nil); err != nil {
		return nil, err
	}
	reopen := time.Since(start).Seconds()
	defer s.Close()
	mem := float64(s.MemoryBytes()) / float64(len(d.Base))
	var rows []ANNRow
	for _, ef := range o.Efs {
		recall, qps, _, err := measure(s, d, ef)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ANNRow{Dataset: d.Name, Engine: "rgunit-sq8", Ef: ef, Recall: recall, QPS: qps,
			BuildSecondsAll: buildAll, Threads: threads, RecallAllCores: recall, InsertPerSec: float64(len(ids)) / buildAll,
			ReopenSeconds: reopen, FreshReopenSeconds: fresh, BytesPerVec: mem, RawBytesPerVec: float64(4 * dim)})
		say("%s: rgunit-sq8 ef=%d recall@10=%.4f qps=%.0f %.0f bytes/vector", d.Name, ef, recall, qps, mem)
	}
	return rows, nil
}

// freshReopen times opening the stored index at path in a new process (0
// without o.FreshReopen).
func freshReopen(ctx context.Context, o ANNOptions, path string) (float64, error) {
	if o.FreshReopen == nil {
		return 0, nil
	}
	sec, err := o.FreshReopen(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("bench: reopening %s in a new process: %w", path, err)
	}
	return sec, nil
}

// ReopenFile opens the stored index file at path and returns the seconds
// it took (what bench ann-reopen prints).
func ReopenFile(path string) (float64, error) {
	start := time.Now()
	s, err := index.OpenFile(path, nil)
	if err != nil {
		return 0, err
	}
	sec := time.Since(start).Seconds()
	return sec, s.Close()
}

// timeBuild adds every vector on one thread and returns the seconds taken.
func timeBuild(ctx context.Context, ix index.Index, ids []uint64, vecs [][]float32) (float64, error) {
	start := time.Now()
	for i, v := range vecs {
		if i%4096 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err := ix.Add(context.Background(), ids[i], v); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// measure runs the queries at ef (k=10) on one thread and reports the
// best of several passes (at least 3 and 0.3 s in all; the hnswlib peer
// measures the same way): one pass of a fast index lasts milliseconds, and
// the first runs on cold caches.
func measure(ix index.Index, d *ANNData, ef int) (recall, qps float64, res [][]index.Result, err error) {
	res = make([][]index.Result, len(d.Queries))
	best, total := time.Duration(math.MaxInt64), time.Duration(0)
	for pass := 0; pass < 3 || total < 300*time.Millisecond; pass++ {
		start := time.Now()
		for i, q := range d.Queries {
			if res[i], err = ix.Search(context.Background(), q, 10, &index.SearchOptions{Ef: max(ef, 10)}); err != nil {
				return 0, 0, nil, err
			}
		}
		t := time.Since(start)
		best, total = min(best, t), total+t
	}
	qps = float64(len(d.Queries)) / best.Seconds()
	return vecgen.Recall(res, resultID, d.Truth, 10), qps, res, nil
}

// resultID is a search result's id, for vecgen.Recall.
func resultID(r index.Result) uint64 { return r.ID }
