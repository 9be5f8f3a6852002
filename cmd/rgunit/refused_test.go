package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit/index"
	"rgunit/storage"
)

// TestRefusedInputs: bad input that used to slip through (issue 21, items
// 7, 8 and 11) is refused with a message that says what to do, and an
// empty file given as --db stays an empty file.
func TestRefusedInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "faces.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	badLabels := filepath.Join(dir, "bad.txt")
	os.WriteFile(badLabels, []byte("Bl,ond Male\n000001.png 1 1\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"empty path", []string{"ingest", "", "--db", filepath.Join(dir, "x.db")}, "empty path"},
		{"attribute name", []string{"ingest", faces + "/000001.png", "--labels", badLabels, "--db", filepath.Join(dir, "y.db")}, `attribute name "Bl,ond"`},
		{"missing labels", []string{"ingest", faces, "--labels", filepath.Join(dir, "nope.txt"), "--db", filepath.Join(dir, "z.db")}, "no such file"},
		{"query on an empty file", []string{"query", "id:1", "--to", "Young", "--db", empty}, "empty file, not an rgunit database"},
		{"translate on an empty file", []string{"translate", "id:1", "--to", "Young", "--db", empty}, "empty file"},
		{"rm on an empty file", []string{"rm", "1", "--db", empty}, "empty file"},
		{"reindex on an empty file", []string{"reindex", "--db", empty}, "empty file"},
		{"train on an empty file", []string{"train", "unit", "--db", empty, "--steps", "1"}, "empty file"},
		{"sync on an empty file", []string{"sync", "--db", empty}, "empty file"},
		{"a filter twice", []string{"query", "id:1", "--to", "Young", "--filter", "Male=+1", "--filter", "Male=-1", "--db", db}, "--filter names Male twice"},
		{"ls -n -1", []string{"ls", "-n", "-1", "--db", db}, "-n -1"},
		{"classifier without steps", []string{"train", "classifier", "--steps", "0", "--db", db}, "--steps 0"},
		{"no checkpoints", []string{"train", "unit", "--checkpoint-every", "0", "--json", "--db", db}, "--checkpoint-every 0"},
		{"negative steps", []string{"train", "retrieval", "--steps", "-2", "--db", db}, "--steps -2"},
		{"parts that do not divide the batch", []string{"train", "unit", "--parts", "3", "--db", db}, "3 parts of 8 images"},
		{"negative reach, export", []string{"model", "export", "--reach", "-1", "--out", filepath.Join(dir, "r.rgm"), "--db", db}, "--reach -1"},
		{"negative reach, bench", []string{"bench", "translate", "--reach", "-1", "--db", db}, "--reach -1"},
		{"infinite reach", []string{"bench", "translate", "--reach", "Inf", "--db", db}, "--reach +Inf"},
		{"negative limit", []string{"train", "unit", "--limit", "-1", "--db", db}, "--limit -1"},
		{"ingest batch 0", []string{"ingest", faces, "--batch", "0", "--db", filepath.Join(dir, "b.db")}, "--batch 0"},
		{"negative workers", []string{"ingest", faces, "--workers", "-2", "--db", filepath.Join(dir, "w.db")}, "--workers -2"},
	}
	for _, c := range cases {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want %q)", c.name, err, c.want)
		}
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty --db file was written: %v %v", fi, err)
	}
	for _, p := range []string{"x.db", "y.db", "b.db", "w.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("a refused ingest created %s", p)
		}
	}
}

// TestTranslateSameStems: a folder holding a.png and a.jpg gets outputs
// and sheets for both, none overwriting the other's.
func TestTranslateSameStems(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), t.TempDir()
	raw, err := os.ReadFile(faces + "/000001.png")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.png"), raw, 0o644)
	raw2, _ := os.ReadFile(faces + "/000002.png")
	os.WriteFile(filepath.Join(dir, "a.jpg"), raw2, 0o644) // PNG bytes: decoded by content
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	mustRun(t, "translate", dir, "--to", "Young", "--db", db, "--out", out, "-q")
	for _, f := range []string{"a_to_Young_1.png", "a_png_to_Young_1.png", "a_sheet.png", "a_png_sheet.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

// TestLsControlCharacters: a file name with a newline and a tab is listed
// quoted, on one line.
func TestLsControlCharacters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw, err := os.ReadFile(faces + "/000001.png")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a\nb\tc.png"), raw, 0o644)
	db := filepath.Join(t.TempDir(), "l.db")
	mustRun(t, "ingest", dir, "--db", db, "--model", "none", "-q")
	out := mustRun(t, "ls", "--db", db)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `a\nb\tc.png"`) {
		t.Fatalf("ls:\n%s", out)
	}
}

