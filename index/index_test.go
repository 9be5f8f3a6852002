package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"rgunit/internal/vecgen"

	"github.com/viterin/vek/vek32"
)

// fixture is a built index over a clustered set with exact ground truth.
type fixture struct {
	data, queries [][]float32
	truth         [][]uint64 // ids are position + 1
	h             *HNSW
}

func buildFixture(t testing.TB, n, dim, centres, nq int, opts *Options) *fixture {
	t.Helper()
	data, cents := vecgen.Clustered(n, dim, centres, 0.1, 42)
	f := &fixture{data: data, queries: vecgen.ClusteredQueries(nq, cents, 0.1, 43)}
	h, err := NewHNSW(dim, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range data {
		if err := h.Add(context.Background(), uint64(i+1), v); err != nil {
			t.Fatal(err)
		}
	}
	f.h = h
	f.truth = exactTruth(t, data, f.queries, 10, nil)
	return f
}

// exactTruth returns the exact top-k ids (position+1) of each query among
// the vectors keep admits.
func exactTruth(t testing.TB, data, queries [][]float32, k int, keep func(uint64) bool) [][]uint64 {
	ex, _ := NewExact(len(data[0]), L2)
	for i, v := range data {
		ex.Add(context.Background(), uint64(i+1), v)
	}
	out := make([][]uint64, len(queries))
	for i, q := range queries {
		rs, err := ex.Search(context.Background(), q, k, &SearchOptions{Filter: keep})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out[i] = append(out[i], r.ID)
		}
	}
	return out
}

