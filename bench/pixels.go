package bench

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"

	"rgunit/imageio"
)

// Pixels reads every image in dir as side x side grey pixels in [0, 1]
// (side*side dimensions: 784 at 28, real data at high dimension, as
// MNIST-style sets are) and keeps the last queries images, in name order,
// as queries. Decoding runs on all cores.
func Pixels(ctx context.Context, dir string, side, queries int) (*ANNData, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && imageio.HasImageExt(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if len(names) <= queries || queries < 1 {
		return nil, fmt.Errorf("%w: %s has %d images, need more than %d (the queries)", ErrVecs, dir, len(names), queries)
	}
	vecs := make([][]float32, len(names))
	errs := make([]error, len(names))
	err = parallelFor(ctx, len(names), func(i int) {
		data, err := os.ReadFile(filepath.Join(dir, names[i]))
		if err == nil {
			var img image.Image
			if img, _, err = imageio.Decode(data, 0); err == nil {
				vecs[i] = imageio.GreyThumbnail(img, side)
			}
		}
		errs[i] = err
	})
	if err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
	}
	d := &ANNData{Name: fmt.Sprintf("%s-pixels-%d", filepath.Base(filepath.Clean(dir)), side*side)}
	d.Base, d.Queries = SplitQueries(vecs, queries)
	return d, nil
}

// SplitQueries keeps the last n vectors as queries and the rest as the
// base set.
func SplitQueries(vecs [][]float32, n int) (base, queries [][]float32) {
	n = min(n, len(vecs)-1)
	return vecs[:len(vecs)-n], vecs[len(vecs)-n:]
}
