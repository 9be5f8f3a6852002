package index_test

import (
	"path/filepath"
	"testing"

	"rgunit/index"
	"rgunit/index/indextest"
)

// TestContract: every implementation in this package keeps the Index
// contract (bad input, cancelled contexts, Close twice).
func TestContract(t *testing.T) {
	t.Parallel()
	for name, newIndex := range map[string]func(t *testing.T, dim int) index.Index{
		"hnsw":  func(t *testing.T, dim int) index.Index { x, _ := index.NewHNSW(dim, nil); return x },
		"exact": func(t *testing.T, dim int) index.Index { x, _ := index.NewExact(dim, index.L2); return x },
		"stored": func(t *testing.T, dim int) index.Index {
			x, err := index.OpenFile(filepath.Join(t.TempDir(), "ix.db"), &index.StoredOptions{Dim: dim})
			if err != nil {
				t.Fatal(err)
			}
			return x
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			indextest.Contract(t, newIndex)
		})
	}
}
