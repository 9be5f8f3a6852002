package rgunit

import (
	"context"
	"math/rand/v2"

	"rgunit/generator"
	"rgunit/guided"
)

// Request is a translation to make.
type Request struct {
	Source  string // "face.png" or "id:42"
	Targets string // "Blond_Hair,-Young"
	Samples int    // outputs (0: 1, the translation's own code; more: codes drawn around it)
	K       int    // neighbours that guide it (0: the model's k)
	// Codes is where the attribute code comes from (the default: the
	// source's and the neighbours' encoder codes; see
	// generator.TranslationCode).
	Codes generator.CodeMode
	Seed  uint64 // of the sampled codes
}

// Translation is a translated image: the outputs (CHW, [-1, 1], at the
// model's size), the neighbours that guided them, the attribute values.
type Translation struct {
	*guided.Output
	Source *Source
	Size   int // the outputs' side
}

// Translate translates Source to Targets with RG-UNIT: the K items
// retrieved for (Source, targets) guide the generator, and the code keeps
// Source's own code for the attributes it keeps.
func (d *DB) Translate(ctx context.Context, r Request) (*Translation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tr, err := d.translator()
	if err != nil {
		return nil, err
	}
	m := tr.DB.Model
	src, err := LoadSource(d.st, r.Source, m.Schema(), m.Size())
	if err != nil {
		return nil, err
	}
	o, err := tr.Image(guided.Request{Image: src.X, Source: src.Labels, Targets: r.Targets, Samples: r.Samples, K: r.K,
		Exclude: src.ID, Codes: r.Codes, Rng: rand.New(rand.NewPCG(r.Seed, 0))})
	if err != nil {
		return nil, err
	}
	return &Translation{Output: o, Source: src, Size: m.Size()}, nil
}
