package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/ingest"
	"rgunit/storage"
)

const faces = "../samples/faces"

// pipeline is a tiny end-to-end setup: the 300 shipped faces, the first
// 200 labelled and the last 100 not, a 32 px stage-1 model trained for 2
// steps and a retrieval model trained for 5 on a small pool, indexed.
type pipeline struct {
	st  *storage.Store
	m   *Model
	ver uint64
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), "r.db"), &storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	raw, err := os.ReadFile(filepath.Join(faces, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	lines[0] = "200"
	labels, err := ingest.ParseLabels(strings.NewReader(strings.Join(lines[:202], "\n")+"\n"), "first200")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), st, []string{faces}, &ingest.Options{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	u, err := generator.NewUNIT(generator.Config{Arch: embed.Arch{Size: 32, Width: 8, ResBlocks: 1},
		Schema: embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}, Batch: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := generator.LoadDataset(st, u.Config.Schema, 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.X) != 200 {
		t.Fatalf("%d labelled items, want 200", len(d.X))
	}
	if _, err := generator.Train(context.Background(), st, u, d, generator.TrainOptions{Steps: 2}); err != nil {
		t.Fatal(err)
	}
	_, uver, err := generator.LoadLatest(st)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(u, uver, Config{Dim: 16, Pool: 24, Batch: 8, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{st: st, m: m}
	p.train(t, 5)
	return p
}

func labelled(d *generator.Dataset) *embed.Labelled {
	return &embed.Labelled{X: d.X, Labels: d.Labels}
}

// train trains the retrieval model to steps and indexes every item.
func (p *pipeline) train(t *testing.T, steps int) {
	t.Helper()
	d, err := generator.LoadDataset(p.st, p.m.Schema(), 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	_, ver, err := Train(context.Background(), p.st, p.m, labelled(d), TrainOptions{Steps: steps, OnStep: func(l Losses) {
		losses = append(losses, l.Loss)
		if len(l.PerKind) != 4 {
			t.Errorf("step %d: %d per-kind losses", l.Step, len(l.PerKind))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ver == 0 || len(losses) == 0 {
		t.Fatalf("no checkpoint (version %d) or no steps (%d)", ver, len(losses))
	}
	p.ver = ver
}

func TestPipeline(t *testing.T) {
	t.Parallel()
	p := newPipeline(t)
	// Before indexing: the model exists, its index does not.
	if _, err := Open(p.st); !errors.Is(err, ErrNoIndex) || !strings.Contains(err.Error(), "reindex") {
		t.Fatalf("open before indexing: %v", err)
	}
	s, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{Batch: 64})
	if err != nil || s.Added != 300 || s.Indexed != 300 {
		t.Fatalf("sync: %+v %v", s, err)
	}
	// A second sync has nothing to do.
	if s, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{}); err != nil || s.Added != 0 || s.Indexed != 300 {
		t.Fatalf("second sync: %+v %v", s, err)
	}
	d, err := Open(p.st)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img, _ := p.st.Image(7)
	x, err := generator.ImageTensor(img, 32)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Query(context.Background(), Query{Image: x, Targets: "Blond_Hair,-Male", K: 10, Exclude: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Neighbours) != 10 || !res.Estimated {
		t.Fatalf("%d neighbours, estimated %v", len(res.Neighbours), res.Estimated)
	}
	for i, n := range res.Neighbours {
		if n.ID == 7 {
			t.Fatal("the excluded source came back")
		}
		if i > 0 && n.Distance < res.Neighbours[i-1].Distance {
			t.Fatalf("distances not ascending: %v then %v", res.Neighbours[i-1].Distance, n.Distance)
		}
	}
	young := d.Model.Schema().Index("Young")
	if got := d.Model.Schema().Format(res.Target); !strings.HasPrefix(got, "-Black_Hair,Blond_Hair,-Brown_Hair,-Male,") ||
		res.Target[young] != res.Source[young] { // the other two hair colours and Male are off; Young is kept
		t.Fatalf("target %s from source %s", got, d.Model.Schema().Format(res.Source))
	}
	// A filter keeps only matching items (known label, else predicted).
	res, err = d.Query(context.Background(), Query{Image: x, Targets: "Young", K: 5, Filter: map[string]int8{"Male": -1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Neighbours {
		if prob, ok := d.matches(n.ID, []int8{0, 0, 0, -1, 0}); !ok || prob <= 0.5 {
			t.Fatalf("item %d does not pass the filter", n.ID)
		}
	}
	// By attributes: known labels first, then predicted (unlabelled ids >
	// 200), by probability.
	// (The target is the value E_a predicts for an unlabelled item, so
	// that some predicted matches exist with this barely trained model.)
	probs, err := p.st.Vector(attrsName(p.ver), 250)
	if err != nil || len(probs) != 5 {
		t.Fatalf("posteriors of item 250: %v %v", probs, err)
	}
	target, want := "Male", int8(1)
	if probs[3] <= 0.5 {
		target, want = "-Male", -1
	}
	ns, err := d.QueryAttrs(target, 300, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	seenPredicted := false
	for i, n := range ns {
		if n.Predicted != (n.ID > 200) {
			t.Fatalf("item %d: predicted %v", n.ID, n.Predicted)
		}
		if !n.Predicted && (seenPredicted || n.Labels["Male"] != want) {
			t.Fatalf("item %d: known match out of order or not %s", n.ID, target)
		}
		if n.Predicted {
			seenPredicted = true
			if n.Probability <= 0.5 || (i > 0 && ns[i-1].Predicted && ns[i-1].Probability < n.Probability) {
				t.Fatalf("item %d: probability %v out of order", n.ID, n.Probability)
			}
		}
	}
	if !seenPredicted {
		t.Fatal("no unlabelled item matched by predicted attributes")
	}
	pred, with, err := PredictedCount(p.st)
	if err != nil || pred != 100 || with != 300 {
		t.Fatalf("predicted %d of %d: %v", pred, with, err)
	}
	// Bad input.
	for _, c := range []struct {
		q    Query
		want error
	}{
		{Query{Image: x, Targets: "Bald", K: 3}, embed.ErrAttribute},
		{Query{Image: x, Targets: "Black_Hair,Blond_Hair", K: 3}, embed.ErrAttribute},
		{Query{Image: x, Targets: "Young", K: 0}, ErrQuery},
		{Query{Image: x, Targets: "Young", K: 3, Ef: -1}, ErrQuery},
		{Query{Image: x[:10], Targets: "Young", K: 3}, ErrQuery},
	} {
		if _, err := d.Query(context.Background(), c.q); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.q.Targets, err, c.want)
		}
	}
	if _, err := d.QueryAttrs("Young", 0, nil, nil); !errors.Is(err, ErrQuery) {
		t.Errorf("attrs k 0: %v", err)
	}
	for _, f := range []string{"Male", "Male=2", "Bald=+1", "Male=+1=1"} {
		if _, _, err := d.ParseFilters([]string{f}); !errors.Is(err, ErrQuery) {
			t.Errorf("filter %q: %v", f, err)
		}
	}
	// Removing items takes them out of the index and the store together;
	// an unknown id among them removes nothing.
	d.Close()
	if err := Remove(context.Background(), p.st, []uint64{3, 9999}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("remove with an unknown id: %v", err)
	}
	if d2, err := Open(p.st); err != nil || d2.Len() != 300 {
		t.Fatalf("after a refused rm: %v", err)
	} else {
		d2.Close()
	}
	if err := Remove(context.Background(), p.st, []uint64{3}); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(p.st)
	if err != nil || d2.Len() != 299 {
		t.Fatalf("after rm: %v", err)
	}
	d2.Close()
	if _, err := p.st.Get(3); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("item 3 after rm: %v", err)
	}
}

// TestReindexAfterModelChange: training again makes a new version; the
// old index is refused with a message to run reindex, and a sync rebuilds
// it for the new version and drops the old one.
func TestReindexAfterModelChange(t *testing.T) {
	t.Parallel()
	p := newPipeline(t)
	if _, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	old := p.ver
	p.train(t, 8)
	if p.ver == old {
		t.Fatal("no new version")
	}
	if _, err := Open(p.st); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "reindex") {
		t.Fatalf("open with a stale index: %v", err)
	}
	s, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{})
	if err != nil || s.Added != 300 || s.Dropped != 1 {
		t.Fatalf("reindex: %+v %v", s, err)
	}
	names, _ := p.st.Indexes()
	if !slices.Equal(names, []string{indexName(p.ver)}) {
		t.Fatalf("indexes after reindex: %v", names)
	}
	st, _ := p.st.Stats()
	if st.Vectors[vectorName(old)] != 0 || st.Vectors[vectorName(p.ver)] != 300 {
		t.Fatalf("vectors after reindex: %v", st.Vectors)
	}
	d, err := Open(p.st)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Version != p.ver || d.Len() != 300 {
		t.Fatalf("version %d, %d items", d.Version, d.Len())
	}
}

// TestCheckpointRoundTrip: a reloaded model embeds bit-identically, and a
// resumed run equals an uninterrupted one.
func TestCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	p := newPipeline(t)
	m2, ver, err := Load(p.st)
	if err != nil || ver != p.ver || m2.Step != 5 || m2.Stage1Version != p.m.Stage1Version {
		t.Fatalf("load: version %d step %d: %v", ver, m2.Step, err)
	}
	img, _ := p.st.Image(1)
	x, _ := generator.ImageTensor(img, 32)
	a, _, err := p.m.EmbedImages(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := m2.EmbedImages(x, 1)
	if err != nil || !slices.Equal(a, b) {
		t.Fatalf("embeddings differ after reload: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("RGUNIT-RETRIEVAL\n"), []byte("nope")} {
		if _, err := Unmarshal(bad); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestFreezesInferenceWeights: over a stage-1 model that keeps moving
// averages, the retrieval model freezes the averages (what translate and
// the shipped model use), and its checkpoint reloads them, not a fresh
// model's.
func TestFreezesInferenceWeights(t *testing.T) {
	t.Parallel()
	c := generator.Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1},
		Schema: embed.Schema{Attrs: []string{"Male", "Young"}, Dim: 4}, Batch: 2, Seed: 3}
	c.Recipe = generator.DefaultRecipe(10, &c.Arch, &c.Schema)
	u, err := generator.NewUNIT(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range u.EMA.G.Names() { // averages that differ from the weights
		w := u.EMA.G.Get(p).Data().([]float32)
		for i := range w {
			w[i] += 0.5
		}
	}
	m, err := New(u, 1, Config{Dim: 8, Pool: 4, Batch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := u.EMA.G.Get("u1.w").Data().([]float32)
	if !slices.Equal(m.Stage1.G.P.Get("u1.w").Data().([]float32), want) || m.Stage1.EMA != nil {
		t.Fatal("the retrieval model did not freeze the moving averages")
	}
	blob, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Unmarshal(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.Stage1.G.P.Get("u1.w").Data().([]float32), want) || m2.Stage1.EMA != nil || m2.Stage1.Inference() != m2.Stage1 {
		t.Fatal("the reloaded retrieval model lost the frozen averages")
	}
}

func TestNoModel(t *testing.T) {
	t.Parallel()
	st, err := storage.Open(filepath.Join(t.TempDir(), "e.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(st); !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "train retrieval") {
		t.Fatalf("open without a model: %v", err)
	}
	if err := Remove(context.Background(), st, []uint64{1}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("remove an unknown item without a model: %v", err)
	}
	if p, w, err := PredictedCount(st); err != nil || p != 0 || w != 0 {
		t.Fatalf("predicted count without a model: %d %d %v", p, w, err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	u, _ := generator.NewUNIT(generator.Config{Arch: embed.Arch{Size: 32, Width: 2, ResBlocks: 1},
		Schema: embed.Schema{Attrs: []string{"A"}, Dim: 1}, Batch: 1})
	m, _ := New(u, 1, Config{Dim: 2, Pool: 1, Batch: 1})
	blob, _ := m.MarshalBinary()
	f.Add(blob)
	f.Add(blob[:len(blob)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err == nil && m == nil {
			t.Fatal("nil model without an error")
		}
		if err != nil && !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("error %v does not wrap ErrCheckpoint", err)
		}
	})
}

// TestResume: stopping after 3 steps and resuming to 6 gives the weights of
// an uninterrupted 6-step run, bit for bit (the pool and the batches depend
// only on the seed and the step; Adam's state is in the checkpoint).
func TestResume(t *testing.T) {
	t.Parallel()
	p := newPipeline(t) // trained to 5
	d, err := generator.LoadDataset(p.st, p.m.Schema(), 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *Model {
		u, _, err := generator.LoadLatest(p.st)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(u, 1, Config{Dim: 16, Pool: 24, Batch: 8, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	whole := fresh()
	if _, _, err := Train(context.Background(), p.st, whole, labelled(d), TrainOptions{Steps: 6}); err != nil {
		t.Fatal(err)
	}
	part := fresh()
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err = Train(ctx, p.st, part, labelled(d), TrainOptions{Steps: 6, OnStep: func(l Losses) {
		if l.Step == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || part.Step != 3 {
		t.Fatalf("interrupted run: step %d, %v", part.Step, err)
	}
	resumed, _, err := Load(p.st)
	if err != nil || resumed.Step != 3 {
		t.Fatalf("checkpoint at the interruption: %v", err)
	}
	if _, _, err := Train(context.Background(), p.st, resumed, labelled(d), TrainOptions{Steps: 6}); err != nil {
		t.Fatal(err)
	}
	for _, name := range whole.Emb.P.Names() {
		a, b := whole.Emb.P.Get(name).Data().([]float32), resumed.Emb.P.Get(name).Data().([]float32)
		if !slices.Equal(a, b) {
			t.Fatalf("%s differs after resume", name)
		}
	}
}

func TestLossesMean(t *testing.T) {
	t.Parallel()
	var s Losses
	if m := s.Mean(); m.Loss != 0 || m.PerKind != nil {
		t.Fatalf("empty mean %+v", m)
	}
	s.Add(Losses{Step: 1, Loss: 1, Seconds: 2, PerKind: map[string]float64{"easy": 1}})
	s.Add(Losses{Step: 2, Loss: 3, Seconds: 4, PerKind: map[string]float64{"easy": 3, "hard": 2}})
	m := s.Mean()
	if m.Step != 2 || m.Loss != 2 || m.Seconds != 3 || m.PerKind["easy"] != 2 || m.PerKind["hard"] != 1 {
		t.Fatalf("mean %+v", m)
	}
	if d := DefaultConfig(); d.Check() != nil || d.Pool != 2048 || d.Batch != 32 {
		t.Fatalf("default config %+v", d)
	}
}