func (f *fixture) recall(t testing.TB, ef int, filter func(uint64) bool, truth [][]uint64) float64 {
	t.Helper()
	res := make([][]Result, len(f.queries))
	for i, q := range f.queries {
		rs, err := f.h.Search(context.Background(), q, 10, &SearchOptions{Ef: ef, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		for j := 1; j < len(rs); j++ {
			if rs[j].Distance < rs[j-1].Distance {
				t.Fatalf("results not sorted: %v", rs)
			}
		}
		res[i] = rs
	}
	return vecgen.Recall(res, resultID, truth, 10)
}

func TestRecallClustered(t *testing.T) {
	t.Parallel()
	f := buildFixture(t, 10_000, 32, 100, 300, nil)
	prev := 0.0
	for _, ef := range []int{10, 20, 40, 80, 160} {
		r := f.recall(t, ef, nil, f.truth)
		t.Logf("ef=%d recall@10=%.4f", ef, r)
		if ef >= 40 && r < 0.95 {
			t.Fatalf("recall@10 at ef=%d is %.4f, want >= 0.95", ef, r)
		}
		if r < prev-0.02 {
			t.Fatalf("recall fell from %.4f to %.4f as ef grew to %d", prev, r, ef)
		}
		prev = r
	}
	if prev < 0.99 {
		t.Fatalf("recall@10 at ef=160 is %.4f, want >= 0.99", prev)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	for _, m := range []Metric{L2, Cosine, InnerProduct} {
		t.Run(m.String(), func(t *testing.T) {
			data := vecgen.Gaussian(2000, 16, 5)
			h, _ := NewHNSW(16, &Options{Metric: m})
			ex, _ := NewExact(16, m)
			for i, v := range data {
				h.Add(context.Background(), uint64(i+1), v)
				ex.Add(context.Background(), uint64(i+1), v)
			}
			qs := vecgen.Gaussian(100, 16, 6)
			var res [][]Result
			var truth [][]uint64
			for _, q := range qs {
				r, _ := h.Search(context.Background(), q, 10, &SearchOptions{Ef: 200})
				e, _ := ex.Search(context.Background(), q, 10, nil)
				res = append(res, r)
				var ids []uint64
				for _, x := range e {
					ids = append(ids, x.ID)
				}
				truth = append(truth, ids)
			}
			if r := vecgen.Recall(res, resultID, truth, 10); r < 0.95 {
				t.Fatalf("%s recall@10 %.3f", m, r)
			}
		})
	}
	// Cosine distance of a vector to a scaled copy of itself is 0.
	h, _ := NewHNSW(3, &Options{Metric: Cosine})
	h.Add(context.Background(), 1, []float32{1, 2, 3})
	rs, _ := h.Search(context.Background(), []float32{2, 4, 6}, 1, nil)
	if len(rs) != 1 || math.Abs(float64(rs[0].Distance)) > 1e-6 {
		t.Fatalf("cosine self distance %v", rs)
	}
}

func TestDeleteRecall(t *testing.T) {
	t.Parallel()
	f := buildFixture(t, 10_000, 32, 100, 300, nil)
	deleted := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, i := range rng.Perm(len(f.data))[:len(f.data)/10] { // a random 10%
		id := uint64(i + 1)
		if err := f.h.Delete(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		deleted[id] = true
	}
	// Repair: no live node lists a deleted node that lists it back, and
	// every live node is still reachable.
	for i := range int(f.h.n.Load()) {
		if f.h.nodeState(uint32(i)) != stateLive {
			continue
		}
		for _, nb := range f.h.readList(uint32(i), 0, nil) {
			if f.h.nodeState(nb) == stateDeleted && slices.Contains(f.h.readList(nb, 0, nil), uint32(i)) {
				t.Fatalf("live node %d still lists deleted neighbour %d", i, nb)
			}
		}
	}
	if rep := f.h.Check(); len(rep.Unreachable) != 0 || rep.Deleted != 1000 || rep.Live != 9000 {
		t.Fatalf("check after deletes: %d unreachable, %+v", len(rep.Unreachable), rep)
	}
	if f.h.Len() != 9000 {
		t.Fatalf("Len %d", f.h.Len())
	}
	for id := uint64(1); id <= 10_000; id++ {
		if f.h.Has(id) == deleted[id] {
			t.Fatalf("Has(%d) = %v after deleting %v", id, f.h.Has(id), deleted[id])
		}
	}
	if f.h.Has(0) || f.h.Has(10_001) {
		t.Fatal("Has of an id never added")
	}
	keep := func(id uint64) bool { return !deleted[id] }
	truth := exactTruth(t, f.data, f.queries, 10, keep)
	after := f.recall(t, 20, nil, truth)
	// A fresh build over the remaining vectors, for comparison.
	fresh, _ := NewHNSW(32, nil)
	for i, v := range f.data {
		if keep(uint64(i + 1)) {
			fresh.Add(context.Background(), uint64(i+1), v)
		}
	}
	ff := &fixture{data: f.data, queries: f.queries, h: fresh}
	base := ff.recall(t, 20, nil, truth)
	t.Logf("after deleting 10%%: recall %.4f, fresh build %.4f", after, base)
	if after < base-0.01 {
		t.Fatalf("recall after deletes %.4f, fresh build %.4f", after, base)
	}
	for _, q := range f.queries[:50] {
		rs, _ := f.h.Search(context.Background(), q, 10, nil)
		for _, r := range rs {
			if deleted[r.ID] {
				t.Fatalf("deleted id %d returned", r.ID)
			}
		}
	}
	// A deleted id can be added again.
	var again uint64
	for id := range deleted {
		again = id
		break
	}
	if err := f.h.Add(context.Background(), again, f.data[again-1]); err != nil {
		t.Fatal(err)
	}
	if rs, _ := f.h.Search(context.Background(), f.data[again-1], 1, nil); rs[0].ID != again {
		t.Fatalf("re-added id not found: %v", rs)
	}
}

// TestParallelBuild: a build on several goroutines reaches the recall of
// a serial build, and its graph is consistent.
func TestParallelBuild(t *testing.T) {
	t.Parallel()
	f := buildFixture(t, 10_000, 32, 100, 300, nil)
	serial := f.recall(t, 20, nil, f.truth)
	par, _ := NewHNSW(32, nil)
	if err := par.AddBatch(context.Background(), idsFor(0, len(f.data)), f.data, 4); err != nil {
		t.Fatal(err)
	}
	pf := &fixture{data: f.data, queries: f.queries, h: par}
	parallel := pf.recall(t, 20, nil, f.truth)
	t.Logf("recall@10 at ef 20: serial %.4f, 4 goroutines %.4f", serial, parallel)
	if parallel < serial-0.01 {
		t.Fatalf("parallel build recall %.4f, serial %.4f", parallel, serial)
	}
	if rep := par.Check(); len(rep.Unreachable) != 0 || rep.Live != len(f.data) {
		t.Fatalf("parallel build: %d unreachable, %d live", len(rep.Unreachable), rep.Live)
	}
}

// TestConcurrentBuildAndSearch runs a parallel batch insert while other
// goroutines search (run it with -race).
// TestConcurrentBuildAndSearch: searches run during a parallel batch
// insert, in memory (float, SQ8) and stored (SQ8: re-ranking reads
// vectors pending their commit, from the float file and from the bucket).
func TestConcurrentBuildAndSearch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		open func(t *testing.T) batchIndex
	}{
		{"float", func(*testing.T) batchIndex { h, _ := NewHNSW(16, &Options{EfConstruction: 64}); return h }},
		{"sq8", func(*testing.T) batchIndex {
			h, _ := NewHNSW(16, &Options{EfConstruction: 64, Quantize: SQ8})
			return h
		}},
		{"stored-sq8", func(t *testing.T) batchIndex {
			s, err := OpenFile(filepath.Join(t.TempDir(), "ix.db"), &StoredOptions{Dim: 16, CommitEvery: 500,
				Options: Options{EfConstruction: 64, Quantize: SQ8}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := c.open(t)
			defer h.Close()
			concurrentBuildAndSearch(t, h)
		})
	}
}

// batchIndex is an index with parallel batch inserts.
type batchIndex interface {
	Index
	AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error
}

func concurrentBuildAndSearch(t *testing.T, h batchIndex) {
	data, cents := vecgen.Clustered(4000, 16, 40, 0.1, 11)
	qs := vecgen.ClusteredQueries(50, cents, 0.1, 12)
	if err := h.AddBatch(context.Background(), idsFor(0, 100), data[:100], 2); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if rs, err := h.Search(context.Background(), qs[(i+w)%len(qs)], 5, nil); err != nil || len(rs) == 0 {
					t.Errorf("search during build: %v %v", rs, err)
					return
				}
			}
		}()
	}
	err := h.AddBatch(context.Background(), idsFor(100, len(data)), data[100:], 4)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != len(data) {
		t.Fatalf("Len %d", h.Len())
	}
}

// TestFilteredRecall: filters from 50% to 0.1% of the items (walk and
// exact scan), float and SQ8; the SQ8 index is filled one Add at a time,
// so its quantizer is fitted again as it grows.
func TestFilteredRecall(t *testing.T) {
	t.Parallel()
	for _, quant := range []Quantization{Float, SQ8} {
		t.Run(quant.String(), func(t *testing.T) {
			t.Parallel()
			f := buildFixture(t, 10_000, 32, 100, 200, &Options{Quantize: quant})
			for _, frac := range []int{1, 2, 10, 50, 200, 1000} { // keeps all, 50%, 10%, 2%, 0.5%, 0.1%
				keep := func(id uint64) bool { return id%uint64(frac) == 0 }
				truth := exactTruth(t, f.data, f.queries, 10, keep)
				r := f.recall(t, 64, keep, truth)
				t.Logf("filter keeping 1/%d: recall@10 %.4f", frac, r)
				if r < 0.95 {
					t.Fatalf("filter keeping 1/%d: recall %.4f", frac, r)
				}
				rs, _ := f.h.Search(context.Background(), f.queries[0], 10, &SearchOptions{Filter: keep})
				for _, x := range rs {
					if !keep(x.ID) {
						t.Fatalf("filter admitted %d", x.ID)
					}
				}
			}
		})
	}
}

// TestBadInputHNSW: what the contract (contract_test.go) does not cover.
func TestBadInputHNSW(t *testing.T) {
	t.Parallel()
	h, _ := NewHNSW(4, nil)
	if _, err := h.Search(context.Background(), []float32{1, 2, 3, 4}, 10, &SearchOptions{Ef: 5}); !errors.Is(err, ErrBadK) {
		t.Errorf("ef < k: %v", err)
	}
	if _, err := NewHNSW(0, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("dim 0: %v", err)
	}
	if _, err := NewHNSW(4, &Options{M: 1}); !errors.Is(err, ErrOptions) {
		t.Errorf("M=1: %v", err)
	}
	c, _ := NewHNSW(2, &Options{Metric: Cosine})
	if err := c.Add(context.Background(), 1, []float32{0, 0}); !errors.Is(err, ErrZeroVector) {
		t.Errorf("zero cosine vector: %v", err)
	}
}

// TestConcurrentSearchAndAdd runs searches while vectors are added and
// deleted; run it with -race.
func TestConcurrentSearchAndAdd(t *testing.T) {
	t.Parallel()
	data, cents := vecgen.Clustered(3000, 16, 30, 0.1, 9)
	qs := vecgen.ClusteredQueries(50, cents, 0.1, 10)
	h, _ := NewHNSW(16, &Options{EfConstruction: 64})
	for i, v := range data[:500] {
		h.Add(context.Background(), uint64(i+1), v)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				rs, err := h.Search(context.Background(), qs[(i+w)%len(qs)], 5, nil)
				if err != nil || len(rs) == 0 {
					errs <- fmt.Errorf("search: %v %v", rs, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 500; i < len(data); i++ {
			if err := h.Add(context.Background(), uint64(i+1), data[i]); err != nil {
				errs <- err
				return
			}
			if i%7 == 0 {
				h.Delete(context.Background(), uint64(i-100))
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func BenchmarkDistance(b *testing.B) {
	a, c := vecgen.Gaussian(1, 128, 1)[0], vecgen.Gaussian(1, 128, 2)[0]
	plain := func(x, y []float32) float32 {
		var s float32
		for i := range x {
			d := x[i] - y[i]
			s += d * d
		}
		return s
	}
	var sink float32
	b.Run("go-unrolled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += goL2(a, c)
		}
	})
	b.Run("asm-avx2", func(b *testing.B) { // what l2 uses
		b.ReportAllocs()
		for b.Loop() {
			sink += l2(a, c)
		}
	})
	b.Run("asm-avx2-dot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += dot(a, c)
		}
	})
	b.Run("vek-simd", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += vekL2(a, c)
		}
	})
	b.Run("vek-simd-dot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += vek32.Dot(a, c)
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += plain(a, c)
		}
	})
	_ = sink
}