// TestCheck: check passes a healthy database, finds index entries whose
// items were deleted behind the index's back and items that lost their
// attribute posteriors, and --repair rebuilds them.
func TestCheck(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	if out := mustRun(t, "check", "--db", db); !strings.Contains(out, "300 items, 300 indexed") || !strings.Contains(out, "no damage found") {
		t.Fatalf("check on a healthy database:\n%s", out)
	}
	st, err := storage.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(7, 8); err != nil { // the store alone, as a crash between the two used to leave it
		t.Fatal(err)
	}
	if err := st.DropVectors("attrs-1"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, _, err := run(t, "check", "--db", db)
	if err == nil || !strings.Contains(out, "2 index entries without an item (ids [7 8])") || !strings.Contains(out, "298 items without attribute posteriors") {
		t.Fatalf("check on a damaged database: %v\n%s", err, out)
	}
	mustRun(t, "check", "--db", db, "--repair")
	if out := mustRun(t, "check", "--db", db); !strings.Contains(out, "298 items, 298 indexed") || !strings.Contains(out, "no damage found") {
		t.Fatalf("after --repair:\n%s", out)
	}
}

// TestReadersTogether: query and translate open the database read-only,
// so they run while another reader holds it (before, they waited for an
// exclusive lock and failed with "in use").
func TestReadersTogether(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "r.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	reader, err := storage.Open(db, &storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	mustRun(t, "query", "id:1", "--to", "Young", "-k", "3", "--db", db)
	mustRun(t, "translate", "id:1", "--to", "Young", "--db", db, "--out", t.TempDir())
	if _, _, err := run(t, "rm", "5", "--db", db); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("rm while a reader holds the file: %v", err)
	}
}

// TestPartIndexed: after an interrupted indexing (two items' index entries
// gone), stats says how many items are not searchable, and query and
// translate warn.
func TestPartIndexed(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	st, err := storage.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := index.OpenStored(st.Records(), []string{storage.IndexBucket, "retrieval-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.DeleteBatch(context.Background(), []uint64{9, 10}); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	st.Close()
	if out := mustRun(t, "stats", "--db", db); !strings.Contains(out, "298 of 300 items indexed: 2 not searchable (run rgunit reindex --update)") {
		t.Fatalf("stats:\n%s", out)
	}
	for _, args := range [][]string{{"query", "id:1", "--to", "Young"}, {"translate", "id:1", "--to", "Young", "--out", t.TempDir()}} {
		if _, stderr, err := run(t, append(args, "--db", db)...); err != nil || !strings.Contains(stderr, "only 298 of the 300 items are indexed") {
			t.Errorf("%s: %v\n%s", args[0], err, stderr)
		}
	}
	mustRun(t, "reindex", "--update", "--db", db)
	if out := mustRun(t, "stats", "--db", db); !strings.Contains(out, "all 300 items indexed") {
		t.Fatalf("stats after reindex --update:\n%s", out)
	}
}

// TestLayoutFlags: the tried layouts' flags are checked.
func TestLayoutFlags(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "l.db")
	mustRun(t, "ingest", faces+"/000001.png", faces+"/000002.png", faces+"/000003.png", faces+"/000004.png", "--labels", faces+"/list_attr.txt", "--db", db, "--model", "none", "-q")
	for _, c := range []struct{ flag, value, want string }{{"--out-kernel", "4", "output kernel 4"}, {"--free-dims", "-1", "free dims"}} {
		if _, _, err := run(t, "train", "unit", "--db", db, "--steps", "1", c.flag, c.value); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v", c.flag, c.value, err)
		}
	}
}
