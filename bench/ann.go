package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"rgunit/index"
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

// ANNRow is one line of the ANN bench.
type ANNRow struct {
	Dataset        string  `json:"dataset"`
	Engine         string  `json:"engine"` // rgunit, exact
	Ef             int     `json:"ef"`
	Recall         float64 `json:"recall"`
	QPS            float64 `json:"qps"` // single thread
	OverExact      float64 `json:"qps_over_exact"`
	BuildSeconds   float64 `json:"build_seconds"` // one thread
	BytesPerVec    float64 `json:"bytes_per_vector"`
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
		d.Base, cents = index.Clustered(o.N, o.Dim, o.Centres, o.Sigma, o.Seed)
		d.Queries = index.ClusteredQueries(o.Queries, cents, o.Sigma, o.Seed+1)
	case "gaussian":
		d.Base = index.Gaussian(o.N, o.Dim, o.Seed)
		d.Queries = index.Gaussian(o.Queries, o.Dim, o.Seed+1)
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
		if err := ex.Add(uint64(i+1), v); err != nil {
			return 0, err
		}
	}
	// Single-thread QPS on a sample.
	sample := min(len(d.Queries), 100)
	start := time.Now()
	for _, q := range d.Queries[:sample] {
		ex.Search(q, k, nil)
	}
	qps := float64(sample) / time.Since(start).Seconds()
	if len(d.Truth) == len(d.Queries) {
		return qps, nil
	}
	d.Truth = make([][]uint64, len(d.Queries))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rs, _ := ex.Search(d.Queries[i], k, nil)
				for _, r := range rs {
					d.Truth[i] = append(d.Truth[i], r.ID)
				}
			}
		}()
	}
	for i := range d.Queries {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return qps, ctx.Err()
}

// ANN builds rgunit's HNSW over d on one thread and measures recall@10 and
// single-thread QPS for each ef, next to the exact scan measured in the
// same run.
func ANN(ctx context.Context, d *ANNData, o ANNOptions, progress func(string)) ([]ANNRow, error) {
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
	rows := []ANNRow{{Dataset: d.Name, Engine: "exact", Recall: 1, QPS: exactQPS, OverExact: 1,
		BytesPerVec: float64(4 * dim), RawBytesPerVec: float64(4 * dim)}}
	say("%s: building HNSW (M=%d, efConstruction=%d) on one thread", d.Name, o.M, o.EfConstruction)
	h, err := index.NewHNSW(dim, &index.Options{M: o.M, EfConstruction: o.EfConstruction})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	start := time.Now()
	for i, v := range d.Base {
		if i%10000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := h.Add(uint64(i+1), v); err != nil {
			return nil, err
		}
	}
	build := time.Since(start).Seconds()
	mem := float64(h.MemoryBytes()) / float64(len(d.Base))
	for _, ef := range o.Efs {
		res := make([][]index.Result, len(d.Queries))
		start := time.Now()
		for i, q := range d.Queries {
			if res[i], err = h.Search(q, 10, &index.SearchOptions{Ef: max(ef, 10)}); err != nil {
				return nil, err
			}
		}
		qps := float64(len(d.Queries)) / time.Since(start).Seconds()
		rows = append(rows, ANNRow{Dataset: d.Name, Engine: "rgunit", Ef: ef, Recall: index.Recall(res, d.Truth, 10),
			QPS: qps, OverExact: qps / exactQPS, BuildSeconds: build, BytesPerVec: mem, RawBytesPerVec: float64(4 * dim)})
		say("%s: ef=%d recall@10=%.4f qps=%.0f", d.Name, ef, rows[len(rows)-1].Recall, qps)
	}
	return rows, nil
}
