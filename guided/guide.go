package guided

import (
	"fmt"

	"rgunit/generator"
	"rgunit/retrieval"
)

// Guide retrieves neighbours through a database's index and encodes their
// content maps and attribute codes with the retrieval model's frozen E_c
// and E_a (cached by id: the encoders never change under a model version).
type Guide struct {
	DB *retrieval.Session
	K  int
	// Images, when set, supplies an item's image tensor at the model's
	// size (a training set already in memory); otherwise the store is read.
	Images func(id uint64) ([]float32, bool)
	cache  map[uint64]encoded
}

// encoded is an item's content map and E_a mean code.
type encoded struct{ content, code []float32 }

// Retrieved is what Retrieve found for a batch.
type Retrieved struct {
	IDs [][]uint64 // per image: the neighbours found, nearest first (may be fewer than K)
	// Maps[k] holds the k-th neighbour's content map of every image; an
	// image with fewer than K neighbours repeats them in order.
	Maps [][]float32
	// Codes[i] holds the E_a mean codes of image i's neighbours (those
	// found, nearest first).
	Codes [][][]float32
}

// Content returns the content maps of n images (n*3*S*S values).
func (g *Guide) Content(x []float32, n int) ([]float32, error) {
	return g.DB.Model.Stage1.Content(x, n)
}

// Retrieve returns, for each of n images (their content maps, as Content
// returns) and targets, the K nearest items (never exclude[i]) and their
// content maps.
func (g *Guide) Retrieve(content []float32, targets [][]int8, exclude []uint64) (*Retrieved, error) {
	ids, err := g.DB.Neighbours(content, targets, g.K, exclude)
	if err != nil {
		return nil, err
	}
	return g.assemble(ids)
}

// assemble encodes the neighbours' content maps into a Retrieved.
func (g *Guide) assemble(ids [][]uint64) (*Retrieved, error) {
	cs := g.DB.Model.Stage1.ContentShape()
	per := cs[0] * cs[1] * cs[2]
	if err := g.encode(ids); err != nil {
		return nil, err
	}
	r := &Retrieved{IDs: ids, Maps: make([][]float32, g.K), Codes: make([][][]float32, len(ids))}
	for k := range r.Maps {
		r.Maps[k] = make([]float32, 0, len(ids)*per)
	}
	for i, nb := range ids {
		if len(nb) == 0 {
			return nil, fmt.Errorf("%w: the index holds no item but the source", ErrNoNeighbours)
		}
		for k := range g.K {
			r.Maps[k] = append(r.Maps[k], g.cache[nb[k%len(nb)]].content...)
		}
		for _, id := range nb[:min(g.K, len(nb))] {
			r.Codes[i] = append(r.Codes[i], g.cache[id].code)
		}
	}
	return r, nil
}

// encode fills the cache with the content maps and codes of every id not
// in it.
func (g *Guide) encode(ids [][]uint64) error {
	if g.cache == nil {
		g.cache = map[uint64]encoded{}
	}
	u := g.DB.Model.Stage1
	size := u.Config.Arch.Size
	var todo []uint64
	var x []float32
	seen := map[uint64]bool{}
	for _, nb := range ids {
		for _, id := range nb {
			if _, ok := g.cache[id]; ok || seen[id] {
				continue
			}
			seen[id] = true
			t, ok := []float32(nil), false
			if g.Images != nil {
				t, ok = g.Images(id)
			}
			if !ok {
				png, err := g.DB.St.Image(id)
				if err != nil {
					return err
				}
				if t, err = generator.ImageTensor(png, size); err != nil {
					return fmt.Errorf("item %d: %w", id, err)
				}
			}
			todo, x = append(todo, id), append(x, t...)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	maps, err := u.Content(x, len(todo))
	if err != nil {
		return err
	}
	codes, err := u.Codes(x, len(todo))
	if err != nil {
		return err
	}
	cs := u.ContentShape()
	per, cd := cs[0]*cs[1]*cs[2], u.Config.Schema.CodeDim()
	for i, id := range todo {
		g.cache[id] = encoded{content: maps[i*per : (i+1)*per], code: codes[i*cd : (i+1)*cd]}
	}
	return nil
}
