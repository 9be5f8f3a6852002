package rgunit

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/guided"
	"rgunit/imageio"
	"rgunit/retrieval"
)

// Request is a translation to make.
type Request struct {
	Source  string // "face.png" or "id:42"
	Targets string // "Blond_Hair,-Young"
	Samples int    // outputs (0: 1, the translation's own code; more: codes drawn around it)
	Seed    uint64 // of the sampled codes
	// Image is an image file's bytes (an upload), the source instead of
	// Source, which then only names it.
	Image []byte
	TranslatorOptions
}

// TranslatorOptions choose how a Translator translates. The zero value is
// RG-UNIT with the model's k and the encoder's codes.
type TranslatorOptions struct {
	// NoRetrieval translates with GMM-UNIT alone (the baseline); it works
	// on a database with no items.
	NoRetrieval bool
	K           int // neighbours that guide (0: the model's k)
	// Codes is where the attribute code comes from (the default: the
	// source's and the neighbours' encoder codes; see
	// generator.TranslationCode).
	Codes generator.CodeMode
}

// Translation is a translated image: the outputs (CHW, [-1, 1], at the
// model's size), the neighbours that guided them, the attribute values.
type Translation struct {
	*guided.Output
	Source    *Source
	Targets   string // as asked
	Size      int    // the outputs' side
	Retrieval bool   // RG-UNIT guided it (else GMM-UNIT alone)
}

// Image is output i as an image, at the model's size.
func (t *Translation) Image(i int) *image.RGBA { return generator.TensorImage(t.Outputs[i], t.Size) }

// ImageAt is output i resized to side x side (the database's size, for
// files and answers: smooth, see imageio.Resize).
func (t *Translation) ImageAt(i, side int) image.Image { return imageio.Resize(t.Image(i), side) }

// Translator translates images with a database's models; several
// translations share it. It is valid until the DB closes or its models
// change.
type Translator struct {
	d      *DB
	o      TranslatorOptions
	rg     *guided.Translator // nil with NoRetrieval
	u      *generator.UNIT
	schema embed.Schema
	size   int
}

// Translator returns a translator with options o. RG-UNIT needs the
// database to hold items to retrieve; a k above the model's is refused.
func (d *DB) Translator(o TranslatorOptions) (*Translator, error) {
	t := &Translator{d: d, o: o}
	if o.K < 0 {
		return nil, badRequest("-k %d: want a positive count", o.K)
	}
	if o.NoRetrieval {
		u, err := guided.LoadStage1(d.st)
		if err != nil {
			return nil, err
		}
		t.u, t.schema, t.size = u, u.Config.Schema, u.Config.Arch.Size
		return t, nil
	}
	if err := d.needItems("nothing to guide with: add some with rgunit ingest, or pass --no-retrieval"); err != nil {
		return nil, err
	}
	tr, err := d.translator()
	if err != nil {
		return nil, err
	}
	if t.o.K == 0 {
		t.o.K = tr.K()
	}
	if t.o.K > tr.K() {
		return nil, badRequest("-k %d: this RG-UNIT model fuses up to %d neighbours (it was trained with k = %d)", t.o.K, tr.K(), tr.K())
	}
	t.rg, t.u, t.schema, t.size = tr, tr.RG.Base, tr.DB.Model.Schema(), tr.DB.Model.Size()
	return t, nil
}

// Schema is the attributes the translator's model knows.
func (t *Translator) Schema() embed.Schema { return t.schema }

// Size is the side of the images it translates and makes.
func (t *Translator) Size() int { return t.size }

// K is the number of neighbours that guide a translation (0 without
// retrieval).
func (t *Translator) K() int {
	if t.rg == nil {
		return 0
	}
	return t.o.K
}

// Index is the retrieval database that guides (nil without retrieval).
func (t *Translator) Index() *retrieval.Session {
	if t.rg == nil {
		return nil
	}
	return t.rg.DB
}

// Load reads a source ("face.png" or "id:42") at the translator's size.
func (t *Translator) Load(spec string) (*Source, error) {
	return LoadSource(t.d.st, spec, t.schema, t.size)
}

