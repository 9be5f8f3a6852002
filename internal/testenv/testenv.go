// Package testenv holds the fixtures the packages' tests share: the
// shipped test faces and small databases trained on them, made with the
// library as a user would.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"rgunit"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/ingest"
	"rgunit/retrieval"
)

// Faces is the folder of the 300 labelled test faces (samples/faces,
// with its list_attr.txt).
func Faces() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "samples", "faces")
}

// Ingested returns a new 32 px database in a temporary folder holding the
// test faces with their labels and no models.
func Ingested(t testing.TB) string {
	t.Helper()
	return Cached(t, "faces.db", func(path string) { ingestFaces(t, path, &rgunit.Options{ImageSize: 32}, "none") })
}

// Ingested64 is Ingested at 64 px.
func Ingested64(t testing.TB) string {
	t.Helper()
	return Cached(t, "faces64.db", func(path string) { ingestFaces(t, path, &rgunit.Options{ImageSize: 64}, "none") })
}

// templates are the databases Cached built, by name.
var templates struct {
	sync.Mutex
	files map[string][]byte
}

// Cached returns a copy, in a new temporary folder, of the database file
// name that build writes at the path it is given; build runs once per
// test binary (the file's bytes are kept), so tests that each need their
// own copy of a fixture do not each ingest and train it again.
func Cached(t testing.TB, name string, build func(path string)) string {
	t.Helper()
	templates.Lock()
	defer templates.Unlock()
	b, ok := templates.files[name]
	if !ok {
		dir, err := os.MkdirTemp("", "rgunit-testenv-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		build(filepath.Join(dir, name))
		if b, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if templates.files == nil {
			templates.files = map[string][]byte{}
		}
		templates.files[name] = b
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ingestFaces ingests the test faces with their labels into a new
// database at path, giving it model's models.
func ingestFaces(t testing.TB, path string, o *rgunit.Options, model string) *rgunit.IngestResult {
	t.Helper()
	db, err := rgunit.Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	labels, err := ingest.LoadLabels(filepath.Join(Faces(), "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Ingest(context.Background(), []string{Faces()}, rgunit.IngestOptions{Labels: labels, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Tiny is the smallest stage-1 configuration the trainers accept: a
// fixture's models are trained for a few steps, to be loaded and run, not
// to translate well.
var Tiny = generator.Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Batch: 2}

// Trained returns a database like Ingested's with stages 1-3 and the
// evaluation classifier trained for a few steps each, and its index built.
func Trained(t testing.TB) string {
	t.Helper()
	return Cached(t, "trained.db", func(path string) { train(t, path) })
}

// train makes Trained's database at path.
func train(t testing.TB, path string) {
	t.Helper()
	ingestFaces(t, path, &rgunit.Options{ImageSize: 32}, "none")
	db, err := rgunit.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.TrainUnit(ctx, rgunit.UnitOptions{TrainOptions: rgunit.TrainOptions{Steps: 2}, Config: Tiny}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrainRetrieval(ctx, rgunit.RetrievalOptions{TrainOptions: rgunit.TrainOptions{Steps: 2},
		Config: retrieval.Config{Pool: 8, Batch: 4, Dim: 8}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Sync(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrainRG(ctx, rgunit.RGOptions{TrainOptions: rgunit.TrainOptions{Steps: 2}, Config: rg.Config{Batch: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrainClassifier(ctx, rgunit.ClassifierOptions{Steps: 2, Batch: 4, Width: 4}); err != nil {
		t.Fatal(err)
	}
}

// Shipped returns a new database in a temporary folder holding the test
// faces with their labels, given the shipped default models (64 px,
// indexed): what rgunit demo builds.
func Shipped(t testing.TB) string {
	t.Helper()
	return Cached(t, "shipped.db", func(path string) {
		if res := ingestFaces(t, path, nil, "default"); res.Index == nil || res.Index.Indexed != res.Added {
			t.Fatalf("the shipped models did not index the faces: %+v", res.Index)
		}
	})
}

// OpenShipped opens a new Shipped database for writing; it is closed when
// the test ends.
func OpenShipped(t testing.TB) *rgunit.DB {
	t.Helper()
	db, err := rgunit.Open(Shipped(t), &rgunit.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
