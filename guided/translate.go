package guided

import (
	"fmt"
	"math/rand/v2"

	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/retrieval"
	"rgunit/storage"
)

// Translator translates with retrieval guidance: db's retrieval model and
// index, and the RG-UNIT model trained over them.
type Translator struct {
	DB      *retrieval.Session
	RG      *rg.Model
	Version uint64 // of the RG-UNIT model
	guide   *Guide
	ids     []uint64 // every item, for random guidance (loaded on first use)
}

// NewTranslator loads db's RG-UNIT model (see Load).
func NewTranslator(db *retrieval.Session) (*Translator, error) {
	r, ver, err := Load(db)
	if err != nil {
		return nil, err
	}
	return &Translator{DB: db, RG: r.Inference(), Version: ver, guide: &Guide{DB: db, K: r.Config.K}}, nil
}

// K is the number of neighbours the model fuses.
func (t *Translator) K() int { return t.RG.Config.K }

// Batch translates n images (n*3*S*S values) with attribute values src[i]
// to targets[i], each guided by the K items retrieved for (image, target),
// never exclude[i] (exclude may be nil). With k in 1..K only the k nearest
// are used (repeated to fill the model's K inputs). Each image's code is
// TranslationCode's in mode, with the neighbours' E_a means as guides;
// with sample set, codes are drawn around it. With random set, the
// "neighbours" are random items instead, and the codes come from the
// model's per-domain statistics: no retrieved information at all (the
// bench's control).
func (t *Translator) Batch(x []float32, src, targets [][]int8, exclude []uint64, k int, random *rand.Rand, mode generator.CodeMode, sample *rand.Rand) ([][]float32, *Retrieved, error) {
	n := len(targets)
	if k < 1 || k > t.K() {
		return nil, nil, fmt.Errorf("%w: k %d: this model fuses 1 to %d neighbours", retrieval.ErrQuery, k, t.K())
	}
	if len(src) != n {
		return nil, nil, fmt.Errorf("guided: %d sources for %d targets", len(src), n)
	}
	g := *t.guide
	g.K = k
	content, err := g.Content(x, n)
	if err != nil {
		return nil, nil, err
	}
	var rt *Retrieved
	if random != nil {
		rt, err = t.random(&g, n, exclude, random)
	} else {
		rt, err = g.Retrieve(content, targets, exclude)
	}
	if err != nil {
		return nil, nil, err
	}
	t.guide.cache = g.cache // keep what this batch encoded
	guides := rt.Codes
	if random != nil {
		guides = nil
	}
	codes, err := t.RG.Base.TranslationCodes(mode, x, src, targets, guides, sample)
	if err != nil {
		return nil, nil, err
	}
	maps := make([][]float32, t.K())
	for i := range maps {
		maps[i] = rt.Maps[i%k]
	}
	outs, err := t.RG.Translate(x, codes, maps)
	if err != nil {
		return nil, nil, err
	}
	return outs, rt, nil
}

// random draws k random indexed items per image as its "neighbours".
func (t *Translator) random(g *Guide, n int, exclude []uint64, rng *rand.Rand) (*Retrieved, error) {
	if t.ids == nil {
		if err := t.DB.St.ForEach(func(it storage.Item) error {
			t.ids = append(t.ids, it.ID)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if len(t.ids) < 2 {
		return nil, fmt.Errorf("%w: %d items", ErrNoNeighbours, len(t.ids))
	}
	ids := make([][]uint64, n)
	for i := range ids {
		for len(ids[i]) < g.K {
			id := t.ids[rng.IntN(len(t.ids))]
			if exclude == nil || id != exclude[i] {
				ids[i] = append(ids[i], id)
			}
		}
	}
	return g.assemble(ids)
}

// Request is one image to translate.
type Request struct {
	Image   []float32 // 3*S*S, CHW, [-1, 1]
	Source  []int8    // known attribute values (nil: E_a estimates them)
	Targets string    // "Blond_Hair,Young,-Male"
	Samples int       // 1: the code TranslationCode makes; more: codes drawn around it
	K       int       // neighbours used (0: the model's K)
	Exclude uint64    // a stored source item, never its own neighbour
	Codes   generator.CodeMode
	Rng     *rand.Rand
}

// Output is a translated image's results.
type Output struct {
	Source     []int8      `json:"source"`
	Target     []int8      `json:"target"`
	Estimated  bool        `json:"estimated"` // Source came from E_a
	Outputs    [][]float32 `json:"-"`
	Neighbours []uint64    `json:"neighbours"`
	// Found is the number of neighbours the index had to offer (fewer
	// than K when the database is small).
	Found int `json:"found"`
}

// Image translates one image with samples codes for the target of spec.
func (t *Translator) Image(q Request) (*Output, error) {
	u := t.RG.Base
	s := u.Config.Schema
	if q.Samples < 1 {
		q.Samples = 1
	}
	if q.K == 0 {
		q.K = t.K()
	}
	o := &Output{Source: q.Source}
	if o.Source == nil {
		codes, err := u.Codes(q.Image, 1)
		if err != nil {
			return nil, err
		}
		o.Source, o.Estimated = u.SourceValues(codes), true
	}
	var err error
	if o.Target, err = s.ParseTargets(q.Targets, o.Source); err != nil {
		return nil, err
	}
	sample := q.Rng
	if q.Samples == 1 {
		sample = nil
	}
	xs := make([]float32, 0, q.Samples*len(q.Image))
	srcs, targets, exclude := make([][]int8, q.Samples), make([][]int8, q.Samples), make([]uint64, q.Samples)
	for i := range targets {
		xs, srcs[i], targets[i], exclude[i] = append(xs, q.Image...), o.Source, o.Target, q.Exclude
	}
	outs, rt, err := t.Batch(xs, srcs, targets, exclude, q.K, nil, q.Codes, sample)
	if err != nil {
		return nil, err
	}
	o.Outputs = outs
	o.Neighbours = rt.IDs[0][:min(q.K, len(rt.IDs[0]))]
	o.Found = len(o.Neighbours)
	return o, nil
}

// Open opens st's retrieval model, its index and the RG-UNIT model trained
// over them; Close closes the index.
func Open(st *storage.Store) (*Translator, error) { return OpenWith(st, nil) }

// OpenWith is Open with the retrieval index's options (a remote index,
// partial answers).
func OpenWith(st *storage.Store, o *retrieval.OpenOptions) (*Translator, error) {
	db, err := retrieval.OpenWith(st, o)
	if err != nil {
		return nil, err
	}
	t, err := NewTranslator(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return t, nil
}

// Close closes the retrieval index (not the store).
func (t *Translator) Close() error { return t.DB.Close() }