// CheckTargets refuses a target spec the model cannot read, before any
// work is done.
func (t *Translator) CheckTargets(specs ...string) error {
	for _, spec := range specs {
		if _, err := t.schema.ParseTargets(spec, make([]int8, len(t.schema.Attrs))); err != nil {
			return err
		}
	}
	return nil
}

// Translate translates src to the targets of spec with samples codes
// (drawn with rng when more than one): RG-UNIT guided by the k items
// retrieved for (src, targets), never src itself, or GMM-UNIT alone.
func (t *Translator) Translate(src *Source, spec string, samples int, rng *rand.Rand) (*Translation, error) {
	tr := &Translation{Source: src, Targets: spec, Size: t.size, Retrieval: t.rg != nil}
	if t.rg != nil {
		o, err := t.rg.Image(guided.Request{Image: src.X, Source: src.Labels, Targets: spec, Samples: samples, K: t.o.K,
			Exclude: src.ID, Codes: t.o.Codes, Rng: rng})
		if err != nil {
			return nil, err
		}
		tr.Output = o
		return tr, nil
	}
	res, err := generator.TranslateImage(t.u, src.X, src.Labels, spec, samples, t.o.Codes, rng)
	if err != nil {
		return nil, err
	}
	tr.Output = &guided.Output{Source: res.Source, Target: res.Target, Estimated: res.Estimated, Outputs: res.Outputs}
	return tr, nil
}

// Sheet draws a captioned contact sheet of translations of one source:
// a row per translation with the input, the neighbours that guided it
// (with their ids) and the outputs.
func (t *Translator) Sheet(trs []*Translation) (*image.RGBA, error) {
	var rows []imageio.SheetRow
	for _, tr := range trs {
		tiles, err := t.d.tiles(tr.Neighbours, "nb ")
		if err != nil {
			return nil, err
		}
		var outs []imageio.Tile
		for i := range tr.Outputs {
			c := "output"
			if len(tr.Outputs) > 1 {
				c = fmt.Sprintf("sample %d", i+1)
			}
			outs = append(outs, imageio.Tile{Image: tr.Image(i), Caption: c})
		}
		how := "GMM-UNIT, no retrieval"
		if tr.Retrieval {
			how = fmt.Sprintf("RG-UNIT, guided by %d neighbours", len(tr.Neighbours))
			if len(tr.Neighbours) == 1 {
				how = "RG-UNIT, guided by 1 neighbour"
			}
		}
		groups := [][]imageio.Tile{{{Image: tr.Source.Image, Caption: "input"}}}
		if len(tiles) > 0 {
			groups = append(groups, tiles)
		}
		rows = append(rows, imageio.SheetRow{Title: fmt.Sprintf("to %s (%s)", tr.Targets, how), Groups: append(groups, outs)})
	}
	return imageio.DrawSheet(rows, max(t.d.st.ImageSize(), 64)), nil
}

// tiles are the stored images of ids, captioned prefix+"id:N".
func (d *DB) tiles(ids []uint64, prefix string) ([]imageio.Tile, error) {
	var tiles []imageio.Tile
	for _, id := range ids {
		img, err := storedImage(d.st, id)
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, imageio.Tile{Image: img, Caption: fmt.Sprintf("%sid:%d", prefix, id)})
	}
	return tiles, nil
}

// Translate translates r.Source to r.Targets (see Translator.Translate).
func (d *DB) Translate(ctx context.Context, r Request) (*Translation, error) {
	defer d.reading()()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := d.Translator(r.TranslatorOptions)
	if err != nil {
		return nil, err
	}
	var src *Source
	if r.Image != nil {
		src, err = loadSource(d.st, r.Source, r.Image, t.schema, t.size)
	} else {
		src, err = t.Load(r.Source)
	}
	if err != nil {
		return nil, err
	}
	return t.Translate(src, r.Targets, r.Samples, rand.New(rand.NewPCG(r.Seed, 0)))
}
