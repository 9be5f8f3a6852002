package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"rgunit/index"
)

// An index on int8 vectors kept in a file: the graph walks byte codes, the
// float vectors (in a file beside the database) re-rank the candidates, so
// distances are exact.
func ExampleOpenFile() {
	dir, _ := os.MkdirTemp("", "index-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	ix, err := index.OpenFile(filepath.Join(dir, "vectors.db"), &index.StoredOptions{
		Dim:     3,
		Options: index.Options{Quantize: index.SQ8},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ix.Close()
	ids := []uint64{1, 2, 3, 4}
	vecs := [][]float32{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {0.9, 0.1, 0}}
	if err := ix.AddBatch(ctx, ids, vecs, 0); err != nil {
		fmt.Println(err)
		return
	}
	res, _ := ix.Search(ctx, []float32{1, 0, 0}, 2, nil)
	for _, r := range res {
		fmt.Printf("id %d at %.2f\n", r.ID, r.Distance)
	}
	fmt.Println(ix.Quantization(), ix.Len())
	// Output:
	// id 3 at 0.00
	// id 4 at 0.02
	// sq8 4
}