// TestKernelsAgree: the SIMD kernels and the pure-Go ones give the same
// distances (up to float rounding) for every length, tails included.
func TestKernelsAgree(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 70; n++ { // the kernels need n >= 1; the index guarantees dim >= 1
		a, b := vecgen.Gaussian(1, max(n, 1), uint64(n))[0][:n], vecgen.Gaussian(1, max(n, 1), uint64(n+100))[0][:n]
		if d1, d2 := l2(a, b), goL2(a, b); math.Abs(float64(d1-d2)) > 1e-4*math.Max(1, float64(d2)) {
			t.Fatalf("n=%d: l2 %v vs %v", n, d1, d2)
		}
		if d1, d2 := dot(a, b), goDot(a, b); math.Abs(float64(d1-d2)) > 1e-4*math.Max(1, math.Abs(float64(d2))) {
			t.Fatalf("n=%d: dot %v vs %v", n, d1, d2)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	f := buildFixture(b, 10_000, 32, 100, 200, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.h.Search(context.Background(), f.queries[i%len(f.queries)], 10, nil)
		i++
	}
}

// BenchmarkSearchHop is the per-hop case of rgunit bench ann: clustered
// 50k x 128, ef 10 (recall about 0.95), one thread, the index built on all
// cores. Compare builds in alternating rounds (machines are noisy).
func BenchmarkSearchHop(b *testing.B) {
	data, cents := vecgen.Clustered(50_000, 128, 1000, 0.1, 42)
	qs := vecgen.ClusteredQueries(2000, cents, 0.1, 43)
	h, _ := NewHNSW(128, nil)
	ids := make([]uint64, len(data))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	if err := h.AddBatch(context.Background(), ids, data, 0); err != nil {
		b.Fatal(err)
	}
	o := &SearchOptions{Ef: 10}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Search(context.Background(), qs[i%len(qs)], 10, o)
		i++
	}
}

// resultID is a search result's id, for vecgen.Recall.
func resultID(r Result) uint64 { return r.ID }

// TestNotFinite: a NaN or an infinity anywhere in a vector or a query is
// refused with ErrNotFinite naming the component (the check sums x*0 first,
// so a slip there would let one through).
func TestNotFinite(t *testing.T) {
	t.Parallel()
	h, _ := NewHNSW(20, nil)
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for _, at := range []int{0, 7, 19} {
			v := make([]float32, 20)
			v[at] = bad
			if err := h.Add(context.Background(), 1, v); !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), fmt.Sprintf("component %d", at)) {
				t.Errorf("add %v at %d: %v", bad, at, err)
			}
			if _, err := h.Search(context.Background(), v, 1, nil); !errors.Is(err, ErrNotFinite) {
				t.Errorf("query %v at %d: %v", bad, at, err)
			}
		}
	}
	big := make([]float32, 20)
	big[3] = math.MaxFloat32
	if err := h.Add(context.Background(), 1, big); err != nil {
		t.Errorf("the largest finite float32 refused: %v", err)
	}
}

