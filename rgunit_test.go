package rgunit

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"rgunit/embed"
	"rgunit/guided"
)

// TestIngestModels: a new database gets the shipped models, "none" is
// remembered, another bundle over a database's own models is refused with
// ErrModels and nothing is ingested.
func TestIngestModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	none, err := Open(filepath.Join(dir, "none.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	res, err := none.Ingest(ctx, []string{"samples/faces/000001.png"}, IngestOptions{Model: "none"})
	if err != nil || res.Imported != nil || res.Index != nil || res.Added != 1 {
		t.Fatalf("--model none: %+v %v", res, err)
	}
	if res, err := none.Ingest(ctx, []string{"samples/faces/000002.png"}, IngestOptions{}); err != nil || res.Imported != nil {
		t.Fatalf("a later ingest gave a none database models: %+v %v", res, err)
	}
	if _, err := none.Query(ctx, Query{Source: "id:1", Targets: "Young"}); !errors.Is(err, ErrNoModels) {
		t.Fatalf("query without models: %v", err)
	}
	if _, err := none.Ingest(ctx, []string{"samples/faces/000003.png"}, IngestOptions{Model: filepath.Join(dir, "missing.rgm")}); !errors.Is(err, ErrModels) {
		t.Fatalf("a missing bundle: %v", err)
	}
	if _, err := none.Ingest(ctx, []string{""}, IngestOptions{}); err == nil {
		t.Fatal("an empty path was accepted")
	}
	if s, _ := none.Stats(); s.Items != 2 {
		t.Fatalf("%d items after the refused ingests, want 2", s.Items)
	}
}

// TestLoadSource: a stored file is that item (its id and labels); id:N
// reads the item; a bad id is refused.
func TestLoadSource(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Ingest(context.Background(), []string{"samples/faces/000005.png"}, IngestOptions{Model: "none"}); err != nil {
		t.Fatal(err)
	}
	s := embed.Schema{Attrs: []string{"Male"}, Dim: 8}
	for _, spec := range []string{"samples/faces/000005.png", "id:1"} {
		src, err := LoadSource(db.Store(), spec, s, 32)
		if err != nil || src.ID != 1 || len(src.X) != 3*32*32 || src.Image.Bounds().Dx() != 64 {
			t.Fatalf("%s: %+v %v", spec, src, err)
		}
	}
	if src, err := LoadSource(db.Store(), "samples/faces/000006.png", s, 32); err != nil || src.ID != 0 {
		t.Fatalf("a file not stored: %+v %v", src, err)
	}
	for _, bad := range []string{"id:0", "id:x", "id:7"} {
		if _, err := LoadSource(db.Store(), bad, s, 32); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// TestBundleRoundTrip: a database's models, exported, give another
// database the same neighbours.
func TestBundleRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := Open(filepath.Join(t.TempDir(), "a.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Ingest(ctx, []string{"samples/faces"}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := a.ExportBundle(guided.Provenance{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ingest(ctx, []string{"samples/faces"}, IngestOptions{Model: "none"}); err != nil {
		t.Fatal(err)
	}
	if _, s, err := c.ImportBundle(ctx, b, nil); err != nil || s.Indexed != 300 {
		t.Fatalf("import: %+v %v", s, err)
	}
	qa, err := a.Query(ctx, Query{Source: "id:9", Targets: "Young", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	qc, err := c.Query(ctx, Query{Source: "id:9", Targets: "Young", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range qa.Neighbours {
		if qa.Neighbours[i].ID != qc.Neighbours[i].ID {
			t.Fatalf("neighbour %d: %d vs %d", i, qa.Neighbours[i].ID, qc.Neighbours[i].ID)
		}
	}
	if _, _, err := a.ImportBundle(ctx, b, nil); err != nil {
		t.Fatalf("the same bundle again: %v", err)
	}
}
