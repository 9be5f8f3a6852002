package rgunit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rgunit/imageio"
	"rgunit/ingest"
	"rgunit/models"
	"rgunit/retrieval"
	"rgunit/storage"
)

// TestItems: EachItem's filters, offset and limit; Item and Image; the
// table and the text a person reads; Open with Existing refuses to make
// a database.
func TestItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "items.db")
	for _, p := range []string{path, filepath.Join(dir, "empty.db")} {
		if p != path {
			os.WriteFile(p, nil, 0o644)
		}
		if _, err := Open(p, &Options{Existing: true}); !errors.Is(err, storage.ErrNoDatabase) {
			t.Fatalf("Existing on %s: %v", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Existing made a file: %v", err)
	}
	db, err := Open(path, &Options{ImageSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	labels, err := ingest.LoadLabels("samples/faces/list_attr.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Items 1-3 labelled, 4-5 not.
	if _, err := db.Ingest(ctx, []string{"samples/faces/000001.png", "samples/faces/000002.png", "samples/faces/000003.png"}, IngestOptions{Model: "none", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, []string{"samples/faces/000004.png", "samples/faces/000005.png"}, IngestOptions{Model: "none"}); err != nil {
		t.Fatal(err)
	}
	ids := func(f ItemFilter) ([]uint64, error) {
		var out []uint64
		err := db.EachItem(ctx, f, func(it Item) error { out = append(out, it.ID); return nil })
		return out, err
	}
	for _, c := range []struct {
		f    ItemFilter
		want []uint64
	}{
		{ItemFilter{}, []uint64{1, 2, 3, 4, 5}},
		{ItemFilter{Labelled: true}, []uint64{1, 2, 3}},
		{ItemFilter{Unlabelled: true}, []uint64{4, 5}},
		{ItemFilter{Offset: 1, Limit: 2}, []uint64{2, 3}},
		{ItemFilter{Labelled: true, Offset: 2, Limit: 5}, []uint64{3}},
		{ItemFilter{Offset: 9}, nil},
		{ItemFilter{HeldBack: true}, []uint64{2}}, // split.HeldBack: 2 of 1..5
		{ItemFilter{HeldBack: true, Unlabelled: true}, nil},
	} {
		if got, err := ids(c.f); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v %v, want %v", c.f, got, err, c.want)
		}
	}
	for _, f := range []ItemFilter{{Labelled: true, Unlabelled: true}, {Limit: -1}, {Offset: -1}} {
		if _, err := ids(f); !errors.Is(err, ErrFilter) {
			t.Errorf("%+v: %v, want ErrFilter", f, err)
		}
	}
	it, err := db.Item(1)
	if err != nil || it.ID != 1 || len(it.SHA256) != 64 || it.Labels["Male"] == 0 || !strings.HasSuffix(it.Path, "000001.png") {
		t.Fatalf("Item(1): %+v %v", it, err)
	}
	if _, err := db.Item(99); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Item(99): %v", err)
	}
	png, err := db.Image(4)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := imageio.DecodePNG(png); err != nil || img.Bounds().Dx() != 32 {
		t.Fatalf("Image(4): %v %v", img.Bounds(), err)
	}
	var buf bytes.Buffer
	tab := NewItemTable(&buf)
	it.Path = "a\nb.png" // a name that would break the listing
	tab.Add(it)
	tab.Flush()
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `"a\nb.png"`) {
		t.Fatalf("table:\n%s", buf.String())
	}
	buf.Reset()
	it.WriteText(&buf, 32, "out.png")
	for _, want := range []string{"id       1\n", "stored 32x32", "sha256   " + it.SHA256, "image    out.png"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("show text lacks %q:\n%s", want, buf.String())
		}
	}
	r, err := db.Check(ctx, false)
	if err != nil || !r.OK() || r.Items != 5 {
		t.Fatalf("Check: %+v %v", r, err)
	}
	buf.Reset()
	r.WriteText(&buf)
	if !strings.Contains(buf.String(), "5 items") || !strings.Contains(buf.String(), "no damage found") {
		t.Fatalf("check text:\n%s", buf.String())
	}
}

// TestImageFiles: a folder is its image files, sorted, without hidden and
// other files; names never collide.
func TestImageFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.jpg", ".hidden.png", "notes.txt", "a.png"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub.png"), 0o755)
	got, err := ImageFiles(dir)
	want := []string{filepath.Join(dir, "a.jpg"), filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ImageFiles: %v %v", got, err)
	}
	if got, _ := ImageFiles("id:4"); !slices.Equal(got, []string{"id:4"}) {
		t.Fatalf("id:4: %v", got)
	}
	if _, err := ImageFiles(filepath.Join(dir, "sub.png")); err == nil {
		t.Fatal("a folder without images was accepted")
	}
	name := OutputNamer()
	var names []string
	for _, p := range []string{"x/a.jpg", "y/a.png", "z/a.png", "a_png.gif"} {
		names = append(names, name(p))
	}
	if want := []string{"a", "a_png", "a_2", "a_png_gif"}; !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
}