// TestVisitedWrap: the 16-bit generation wraps every 65,535 searches; the
// set must still start empty each time (a stale mark would hide a node).
func TestVisitedWrap(t *testing.T) {
	t.Parallel()
	var v visited
	for round := range 70_000 {
		v.reset(8)
		id := uint32(round % 8)
		if !v.visit(id) || v.visit(id) {
			t.Fatalf("round %d: id %d not new, or new twice", round, id)
		}
		for other := uint32(0); other < 8; other++ {
			if other != id && v.marks[other] == v.gen {
				t.Fatalf("round %d (generation %d): id %d marked without a visit", round, v.gen, other)
			}
		}
	}
}

// TestDistancesGather: the one-call distances of a node's neighbours (the
// gather kernels on AVX2) equal the distances one by one, float and SQ8,
// L2 and cosine, at dimensions around the kernels' unrolled widths.
func TestDistancesGather(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{}, {Quantize: SQ8}, {Metric: Cosine, Quantize: SQ8}} {
		for _, dim := range []int{1, 7, 8, 31, 33, 100, 128} {
			h, _ := NewHNSW(dim, &o)
			data := vecgen.Gaussian(50, dim, uint64(dim))
			if err := h.AddBatch(context.Background(), idsFor(0, 50), data, 1); err != nil {
				t.Fatal(err)
			}
			v, _ := Prepare(vecgen.Gaussian(1, dim, 7)[0], dim, o.Metric)
			q := h.probeFor(v, &probe{})
			ids := []uint32{49, 0, 17, 17, 3, 48}
			out := make([]float32, len(ids))
			h.distances(q, ids, out)
			for j, i := range ids {
				want := h.distTo(q, i)
				if o.Quantize == Float {
					want = goL2(q.v, data[i])
				}
				if math.Abs(float64(out[j]-want)) > 1e-4*math.Max(1, float64(want)) {
					t.Fatalf("%+v dim %d: distance to node %d %v, want %v", o, dim, i, out[j], want)
				}
			}
		}
	}
}
