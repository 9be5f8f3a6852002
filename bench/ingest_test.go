package bench

import (
	"context"
	"testing"
)

// TestIngest: the bench's rows on the sample faces: every file added,
// the re-ingest adds nothing, and the with-model run is asked for the
// same files.
func TestIngest(t *testing.T) {
	t.Parallel()
	var asked int
	r, err := Ingest(context.Background(), "../samples/faces", IngestOptions{TempDir: t.TempDir(), ImageSize: 32,
		WithModel: func(_ context.Context, files []string, path string) (float64, float64, error) {
			asked = len(files)
			return 123, 0.5, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Files != 300 || r.Added != 300 || r.Labelled != 300 || r.IngestPerSec <= 0 || r.RawPerSec <= 0 || r.ReingestPerSec <= 0 {
		t.Fatalf("%+v", r)
	}
	if asked != 300 || r.ModelPerSec != 123 || r.IndexShare != 0.5 {
		t.Fatalf("with model: asked for %d files, row %v %v", asked, r.ModelPerSec, r.IndexShare)
	}
}