// TestVersion: the build's version and the default model's id; a commit
// is shortened and marked when the tree was modified.
func TestVersion(t *testing.T) {
	t.Parallel()
	v := Version()
	if v.DefaultModel == "" || v.Go == "" || v.Version == "" {
		t.Fatalf("%+v", v)
	}
	v.Commit, v.Modified = "0123456789abcdef0123", true
	if s := v.String(); !strings.Contains(s, "(commit 0123456789ab, modified)") || !strings.Contains(s, v.DefaultModel) {
		t.Fatalf("%q", s)
	}
}

// TestLabelFilters: filters on a stored label the model does not know
// (Eyeglasses), alone and ANDed with a model attribute, for image+target
// and attribute-only queries; an unknown label is refused with the list
// of stored ones.
func TestLabelFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var rows []string
	var files []string
	src, err := ingest.LoadLabels("samples/faces/list_attr.txt")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		name := fmt.Sprintf("%06d.png", i)
		row, _ := src.Row(name)
		glasses := -1
		if i%3 == 0 {
			glasses = 1
		}
		rows = append(rows, fmt.Sprintf("%s %d %d %d %d %d %d", name, row["Black_Hair"], row["Blond_Hair"], row["Brown_Hair"], row["Male"], row["Young"], glasses))
		files = append(files, filepath.Join("samples/faces", name))
	}
	lf := filepath.Join(dir, "list_attr.txt")
	os.WriteFile(lf, []byte(fmt.Sprintf("%d\nBlack_Hair Blond_Hair Brown_Hair Male Young Eyeglasses\n%s\n", len(rows), strings.Join(rows, "\n"))), 0o644)
	labels, err := ingest.LoadLabels(lf)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(dir, "l.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Ingest(ctx, files, IngestOptions{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	check := func(what string, ns []retrieval.Neighbour, want map[string]int8, n int) {
		t.Helper()
		if len(ns) != n {
			t.Fatalf("%s: %d results, want %d", what, len(ns), n)
		}
		for _, x := range ns {
			for k, v := range want {
				if x.Labels[k] != v {
					t.Fatalf("%s: id %d has %s=%d", what, x.ID, k, x.Labels[k])
				}
			}
		}
	}
	ns, err := db.QueryAttrs(ctx, "Young", 30, "Eyeglasses=+1")
	if err != nil {
		t.Fatal(err)
	}
	check("attribute query with Eyeglasses=+1", ns, map[string]int8{"Young": 1, "Eyeglasses": 1}, 10) // 30 young of 60, a third with glasses
	res, err := db.Query(ctx, Query{Source: "id:1", Targets: "Blond_Hair", K: 15, Filters: []string{"Eyeglasses=-1", "Male=-1"}, Nearest: true})
	if err != nil {
		t.Fatal(err)
	}
	check("image query with Eyeglasses=-1, Male=-1", res.Neighbours, map[string]int8{"Eyeglasses": -1, "Male": -1}, 15)
	// Without Nearest the value the target names is required too: the
	// blond women without glasses, 10 of them.
	res, err = db.Query(ctx, Query{Source: "id:1", Targets: "Blond_Hair", K: 15, Filters: []string{"Eyeglasses=-1", "Male=-1"}})
	if err != nil {
		t.Fatal(err)
	}
	check("image query to Blond_Hair with Eyeglasses=-1, Male=-1", res.Neighbours, map[string]int8{"Blond_Hair": 1, "Eyeglasses": -1, "Male": -1}, 10)
	for _, f := range [][]string{{"Bogus=+1"}, {"Eyeglasses=2"}, {"Eyeglasses=+1", "Eyeglasses=-1"}} {
		_, err := db.QueryAttrs(ctx, "Young", 5, f...)
		if !errors.Is(err, retrieval.ErrQuery) || (f[0] == "Bogus=+1" && !strings.Contains(err.Error(), "Eyeglasses")) {
			t.Errorf("filters %v: %v", f, err)
		}
	}
}

// TestNamedModels: a shipped model is found by name in $RGUNIT_MODELS and
// listed with its licence note; an unknown name says where it looked.
func TestNamedModels(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RGUNIT_MODELS", dir)
	os.WriteFile(filepath.Join(dir, "mine.rgm"), models.Default, 0o644)
	os.WriteFile(filepath.Join(dir, "mine.NOTICE"), []byte("research use only\nmore text\n"), 0o644)
	if b, err := Bundle("mine"); err != nil || len(b) != len(models.Default) {
		t.Fatalf("Bundle(mine): %v", err)
	}
	ms, err := ShippedModels()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].Name != "default" || !ms[0].Embedded || ms[1].Name != "mine" || ms[1].Licence != "research use only" {
		t.Fatalf("%+v", ms)
	}
	_, err = Bundle("nope")
	if !errors.Is(err, ErrUnknownModel) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("unknown model: %v", err)
	}
	if _, err := CheckIngest([]string{"samples/faces"}, IngestOptions{Model: "nope"}); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("CheckIngest: %v", err)
	}
}
