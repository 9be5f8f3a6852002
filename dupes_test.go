package rgunit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/testenv"
)

// TestDupes: re-encoded and resized copies of 10 faces are each grouped
// with their original, and nothing else is grouped.
func TestDupes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := rgunit.Open(testenv.Shipped(t), &rgunit.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	var paths []string
	origin := map[string]uint64{}
	for id := uint64(10); id < 110; id += 10 {
		png, err := db.Image(id)
		if err != nil {
			t.Fatal(err)
		}
		files, err := bench.CopyVariants(png)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(dir, fmt.Sprintf("%d_%s", id, f.Name))
			os.WriteFile(p, f.Data, 0o644)
			paths = append(paths, p)
			origin[p] = id
		}
	}
	if res, err := db.Ingest(ctx, paths, rgunit.IngestOptions{}); err != nil || res.Added != 30 {
		t.Fatalf("ingest of the copies: %+v %v", res, err)
	}
	groups, err := db.Dupes(ctx, rgunit.DupesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 10 {
		t.Fatalf("%d groups, want 10: %+v", len(groups), groups)
	}
	for _, g := range groups {
		if len(g.IDs) != 4 || g.MaxDistance > rgunit.DefaultDupeThreshold {
			t.Fatalf("group %+v, want an original and its 3 copies", g)
		}
		for _, p := range g.Paths[1:] {
			if origin[p] != g.IDs[0] {
				t.Fatalf("group %+v: %s is not a copy of id %d", g, p, g.IDs[0])
			}
		}
	}
	if _, err := db.Dupes(ctx, rgunit.DupesOptions{Threshold: 2}); !errors.Is(err, rgunit.ErrRequest) {
		t.Fatalf("threshold 2: %v", err)
	}
}
