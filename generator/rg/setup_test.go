package rg

import (
	"context"
	"path/filepath"
	"testing"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/ingest"
	"rgunit/storage"
)

const faces = "../../samples/faces"

var (
	faceSchema = embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}
	tiny       = embed.Arch{Size: 32, Width: 8, ResBlocks: 1}
)

// tinyConfig is a small stage-1 model's configuration.
func tinyConfig(batch int) generator.Config {
	return generator.Config{Arch: tiny, Schema: faceSchema, Batch: batch, Seed: 7}
}

// facesStore ingests the shipped faces with their labels into a fresh
// store at the given resolution.
func facesStore(t *testing.T, size int) *storage.Store {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), "f.db"), &storage.Options{ImageSize: size, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	labels, err := ingest.LoadLabels(filepath.Join(faces, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), st, []string{faces}, &ingest.Options{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	return st
}
