package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/index"
	"rgunit/nn"
	"rgunit/retrieval"
	"rgunit/split"
)

// RetrievalItem is one item of the retrieval bench.
type RetrievalItem struct {
	ID      uint64
	X       []float32 // the image at the model's size
	Labels  []int8    // domain attributes (schema order); all known
	Content []int8    // non-domain attributes (+1/-1; 0 unknown)
}

// RetrievalOptions configure Retrieval.
type RetrievalOptions struct {
	Settings   []string // negatives settings (default easy, medium, hard, hardest, all)
	Steps      int      // embedder training steps per setting (default 1500)
	Pool       int      // triplets (default 2048)
	Batch      int      // triplets per step (default 32)
	Dim        int      // embedding length (default 100)
	Queries    int      // held-back queries (default all)
	K          int      // neighbours (default 10)
	Seed       uint64
	Unlabelled bool // also the unlabelled-ingestion check
	OnProgress func(stage string, done, total int)
}

func (o *RetrievalOptions) defaults() {
	if len(o.Settings) == 0 {
		o.Settings = []string{"easy", "medium", "hard", "hardest", "all"}
	}
	if o.Steps == 0 {
		o.Steps = 1500
	}
	d := retrieval.DefaultConfig()
	if o.Pool == 0 {
		o.Pool = d.Pool
	}
	if o.Batch == 0 {
		o.Batch = d.Batch
	}
	if o.Dim == 0 {
		o.Dim = d.Dim
	}
	if o.K == 0 {
		o.K = 10
	}
}

// RetrievalRow is one line of the table: a negatives setting, or "random".
type RetrievalRow struct {
	Setting      string  `json:"setting"`
	AttrP10      float64 `json:"attr_p10"`
	ContentP10   float64 `json:"content_p10"`
	Loss         float64 `json:"final_loss"` // mean triplet loss over the last 100 steps
	TrainSeconds float64 `json:"train_seconds"`
}

// UnlabelledCheck compares, for one embedder trained on the labelled half
// of the training items, the attribute P@10 of neighbours retrieved from
// the labelled half with that of neighbours from the other half, which the
// embedder never saw labels of (indexing never reads labels).
type UnlabelledCheck struct {
	LabelledAttrP10   float64 `json:"labelled_attr_p10"`
	UnlabelledAttrP10 float64 `json:"unlabelled_attr_p10"`
	Diff              float64 `json:"diff"`
	WithinTwoPoints   bool    `json:"within_0_02"` // |Diff| <= 0.02: unlabelled items are found about as well as labelled ones
}

// RetrievalResult is the bench's figures.
type RetrievalResult struct {
	Items       int              `json:"items"`
	Queries     int              `json:"queries"`
	K           int              `json:"k"`
	Stage1Step  int              `json:"stage1_step"`
	Rows        []RetrievalRow   `json:"rows"`
	OrderHolds  bool             `json:"order_holds"` // all >= hard > easy ~ medium > random on attributes
	OrderDetail string           `json:"order_detail"`
	Unlabelled  *UnlabelledCheck `json:"unlabelled,omitempty"`
	Seconds     float64          `json:"seconds"`
}

