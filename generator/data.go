package generator

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"path"
	"sort"
	"strings"

	"rgunit/embed"
	"rgunit/imageio"
	"rgunit/split"
	"rgunit/storage"
)

var (
	// ErrNoLabelled: no item carries every attribute of the schema.
	ErrNoLabelled = errors.New("generator: no labelled items to train on")
	// ErrResolution: the database's images cannot feed the model's size.
	ErrResolution = errors.New("generator: database resolution does not fit the model")
)

// Dataset is the labelled images of a store, in model layout.
type Dataset struct {
	Size    int
	Schema  embed.Schema
	X       [][]float32 // per item: 3*Size*Size, CHW, in [-1, 1]
	Labels  [][]int8    // per item: one value per schema attribute
	IDs     []uint64
	Names   []string // base names of the items' source paths
	Skipped int      // items without a label for every attribute
}

// DefaultSchema returns the attributes of st that have both values among
// its labelled items (sorted), or an error when there are none or more than
// max (then the caller must choose with --attrs).
func DefaultSchema(st *storage.Store, max int) (embed.Schema, error) {
	stats, err := st.Stats()
	if err != nil {
		return embed.Schema{}, err
	}
	var attrs []string
	for name, c := range stats.Attributes {
		if c.Pos > 0 && c.Neg > 0 {
			attrs = append(attrs, name)
		}
	}
	sort.Strings(attrs)
	switch {
	case len(attrs) == 0:
		return embed.Schema{}, fmt.Errorf("%w: %s has no attribute with both values labelled (ingest with --labels)", ErrNoLabelled, st.Path())
	case len(attrs) > max:
		return embed.Schema{}, fmt.Errorf("%w: %s has %d attributes; choose up to %d with --attrs (for example %s)",
			embed.ErrAttribute, st.Path(), len(attrs), max, strings.Join(attrs[:min(5, len(attrs))], ","))
	}
	return embed.Schema{Attrs: attrs, Dim: embed.DefaultAttrDim}, nil
}

// CheckSchema checks that every attribute of s is labelled in st.
func CheckSchema(st *storage.Store, s embed.Schema) error {
	stats, err := st.Stats()
	if err != nil {
		return err
	}
	for _, a := range s.Attrs {
		if _, ok := stats.Attributes[a]; !ok {
			known := make([]string, 0, len(stats.Attributes))
			for n := range stats.Attributes {
				known = append(known, n)
			}
			sort.Strings(known)
			return fmt.Errorf("%w: %q is not labelled in %s (it has: %s)", embed.ErrAttribute, a, st.Path(), strings.Join(known, ", "))
		}
	}
	return nil
}

// LoadDataset reads every item of st labelled for all of s's attributes
// (at most limit of them; 0: all) and downsamples its image to size.
func LoadDataset(st *storage.Store, s embed.Schema, size, limit int) (*Dataset, error) {
	stored := st.ImageSize()
	if size <= 0 || stored < size || stored%size != 0 {
		return nil, fmt.Errorf("%w: %s holds %d px images; a %d px model needs a multiple of %d", ErrResolution, st.Path(), stored, size, size)
	}
	d := &Dataset{Size: size, Schema: s}
	err := st.ForEach(func(it storage.Item) error {
		vals := make([]int8, len(s.Attrs))
		for i, a := range s.Attrs {
			v, ok := it.Labels[a]
			if !ok {
				d.Skipped++
				return nil
			}
			vals[i] = v
		}
		if limit <= 0 || len(d.IDs) < limit {
			d.IDs, d.Labels = append(d.IDs, it.ID), append(d.Labels, vals)
			d.Names = append(d.Names, path.Base(it.Path))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(d.IDs) == 0 {
		return nil, fmt.Errorf("%w: none of the %d items of %s is labelled for %s", ErrNoLabelled, d.Skipped, st.Path(), strings.Join(s.Attrs, ", "))
	}
	for _, id := range d.IDs {
		png, err := st.Image(id)
		if err != nil {
			return nil, err
		}
		x, err := ImageTensor(png, size)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", id, err)
		}
		d.X = append(d.X, x)
	}
	return d, nil
}

// ImageTensor decodes a stored PNG and box-downsamples it to size: CHW
// float32 in [-1, 1].
func ImageTensor(png []byte, size int) ([]float32, error) {
	img, err := imageio.DecodePNG(png)
	if err != nil {
		return nil, err
	}
	return RGBATensor(img, size)
}

// RGBATensor converts a square image to CHW float32 in [-1, 1] at size,
// box-downsampling when its side is a multiple of size.
func RGBATensor(img *image.RGBA, size int) ([]float32, error) {
	side := img.Bounds().Dx()
	if img.Bounds().Dy() != side || side%size != 0 {
		return nil, fmt.Errorf("%w: %dx%d image for a %d px model", ErrResolution, side, img.Bounds().Dy(), size)
	}
	f := side / size
	out := make([]float32, 3*size*size)
	norm := float32(1) / float32(255*f*f)
	for y := range size {
		for x := range size {
			var r, g, b int
			for dy := range f {
				o := img.PixOffset(img.Bounds().Min.X+x*f, img.Bounds().Min.Y+y*f+dy)
				for dx := range f {
					p := img.Pix[o+4*dx : o+4*dx+3]
					r, g, b = r+int(p[0]), g+int(p[1]), b+int(p[2])
				}
			}
			i := y*size + x
			out[i] = float32(r)*norm*2 - 1
			out[size*size+i] = float32(g)*norm*2 - 1
			out[2*size*size+i] = float32(b)*norm*2 - 1
		}
	}
	return out, nil
}

// Batch draws n random items; each one's target is the attribute values of
// another random item (so targets are domains that exist), whose image is
// the batch's reference for it.
func (d *Dataset) Batch(rng *rand.Rand, n int) Batch {
	b, _ := d.BatchIndices(rng, n)
	return b
}

// BatchIndices is Batch that also returns the dataset indices of the
// batch's images.
func (d *Dataset) BatchIndices(rng *rand.Rand, n int) (Batch, []int) {
	per := 3 * d.Size * d.Size
	b := Batch{X: make([]float32, 0, n*per), Ref: make([]float32, 0, n*per)}
	idx := make([]int, 0, n)
	for range n {
		i, j := rng.IntN(len(d.X)), rng.IntN(len(d.X))
		b.X, b.Ref = append(b.X, d.X[i]...), append(b.Ref, d.X[j]...)
		b.Src, b.Tgt = append(b.Src, d.Labels[i]), append(b.Tgt, d.Labels[j])
		idx = append(idx, i)
	}
	return b, idx
}

// TensorImage converts CHW float32 in [-1, 1] back to an image.
func TensorImage(x []float32, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for xx := range size {
			i := y*size + xx
			o := img.PixOffset(xx, y)
			for c := range 3 {
				v := (x[c*size*size+i] + 1) / 2 * 255
				img.Pix[o+c] = uint8(min(max(v+0.5, 0), 255))
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// KeepFraction keeps the items in the fraction f of split.InFraction (the
// others are dropped, as if unlabelled) and returns how many remain.
func (d *Dataset) KeepFraction(f float64) int {
	var x [][]float32
	var labels [][]int8
	var ids []uint64
	var names []string
	for i, id := range d.IDs {
		if split.InFraction(id, f) {
			x, labels, ids, names = append(x, d.X[i]), append(labels, d.Labels[i]), append(ids, id), append(names, d.Names[i])
		}
	}
	d.X, d.Labels, d.IDs, d.Names = x, labels, ids, names
	return len(ids)
}
