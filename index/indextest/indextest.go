// Package indextest checks that an [index.Index] implementation keeps the
// interface's contract: bad input gets the index package's errors and
// changes nothing, a cancelled context refuses work, Close is idempotent.
// Every implementation's tests call [Contract].
package indextest

import (
	"context"
	"errors"
	"math"
	"testing"

	"rgunit/index"
)

// Contract runs the contract on indexes newIndex makes (empty, L2, of
// dimension dim; each call a new one).
func Contract(t *testing.T, newIndex func(t *testing.T, dim int) index.Index) {
	t.Run("bad input", func(t *testing.T) { badInput(t, newIndex(t, 4)) })
	t.Run("cancelled", func(t *testing.T) { cancelled(t, newIndex(t, 2)) })
}

func badInput(t *testing.T, idx index.Index) {
	ctx := context.Background()
	q := []float32{1, 2, 3, 4}
	if rs, err := idx.Search(ctx, q, 5, nil); err != nil || len(rs) != 0 {
		t.Fatalf("empty search: %v %v", rs, err)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for i, c := range []struct {
		err error
		fn  func() error
	}{
		{index.ErrDimension, func() error { return idx.Add(ctx, 1, []float32{1, 2, 3}) }},
		{index.ErrNotFinite, func() error { return idx.Add(ctx, 1, []float32{1, nan, 3, 4}) }},
		{index.ErrNotFinite, func() error { return idx.Add(ctx, 1, []float32{1, inf, 3, 4}) }},
		{index.ErrNotFound, func() error { return idx.Delete(ctx, 99) }},
		{index.ErrBadK, func() error { _, err := idx.Search(ctx, q, 0, nil); return err }},
		{index.ErrDimension, func() error { _, err := idx.Search(ctx, []float32{1, 2, 3, 4, 5}, 3, nil); return err }},
		{index.ErrNotFinite, func() error { _, err := idx.Search(ctx, []float32{1, 2, 3, nan}, 3, nil); return err }},
	} {
		if err := c.fn(); !errors.Is(err, c.err) {
			t.Errorf("case %d: %v, want %v", i, err, c.err)
		}
	}
	if n := idx.Len(); n != 0 {
		t.Fatalf("%d items after refused adds", n)
	}
	if err := idx.Add(ctx, 7, q); err != nil {
		t.Fatal(err)
	}
	if err := idx.Add(ctx, 7, q); !errors.Is(err, index.ErrExists) {
		t.Errorf("re-add: %v", err)
	}
	if rs, err := idx.Search(ctx, q, 1, nil); err != nil || len(rs) != 1 || rs[0].ID != 7 {
		t.Errorf("search after add: %v %v", rs, err)
	}
	idx.Close()
	if err := idx.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := idx.Search(ctx, q, 1, nil); !errors.Is(err, index.ErrClosed) {
		t.Errorf("search after close: %v", err)
	}
}

func cancelled(t *testing.T, idx index.Index) {
	defer idx.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := idx.Add(ctx, 1, []float32{1, 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Add under a cancelled context: %v", err)
	}
	if _, err := idx.Search(ctx, []float32{1, 2}, 1, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Search under a cancelled context: %v", err)
	}
	if err := idx.Delete(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete under a cancelled context: %v", err)
	}
	if idx.Len() != 0 {
		t.Errorf("%d items after refused adds", idx.Len())
	}
}