// cosine is the cosine similarity of two +-1/0 vectors.
func cosine(a, b []int8) float64 {
	var dot, na, nb float64
	for i, v := range a {
		dot += float64(v) * float64(b[i])
		na += float64(v) * float64(v)
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Retrieval reproduces the seed's Table 1 on items: the embedder is trained
// with each negatives setting on the same triplet pool (made once with the
// frozen stage 1 u from the training items: labelled, not held back), every
// item is embedded, and each held-back query (its content with a target that
// flips one attribute) retrieves its K nearest items by exact search. P@K
// for attributes is the mean cosine similarity between the target's +-1
// vector and each neighbour's true labels; for content, between the query's
// and each neighbour's non-domain attributes. Random retrieval draws K items.
func Retrieval(ctx context.Context, u *generator.UNIT, items []RetrievalItem, o RetrievalOptions) (*RetrievalResult, error) {
	o.defaults()
	start := time.Now()
	t := &retrievalRun{ctx: ctx, u: u, items: items, o: o, s: u.Config.Schema, cs: u.ContentShape()}
	if err := t.encode(); err != nil {
		return nil, err
	}
	if err := t.splitQueries(); err != nil {
		return nil, err
	}
	r := &RetrievalResult{Items: len(items), Queries: len(t.queries), K: o.K, Stage1Step: u.Step}
	pool, err := t.pool(t.train, "triplets")
	if err != nil {
		return nil, err
	}
	byName := map[string]RetrievalRow{}
	for _, setting := range o.Settings {
		kinds, err := embed.ParseNegatives(setting)
		if err != nil {
			return nil, err
		}
		row, all, qv, err := t.score(pool, kinds, "train "+setting)
		if err != nil {
			return nil, err
		}
		hits, err := t.search(all, qv, nil)
		if err != nil {
			return nil, err
		}
		row.Setting = setting
		row.AttrP10, row.ContentP10 = t.precision(hits)
		r.Rows = append(r.Rows, row)
		byName[setting] = row
	}
	random := RetrievalRow{Setting: "random"}
	random.AttrP10, random.ContentP10 = t.precision(t.random())
	r.Rows = append(r.Rows, random)
	byName["random"] = random
	r.OrderHolds, r.OrderDetail = checkOrder(byName)
	if o.Unlabelled {
		if r.Unlabelled, err = t.unlabelled(); err != nil {
			return nil, err
		}
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// retrievalRun is one run of Retrieval: the frozen stage 1, the items'
// content maps and codes (encoded once), the queries and their targets.
type retrievalRun struct {
	ctx            context.Context
	u              *generator.UNIT
	items          []RetrievalItem
	o              RetrievalOptions
	s              embed.Schema
	cs             [3]int
	content, codes []float32
	train, queries []int
	targets        [][]int8
}

func (t *retrievalRun) progress(stage string, done, total int) {
	if t.o.OnProgress != nil {
		t.o.OnProgress(stage, done, total)
	}
}

// encode encodes every item once: E_c and E_a are frozen.
func (t *retrievalRun) encode() error {
	n := len(t.items)
	if n < 2*t.o.K {
		return fmt.Errorf("bench: %d items for K %d", n, t.o.K)
	}
	csz, cd := t.cs[0]*t.cs[1]*t.cs[2], t.s.CodeDim()
	t.content, t.codes = make([]float32, 0, n*csz), make([]float32, 0, n*cd)
	for lo := 0; lo < n; lo += 256 {
		hi := min(lo+256, n)
		var x []float32
		for _, it := range t.items[lo:hi] {
			x = append(x, it.X...)
		}
		c, err := t.u.Content(x, hi-lo)
		if err != nil {
			return err
		}
		z, err := t.u.Codes(x, hi-lo)
		if err != nil {
			return err
		}
		t.content, t.codes = append(t.content, c...), append(t.codes, z...)
		t.progress("encode", hi, n)
		if err := t.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// splitQueries sets the held-back items aside as queries, each with one
// target that flips an attribute (the same for every setting).
func (t *retrievalRun) splitQueries() error {
	for i, it := range t.items {
		if split.HeldBack(it.ID) {
			t.queries = append(t.queries, i)
		} else {
			t.train = append(t.train, i)
		}
	}
	if t.o.Queries > 0 && len(t.queries) > t.o.Queries {
		t.queries = t.queries[:t.o.Queries]
	}
	if len(t.queries) == 0 || len(t.train) < 3 {
		return fmt.Errorf("bench: %d queries, %d training items", len(t.queries), len(t.train))
	}
	rng := rand.New(rand.NewPCG(t.o.Seed, 0x71756572))
	t.targets = make([][]int8, len(t.queries))
	for q, i := range t.queries {
		t.targets[q] = t.s.FlipOne(t.items[i].Labels, rng)
	}
	return nil
}

// pool makes the triplet pool of the items idx.
func (t *retrievalRun) pool(idx []int, stage string) (*embed.Pool, error) {
	d := &embed.Labelled{}
	for _, i := range idx {
		d.X, d.Labels = append(d.X, t.items[i].X), append(d.Labels, t.items[i].Labels)
	}
	return embed.BuildPool(t.ctx, t.u, t.s, d, t.o.Pool, 64, embed.AllNegatives, t.o.Seed, func(done, total int) { t.progress(stage, done, total) })
}

// score trains an embedder on the pool's roles for kinds and returns the
// embeddings of every item and of every query.
func (t *retrievalRun) score(p *embed.Pool, kinds []embed.Negative, stage string) (row RetrievalRow, all, qv []float32, err error) {
	o, sub := t.o, subPool(p, kinds)
	e, err := embed.NewEmbedder(t.u.Config.Arch, t.s, o.Dim, o.Seed+11)
	if err != nil {
		return row, nil, nil, err
	}
	tr, err := embed.NewTrainer(e, nn.NewAdam(retrieval.DefaultConfig().LR, 0.9, 0.999), o.Batch, sub.Roles(), t.cs)
	if err != nil {
		return row, nil, nil, err
	}
	defer tr.Close()
	t0 := time.Now()
	var tail []float64
	for step := range o.Steps {
		if err := t.ctx.Err(); err != nil {
			return row, nil, nil, err
		}
		l, _, err := tr.Step(sub, rand.New(rand.NewPCG(o.Seed, uint64(step))))
		if err != nil {
			return row, nil, nil, err
		}
		if step >= o.Steps-100 {
			tail = append(tail, l)
		}
		if step%50 == 49 {
			t.progress(stage, step+1, o.Steps)
		}
	}
	row.TrainSeconds, row.Loss = time.Since(t0).Seconds(), mean(tail)
	all, qv, err = t.embed(e)
	return row, all, qv, err
}

// embed returns the embeddings of every item and of every query (its
// content with its target's code).
func (t *retrievalRun) embed(e *embed.Embedder) (all, qv []float32, err error) {
	n, csz, cd := len(t.items), t.cs[0]*t.cs[1]*t.cs[2], t.s.CodeDim()
	for lo := 0; lo < n; lo += 512 {
		hi := min(lo+512, n)
		v, err := e.Embed(t.content[lo*csz:hi*csz], t.codes[lo*cd:hi*cd], hi-lo, t.cs)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, v...)
	}
	qc, qz := make([]float32, 0, len(t.queries)*csz), make([]float32, len(t.queries)*cd)
	for q, i := range t.queries {
		qc = append(qc, t.content[i*csz:(i+1)*csz]...)
		t.s.Means(t.targets[q], qz[q*cd:(q+1)*cd])
	}
	for lo := 0; lo < len(t.queries); lo += 512 {
		hi := min(lo+512, len(t.queries))
		v, err := e.Embed(qc[lo*csz:hi*csz], qz[lo*cd:hi*cd], hi-lo, t.cs)
		if err != nil {
			return nil, nil, err
		}
		qv = append(qv, v...)
	}
	return all, qv, nil
}

// search returns each query's K nearest items admitted by keep.
func (t *retrievalRun) search(all, qv []float32, keep func(i int) bool) ([][]int, error) {
	dim := t.o.Dim
	ex, err := index.NewExact(dim, index.L2)
	if err != nil {
		return nil, err
	}
	for i := range t.items {
		if err := ex.Add(t.ctx, uint64(i)+1, all[i*dim:(i+1)*dim]); err != nil {
			return nil, err
		}
	}
	out := make([][]int, len(t.queries))
	for q, i := range t.queries {
		self := uint64(i) + 1
		res, err := ex.Search(t.ctx, qv[q*dim:(q+1)*dim], t.o.K, &index.SearchOptions{Filter: func(id uint64) bool {
			return id != self && (keep == nil || keep(int(id-1)))
		}})
		if err != nil {
			return nil, err
		}
		for _, h := range res {
			out[q] = append(out[q], int(h.ID-1))
		}
	}
	return out, nil
}

// precision is P@K of hits: for attributes and for content.
func (t *retrievalRun) precision(hits [][]int) (attr, cont float64) {
	var na float64
	for q, i := range t.queries {
		for _, h := range hits[q] {
			attr += cosine(t.targets[q], t.items[h].Labels)
			cont += cosine(t.items[i].Content, t.items[h].Content)
			na++
		}
	}
	return attr / na, cont / na
}

// random draws K other items for each query.
func (t *retrievalRun) random() [][]int {
	rng := rand.New(rand.NewPCG(t.o.Seed, 0x72616e64))
	hits := make([][]int, len(t.queries))
	for q, i := range t.queries {
		for len(hits[q]) < t.o.K {
			if j := rng.IntN(len(t.items)); j != i && !slices.Contains(hits[q], j) {
				hits[q] = append(hits[q], j)
			}
		}
	}
	return hits
}

// unlabelled trains on the labelled half only; the other half (by a hash
// of the id, not its parity: see split.HeldBack) stands for images
// ingested without labels, and the two halves' P@K are compared.
func (t *retrievalRun) unlabelled() (*UnlabelledCheck, error) {
	var half []int
	for _, i := range t.train {
		if split.Half(t.items[i].ID) {
			half = append(half, i)
		}
	}
	p, err := t.pool(half, "triplets (labelled half)")
	if err != nil {
		return nil, err
	}
	_, all, qv, err := t.score(p, embed.AllNegatives, "train all (labelled half)")
	if err != nil {
		return nil, err
	}
	lab, err := t.search(all, qv, func(i int) bool { return split.Half(t.items[i].ID) })
	if err != nil {
		return nil, err
	}
	unl, err := t.search(all, qv, func(i int) bool { return !split.Half(t.items[i].ID) })
	if err != nil {
		return nil, err
	}
	c := &UnlabelledCheck{}
	c.LabelledAttrP10, _ = t.precision(lab)
	c.UnlabelledAttrP10, _ = t.precision(unl)
	c.Diff = c.UnlabelledAttrP10 - c.LabelledAttrP10
	c.WithinTwoPoints = c.Diff >= -0.02 && c.Diff <= 0.02
	return c, nil
}

// subPool returns a view of p with the anchor, the positive and the
// negatives of kinds only.
func subPool(p *embed.Pool, kinds []embed.Negative) *embed.Pool {
	sub := *p
	sub.Kinds = slices.Clone(kinds)
	sub.Content, sub.Codes = [][]float32{p.Content[0], p.Content[1]}, [][]float32{p.Codes[0], p.Codes[1]}
	for _, k := range kinds {
		r := 2 + slices.Index(p.Kinds, k)
		sub.Content, sub.Codes = append(sub.Content, p.Content[r]), append(sub.Codes, p.Codes[r])
	}
	return &sub
}

// checkOrder tests the paper's ordering on attributes: all >= hard >
// easy ~ medium > random (~: within 0.02).
func checkOrder(rows map[string]RetrievalRow) (bool, string) {
	need := []string{"all", "hard", "easy", "medium", "random"}
	for _, k := range need {
		if _, ok := rows[k]; !ok {
			return false, "not every setting was run"
		}
	}
	a := func(k string) float64 { return rows[k].AttrP10 }
	checks := []struct {
		ok   bool
		what string
	}{
		{a("all") >= a("hard"), "all >= hard"},
		{a("hard") > a("easy") && a("hard") > a("medium"), "hard > easy, medium"},
		{math.Abs(a("easy")-a("medium")) <= 0.02, "easy ~ medium (within 0.02)"},
		{a("easy") > a("random") && a("medium") > a("random"), "easy, medium > random"},
	}
	holds := true
	detail := ""
	for _, c := range checks {
		mark := "yes"
		if !c.ok {
			mark, holds = "NO", false
		}
		if detail != "" {
			detail += "; "
		}
		detail += c.what + ": " + mark
	}
	return holds, detail
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
