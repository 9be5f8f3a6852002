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
	s := u.Config.Schema
	progress := func(stage string, done, total int) {
		if o.OnProgress != nil {
			o.OnProgress(stage, done, total)
		}
	}
	// Encode every item once: E_c and E_a are frozen.
	n := len(items)
	if n < 2*o.K {
		return nil, fmt.Errorf("bench: %d items for K %d", n, o.K)
	}
	cs, cd := u.ContentShape(), s.CodeDim()
	csz := cs[0] * cs[1] * cs[2]
	content, codes := make([]float32, 0, n*csz), make([]float32, 0, n*cd)
	for lo := 0; lo < n; lo += 256 {
		hi := min(lo+256, n)
		var x []float32
		for _, it := range items[lo:hi] {
			x = append(x, it.X...)
		}
		c, err := u.Content(x, hi-lo)
		if err != nil {
			return nil, err
		}
		z, err := u.Codes(x, hi-lo)
		if err != nil {
			return nil, err
		}
		content, codes = append(content, c...), append(codes, z...)
		progress("encode", hi, n)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	var train, queries []int
	for i, it := range items {
		if split.HeldBack(it.ID) {
			queries = append(queries, i)
		} else {
			train = append(train, i)
		}
	}
	if o.Queries > 0 && len(queries) > o.Queries {
		queries = queries[:o.Queries]
	}
	if len(queries) == 0 || len(train) < 3 {
		return nil, fmt.Errorf("bench: %d queries, %d training items", len(queries), len(train))
	}
	// One target per query, the same for every setting.
	rng := rand.New(rand.NewPCG(o.Seed, 0x71756572))
	targets := make([][]int8, len(queries))
	for q, i := range queries {
		targets[q] = s.FlipOne(items[i].Labels, rng)
	}
	r := &RetrievalResult{Items: n, Queries: len(queries), K: o.K, Stage1Step: u.Step}
	makePool := func(idx []int, stage string) (*embed.Pool, error) {
		d := &embed.Labelled{}
		for _, i := range idx {
			d.X, d.Labels = append(d.X, items[i].X), append(d.Labels, items[i].Labels)
		}
		return embed.BuildPool(ctx, u, s, d, o.Pool, 64, embed.AllNegatives, o.Seed, func(done, total int) { progress(stage, done, total) })
	}
	pool, err := makePool(train, "triplets")
	if err != nil {
		return nil, err
	}
	// score trains an embedder on the pool's roles for kinds and returns
	// the embeddings of every item and of every query.
	score := func(p *embed.Pool, kinds []embed.Negative, stage string) (row RetrievalRow, all, qv []float32, err error) {
		sub := subPool(p, kinds)
		e, err := embed.NewEmbedder(u.Config.Arch, s, o.Dim, o.Seed+11)
		if err != nil {
			return row, nil, nil, err
		}
		tr, err := embed.NewTrainer(e, nn.NewAdam(5e-4, 0.9, 0.999), o.Batch, sub.Roles(), cs)
		if err != nil {
			return row, nil, nil, err
		}
		defer tr.Close()
		t0 := time.Now()
		var tail []float64
		for step := range o.Steps {
			if err := ctx.Err(); err != nil {
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
				progress(stage, step+1, o.Steps)
			}
		}
		row.TrainSeconds, row.Loss = time.Since(t0).Seconds(), mean(tail)
		for lo := 0; lo < n; lo += 512 {
			hi := min(lo+512, n)
			v, err := e.Embed(content[lo*csz:hi*csz], codes[lo*cd:hi*cd], hi-lo, cs)
			if err != nil {
				return row, nil, nil, err
			}
			all = append(all, v...)
		}
		qc, qz := make([]float32, 0, len(queries)*csz), make([]float32, len(queries)*cd)
		for q, i := range queries {
			qc = append(qc, content[i*csz:(i+1)*csz]...)
			s.Means(targets[q], qz[q*cd:(q+1)*cd])
		}
		for lo := 0; lo < len(queries); lo += 512 {
			hi := min(lo+512, len(queries))
			v, err := e.Embed(qc[lo*csz:hi*csz], qz[lo*cd:hi*cd], hi-lo, cs)
			if err != nil {
				return row, nil, nil, err
			}
			qv = append(qv, v...)
		}
		return row, all, qv, nil
	}
	// search returns each query's K nearest items admitted by keep.
	search := func(all, qv []float32, keep func(i int) bool) ([][]int, error) {
		ex, err := index.NewExact(o.Dim, index.L2)
		if err != nil {
			return nil, err
		}
		for i := range n {
			if err := ex.Add(ctx, uint64(i)+1, all[i*o.Dim:(i+1)*o.Dim]); err != nil {
				return nil, err
			}
		}
		out := make([][]int, len(queries))
		for q, i := range queries {
			self := uint64(i) + 1
			res, err := ex.Search(ctx, qv[q*o.Dim:(q+1)*o.Dim], o.K, &index.SearchOptions{Filter: func(id uint64) bool {
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
	precision := func(hits [][]int) (attr, cont float64) {
		var na float64
		for q, i := range queries {
			for _, h := range hits[q] {
				attr += cosine(targets[q], items[h].Labels)
				cont += cosine(items[i].Content, items[h].Content)
				na++
			}
		}
		return attr / na, cont / na
	}
	byName := map[string]RetrievalRow{}
	for _, setting := range o.Settings {
		kinds, err := embed.ParseNegatives(setting)
		if err != nil {
			return nil, err
		}
		row, all, qv, err := score(pool, kinds, "train "+setting)
		if err != nil {
			return nil, err
		}
		hits, err := search(all, qv, nil)
		if err != nil {
			return nil, err
		}
		row.Setting = setting
		row.AttrP10, row.ContentP10 = precision(hits)
		r.Rows = append(r.Rows, row)
		byName[setting] = row
	}
	// Random retrieval.
	rrng := rand.New(rand.NewPCG(o.Seed, 0x72616e64))
	hits := make([][]int, len(queries))
	for q, i := range queries {
		for len(hits[q]) < o.K {
			if j := rrng.IntN(n); j != i && !slices.Contains(hits[q], j) {
				hits[q] = append(hits[q], j)
			}
		}
	}
	random := RetrievalRow{Setting: "random"}
	random.AttrP10, random.ContentP10 = precision(hits)
	r.Rows = append(r.Rows, random)
	byName["random"] = random
	r.OrderHolds, r.OrderDetail = checkOrder(byName)

	if o.Unlabelled {
		// Train on the labelled half only; the other half (by a hash of
		// the id, not its parity: see split.HeldBack) stands for
		// images ingested without labels.
		var half []int
		for _, i := range train {
			if split.Half(items[i].ID) {
				half = append(half, i)
			}
		}
		p2, err := makePool(half, "triplets (labelled half)")
		if err != nil {
			return nil, err
		}
		_, all, qv, err := score(p2, embed.AllNegatives, "train all (labelled half)")
		if err != nil {
			return nil, err
		}
		lab, err := search(all, qv, func(i int) bool { return split.Half(items[i].ID) })
		if err != nil {
			return nil, err
		}
		unl, err := search(all, qv, func(i int) bool { return !split.Half(items[i].ID) })
		if err != nil {
			return nil, err
		}
		c := &UnlabelledCheck{}
		c.LabelledAttrP10, _ = precision(lab)
		c.UnlabelledAttrP10, _ = precision(unl)
		c.Diff = c.UnlabelledAttrP10 - c.LabelledAttrP10
		c.WithinTwoPoints = c.Diff >= -0.02 && c.Diff <= 0.02
		r.Unlabelled = c
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
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
