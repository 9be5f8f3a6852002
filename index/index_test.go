package index

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

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
	data, cents := Clustered(n, dim, centres, 0.1, 42)
	f := &fixture{data: data, queries: ClusteredQueries(nq, cents, 0.1, 43)}
	h, err := NewHNSW(dim, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range data {
		if err := h.Add(uint64(i+1), v); err != nil {
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
		ex.Add(uint64(i+1), v)
	}
	out := make([][]uint64, len(queries))
	for i, q := range queries {
		rs, err := ex.Search(q, k, &SearchOptions{Filter: keep})
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
		rs, err := f.h.Search(q, 10, &SearchOptions{Ef: ef, Filter: filter})
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
	return Recall(res, truth, 10)
}

func TestRecallClustered(t *testing.T) {
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
	for _, m := range []Metric{L2, Cosine, InnerProduct} {
		t.Run(m.String(), func(t *testing.T) {
			data := Gaussian(2000, 16, 5)
			h, _ := NewHNSW(16, &Options{Metric: m})
			ex, _ := NewExact(16, m)
			for i, v := range data {
				h.Add(uint64(i+1), v)
				ex.Add(uint64(i+1), v)
			}
			qs := Gaussian(100, 16, 6)
			var res [][]Result
			var truth [][]uint64
			for _, q := range qs {
				r, _ := h.Search(q, 10, &SearchOptions{Ef: 200})
				e, _ := ex.Search(q, 10, nil)
				res = append(res, r)
				var ids []uint64
				for _, x := range e {
					ids = append(ids, x.ID)
				}
				truth = append(truth, ids)
			}
			if r := Recall(res, truth, 10); r < 0.95 {
				t.Fatalf("%s recall@10 %.3f", m, r)
			}
		})
	}
	// Cosine distance of a vector to a scaled copy of itself is 0.
	h, _ := NewHNSW(3, &Options{Metric: Cosine})
	h.Add(1, []float32{1, 2, 3})
	rs, _ := h.Search([]float32{2, 4, 6}, 1, nil)
	if len(rs) != 1 || math.Abs(float64(rs[0].Distance)) > 1e-6 {
		t.Fatalf("cosine self distance %v", rs)
	}
}

func TestDeleteRecall(t *testing.T) {
	f := buildFixture(t, 10_000, 32, 100, 300, nil)
	deleted := map[uint64]bool{}
	for i := 0; i < len(f.data); i += 10 { // every tenth: 10%
		id := uint64(i + 1)
		if err := f.h.Delete(id); err != nil {
			t.Fatal(err)
		}
		deleted[id] = true
	}
	if f.h.Len() != 9000 {
		t.Fatalf("Len %d", f.h.Len())
	}
	keep := func(id uint64) bool { return !deleted[id] }
	truth := exactTruth(t, f.data, f.queries, 10, keep)
	after := f.recall(t, 64, nil, truth)
	// A fresh build over the remaining vectors, for comparison.
	fresh, _ := NewHNSW(32, nil)
	for i, v := range f.data {
		if keep(uint64(i + 1)) {
			fresh.Add(uint64(i+1), v)
		}
	}
	ff := &fixture{data: f.data, queries: f.queries, h: fresh}
	base := ff.recall(t, 64, nil, truth)
	t.Logf("after deleting 10%%: recall %.4f, fresh build %.4f", after, base)
	if after < base-0.01 {
		t.Fatalf("recall after deletes %.4f, fresh build %.4f", after, base)
	}
	for _, q := range f.queries[:50] {
		rs, _ := f.h.Search(q, 10, nil)
		for _, r := range rs {
			if deleted[r.ID] {
				t.Fatalf("deleted id %d returned", r.ID)
			}
		}
	}
	// A deleted id can be added again.
	if err := f.h.Add(1, f.data[0]); err != nil {
		t.Fatal(err)
	}
	if rs, _ := f.h.Search(f.data[0], 1, nil); rs[0].ID != 1 {
		t.Fatalf("re-added id not found: %v", rs)
	}
}

func TestFilteredRecall(t *testing.T) {
	f := buildFixture(t, 10_000, 32, 100, 200, nil)
	for _, frac := range []int{2, 10, 50, 200, 1000} { // keeps 50%, 10%, 2%, 0.5%, 0.1%
		keep := func(id uint64) bool { return id%uint64(frac) == 0 }
		truth := exactTruth(t, f.data, f.queries, 10, keep)
		r := f.recall(t, 64, keep, truth)
		t.Logf("filter keeping 1/%d: recall@10 %.4f", frac, r)
		if r < 0.95 {
			t.Fatalf("filter keeping 1/%d: recall %.4f", frac, r)
		}
		rs, _ := f.h.Search(f.queries[0], 10, &SearchOptions{Filter: keep})
		for _, x := range rs {
			if !keep(x.ID) {
				t.Fatalf("filter admitted %d", x.ID)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	h, _ := NewHNSW(4, nil)
	ex, _ := NewExact(4, L2)
	for _, idx := range []Index{h, ex} {
		name := fmt.Sprintf("%T", idx)
		if rs, err := idx.Search([]float32{1, 2, 3, 4}, 5, nil); err != nil || len(rs) != 0 {
			t.Fatalf("%s: empty search: %v %v", name, rs, err)
		}
		cases := []struct {
			err error
			fn  func() error
		}{
			{ErrDimension, func() error { return idx.Add(1, []float32{1, 2, 3}) }},
			{ErrNotFinite, func() error { return idx.Add(1, []float32{1, float32(math.NaN()), 3, 4}) }},
			{ErrNotFinite, func() error { return idx.Add(1, []float32{1, float32(math.Inf(-1)), 3, 4}) }},
			{ErrNotFound, func() error { return idx.Delete(99) }},
			{ErrBadK, func() error { _, err := idx.Search([]float32{1, 2, 3, 4}, 0, nil); return err }},
			{ErrDimension, func() error { _, err := idx.Search([]float32{1, 2, 3, 4, 5}, 3, nil); return err }},
			{ErrNotFinite, func() error { _, err := idx.Search([]float32{1, 2, 3, float32(math.NaN())}, 3, nil); return err }},
		}
		for i, c := range cases {
			if err := c.fn(); !errors.Is(err, c.err) {
				t.Errorf("%s case %d: %v, want %v", name, i, err, c.err)
			}
		}
		if err := idx.Add(7, []float32{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
		if err := idx.Add(7, []float32{1, 2, 3, 4}); !errors.Is(err, ErrExists) {
			t.Errorf("%s: re-add: %v", name, err)
		}
		idx.Close()
		if err := idx.Close(); err != nil {
			t.Errorf("%s: second close: %v", name, err)
		}
		if _, err := idx.Search([]float32{1, 2, 3, 4}, 1, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: search after close: %v", name, err)
		}
	}
	if _, err := h.Search([]float32{1, 2, 3, 4}, 10, &SearchOptions{Ef: 5}); !errors.Is(err, ErrBadK) {
		t.Errorf("ef < k: %v", err)
	}
	if _, err := NewHNSW(0, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("dim 0: %v", err)
	}
	if _, err := NewHNSW(4, &Options{M: 1}); !errors.Is(err, ErrOptions) {
		t.Errorf("M=1: %v", err)
	}
	c, _ := NewHNSW(2, &Options{Metric: Cosine})
	if err := c.Add(1, []float32{0, 0}); !errors.Is(err, ErrZeroVector) {
		t.Errorf("zero cosine vector: %v", err)
	}
}

// TestConcurrentSearchAndAdd runs searches while vectors are added and
// deleted; run it with -race.
func TestConcurrentSearchAndAdd(t *testing.T) {
	data, cents := Clustered(3000, 16, 30, 0.1, 9)
	qs := ClusteredQueries(50, cents, 0.1, 10)
	h, _ := NewHNSW(16, &Options{EfConstruction: 64})
	for i, v := range data[:500] {
		h.Add(uint64(i+1), v)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				rs, err := h.Search(qs[(i+w)%len(qs)], 5, nil)
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
			if err := h.Add(uint64(i+1), data[i]); err != nil {
				errs <- err
				return
			}
			if i%7 == 0 {
				h.Delete(uint64(i - 100))
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
	a, c := Gaussian(1, 128, 1)[0], Gaussian(1, 128, 2)[0]
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
	b.Run("vek-simd", func(b *testing.B) { // what l2 uses
		b.ReportAllocs()
		for b.Loop() {
			sink += l2(a, c)
		}
	})
	b.Run("vek-simd-dot", func(b *testing.B) { // dot alone: the kernel L2 would need with cached norms
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
	for n := 1; n <= 70; n++ { // vek panics on empty slices; the index guarantees dim >= 1
		a, b := Gaussian(1, max(n, 1), uint64(n))[0][:n], Gaussian(1, max(n, 1), uint64(n+100))[0][:n]
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
		f.h.Search(f.queries[i%len(f.queries)], 10, nil)
		i++
	}
}
