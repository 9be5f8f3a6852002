// Package testenv holds the fixtures the packages' tests share: the
// shipped test faces and small databases trained on them, made with the
// library as a user would.
package testenv

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"rgunit"
	"rgunit/embed"
	"rgunit/generator"
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
	path, _ := ingestFaces(t, "faces.db", &rgunit.Options{ImageSize: 32}, "none")
	return path
}

// Ingested64 is Ingested at 64 px.
func Ingested64(t testing.TB) string {
	t.Helper()
	path, _ := ingestFaces(t, "faces64.db", &rgunit.Options{ImageSize: 64}, "none")
	return path
}

// ingestFaces ingests the test faces with their labels into a new
// database name under a temporary folder, giving it model's models.
func ingestFaces(t testing.TB, name string, o *rgunit.Options, model string) (string, *rgunit.IngestResult) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
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
	return path, res
}

// Tiny is the smallest stage-1 configuration the trainers accept: a
// fixture's models are trained for a few steps, to be loaded and run, not
// to translate well.
var Tiny = generator.Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Batch: 2}

// Trained returns a database like Ingested's with stages 1-3 and the
// evaluation classifier trained for a few steps each, and its index built.
func Trained(t testing.TB) string {
	t.Helper()
	path := Ingested(t)
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
	if _, err := db.TrainRG(ctx, rgunit.RGOptions{TrainOptions: rgunit.TrainOptions{Steps: 2}, Config: generator.RGConfig{Batch: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrainClassifier(ctx, rgunit.ClassifierOptions{Steps: 2, Batch: 4, Width: 4}); err != nil {
		t.Fatal(err)
	}
	return path
}

// Shipped returns a new database in a temporary folder holding the test
// faces with their labels, given the shipped default models (64 px,
// indexed): what rgunit demo builds.
func Shipped(t testing.TB) string {
	t.Helper()
	path, res := ingestFaces(t, "shipped.db", nil, "default")
	if res.Index == nil || res.Index.Indexed != res.Added {
		t.Fatalf("the shipped models did not index the faces: %+v", res.Index)
	}
	return path
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
