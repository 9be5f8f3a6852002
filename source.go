package rgunit

import (
	"crypto/sha256"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/imageio"
	"rgunit/storage"
)

// maxSourcePixels bounds a source file's size (decompression bombs).
const maxSourcePixels = 100_000_000

// Source is an image to query or translate from.
type Source struct {
	Name   string      // the file given, or the stored item's path
	ID     uint64      // the stored item it is (0: a file not in the database)
	Labels []int8      // its known values for every attribute of the schema (nil: not all known)
	Image  *image.RGBA // at the database's resolution
	X      []float32   // at the model's: 3*size*size, CHW, in [-1, 1]
}

// ParseID reads an item id written "42" or "id:42".
func ParseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(s, "id:"), 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("%q is not an item id (a positive integer, optionally written id:N)", s)
	}
	return id, nil
}

// LoadSource reads spec, "id:N" for a stored item or an image file, at the
// database's resolution and at a model's (size, schema). A file already
// stored (the same bytes) is that item: its known labels are used and
// retrieval never returns it as its own neighbour.
func LoadSource(st *storage.Store, spec string, s embed.Schema, size int) (*Source, error) {
	if strings.HasPrefix(spec, "id:") {
		return loadSource(st, spec, nil, s, size)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	return loadSource(st, spec, data, s, size)
}

// loadSource reads an image file's bytes (data), or the item spec names
// when data is nil.
func loadSource(st *storage.Store, spec string, data []byte, s embed.Schema, size int) (*Source, error) {
	src := &Source{Name: spec}
	var id uint64
	if data == nil {
		var err error
		if id, err = ParseID(spec); err != nil {
			return nil, err
		}
	} else {
		if found, ok, err := st.LookupHash(sha256.Sum256(data)); err != nil {
			return nil, err
		} else if ok {
			id = found
		}
	}
	if id != 0 {
		it, err := st.Get(id)
		if err != nil {
			return nil, err
		}
		if src.Image, err = storedImage(st, id); err != nil {
			return nil, err
		}
		src.ID = id
		if data == nil {
			src.Name = it.Path
		}
		vals := make([]int8, len(s.Attrs))
		for i, a := range s.Attrs {
			if vals[i] = it.Labels[a]; vals[i] == 0 {
				vals = nil
				break
			}
		}
		src.Labels = vals
	} else {
		var err error
		if src.Image, _, err = imageio.Load(data, st.ImageSize(), maxSourcePixels); err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
	}
	var err error
	src.X, err = generator.RGBATensor(src.Image, size)
	return src, err
}

// storedImage decodes item id's stored (normalized) image.
func storedImage(st *storage.Store, id uint64) (*image.RGBA, error) {
	png, err := st.Image(id)
	if err != nil {
		return nil, err
	}
	return imageio.DecodePNG(png)
}
