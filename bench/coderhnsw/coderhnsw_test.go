package coderhnsw

import (
	"context"
	"errors"
	"testing"

	"rgunit/index"
	"rgunit/index/indextest"
	"rgunit/internal/vecgen"
)

func TestContract(t *testing.T) {
	t.Parallel()
	indextest.Contract(t, func(t *testing.T, dim int) index.Index { x, _ := New(dim, nil); return x })
}

// TestAdapter: the adapter over coder/hnsw survives what makes
// upstream panic (deletes then search, re-adds) and returns sorted results.
func TestAdapter(t *testing.T) {
	t.Parallel()
	data, _ := vecgen.Clustered(3000, 16, 30, 0.1, 21)
	c, _ := New(16, nil)
	for i, v := range data {
		if err := c.Add(context.Background(), uint64(i+1), v); err != nil {
			t.Fatal(err)
		}
	}
	for id := uint64(1); id <= 3000; id += 3 {
		if err := c.Delete(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2000 {
		t.Fatalf("Len %d", c.Len())
	}
	for _, q := range data[:100] {
		rs, err := c.Search(context.Background(), q, 10, &index.SearchOptions{Ef: 40})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if r.ID%3 == 1 {
				t.Fatalf("deleted id %d returned", r.ID)
			}
			if i > 0 && r.Distance < rs[i-1].Distance {
				t.Fatalf("unsorted results: %v", rs)
			}
		}
	}
	if err := c.Add(context.Background(), 2, data[1]); !errors.Is(err, index.ErrExists) {
		t.Fatalf("re-add: %v", err)
	}
}
