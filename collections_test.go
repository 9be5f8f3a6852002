package rgunit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit"
	"rgunit/bench"
	"rgunit/ingest"
	"rgunit/internal/testenv"
	"rgunit/split"
)

// TestDupes: re-encoded and resized copies of 10 faces are each grouped
// with their original, and nothing else is grouped.
func TestDupes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.OpenShipped(t)
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

// TestCelebAFilters: on real CelebA photos ingested with their 40 labels,
// filters on labels the model does not know (Eyeglasses, Smiling,
// Wearing_Hat) answer with items that carry them. Skips without
// ../shared/data/celeba10k.
func TestCelebAFilters(t *testing.T) {
	t.Parallel()
	dir := "../shared/data/celeba10k"
	if _, err := os.Stat(filepath.Join(dir, "list_attr.txt")); err != nil {
		t.Skip("no ../shared/data/celeba10k")
	}
	var files []string
	for i := 1; i <= 600; i++ {
		files = append(files, filepath.Join(dir, "images", fmt.Sprintf("%06d.jpg", i)))
	}
	labels, err := ingest.LoadLabels(filepath.Join(dir, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := rgunit.Open(filepath.Join(t.TempDir(), "celeba.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if res, err := db.Ingest(ctx, files, rgunit.IngestOptions{Labels: labels}); err != nil || res.Added != 600 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	ns, err := db.QueryAttrs(ctx, "Young", 10, "Eyeglasses=+1")
	if err != nil || len(ns) == 0 {
		t.Fatalf("Young with Eyeglasses: %v %v", ns, err)
	}
	for _, n := range ns {
		if n.Labels["Eyeglasses"] != 1 || n.Labels["Young"] != 1 {
			t.Fatalf("Young with Eyeglasses=+1 answered %d: %v", n.ID, n.Labels)
		}
	}
	res, err := db.Query(ctx, rgunit.Query{Source: "id:1", Targets: "Blond_Hair", K: 10, Filters: []string{"Smiling=+1", "Wearing_Hat=-1"}})
	if err != nil || len(res.Neighbours) != 10 {
		t.Fatalf("image query with filters: %+v %v", res, err)
	}
	for _, n := range res.Neighbours {
		if n.Labels["Smiling"] != 1 || n.Labels["Wearing_Hat"] != -1 {
			t.Fatalf("Smiling=+1, Wearing_Hat=-1 answered %d: %v", n.ID, n.Labels)
		}
	}
}

// TestDomainWarning: the shipped cartoon model records its training
// images; its own kind of faces are inside that domain, CelebA photos
// (when ../shared has them) are outside it, as an ingest and as a query
// source, and the warning says what to do.
func TestDomainWarning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.OpenShipped(t)
	var ids []uint64
	for id := uint64(1); id <= 300; id++ {
		ids = append(ids, id)
	}
	c, err := db.CheckItemsDomain(ids)
	if err != nil || c == nil || c.Outside || c.Warning() != "" || c.Images != 200 {
		t.Fatalf("the model's own kind of faces: %+v %v", c, err)
	}
	photos := "../shared/data/celeba10k/images"
	if _, err := os.Stat(photos); err != nil {
		t.Skip("no ../shared/data/celeba10k")
	}
	var files []string
	for i := 1; i <= 100; i++ {
		files = append(files, filepath.Join(photos, fmt.Sprintf("%06d.jpg", i)))
	}
	res, err := db.Ingest(ctx, files, rgunit.IngestOptions{})
	if err != nil || res.Domain == nil || !res.Domain.Outside || res.Domain.Images != 100 {
		t.Fatalf("photos: %+v %v", res.Domain, err)
	}
	if w := res.Domain.Warning(); !strings.Contains(w, "--model celeba64") || !strings.Contains(w, "faces12k") {
		t.Fatalf("warning %q", w)
	}
	src, err := db.LoadQuerySource(filepath.Join(photos, "000500.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := db.CheckSourceDomain(src); err != nil || !c.Outside {
		t.Fatalf("a photo as a query source: %+v %v", c, err)
	}
}

// TestPhotoModelDomain: the photo model (models/celeba64.rgm, trained by
// scripts/train-celeba64.sh; not in the repository until shipped) takes
// CelebA photos it never trained on (the held-back tenth of celeba10k, by
// the ids their training ingest gave them) as its own domain, and says the
// cartoon faces are not. It skips without the model file or ../shared.
func TestPhotoModelDomain(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 100 photos and 300 faces with the photo model")
	}
	t.Parallel()
	if _, err := rgunit.FindModel("celeba64"); err != nil {
		t.Skip("no celeba64 model yet: bash scripts/train-celeba64.sh")
	}
	photos := "../shared/data/celeba10k/images"
	if _, err := os.Stat(photos); err != nil {
		t.Skip("no ../shared/data/celeba10k")
	}
	ctx := context.Background()
	db, err := rgunit.Open(filepath.Join(t.TempDir(), "p.db"), &rgunit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The training ingest numbered the files in name order from 1.
	var held []string
	for id := uint64(1); id <= 10000 && len(held) < 100; id++ {
		if split.HeldBack(id) {
			held = append(held, filepath.Join(photos, fmt.Sprintf("%06d.jpg", id)))
		}
	}
	res, err := db.Ingest(ctx, held, rgunit.IngestOptions{Model: "celeba64"})
	if err != nil || res.Domain == nil || res.Domain.Images != len(held) {
		t.Fatalf("held-back photos: %+v %v", res, err)
	}
	if res.Domain.Outside || res.Domain.Warning() != "" {
		t.Fatalf("the photo model warns on held-back photos: %s", res.Domain.Warning())
	}
	cartoon, err := db.Ingest(ctx, []string{testenv.Faces()}, rgunit.IngestOptions{})
	if err != nil || cartoon.Domain == nil || !cartoon.Domain.Outside {
		t.Fatalf("cartoon faces on the photo model: %+v %v", cartoon.Domain, err)
	}
}
