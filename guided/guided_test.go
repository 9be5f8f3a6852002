package guided

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/ingest"
	"rgunit/retrieval"
	"rgunit/storage"
)

const faces = "../samples/faces"

var schema = embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}

// setup is a tiny pipeline: the shipped faces in a store, a 32 px stage-1
// model trained 2 steps, a retrieval model trained 3 steps, every item
// indexed.
type setup struct {
	st *storage.Store
	db *retrieval.Session
	d  *generator.Dataset
	u  *generator.UNIT
}

func openStore(t *testing.T, name string) *storage.Store {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), name), &storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newSetup(t *testing.T, paths ...string) *setup {
	t.Helper()
	st := openStore(t, "g.db")
	labels, err := ingest.LoadLabels(filepath.Join(faces, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		paths = []string{faces}
	}
	if _, err := ingest.Run(context.Background(), st, paths, &ingest.Options{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	u, err := generator.NewUNIT(generator.Config{Arch: embed.Arch{Size: 32, Width: 8, ResBlocks: 1}, Schema: schema, Batch: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := generator.LoadDataset(st, schema, 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Train(context.Background(), st, u, d, generator.TrainOptions{Steps: 2}); err != nil {
		t.Fatal(err)
	}
	m, err := retrieval.New(u, 1, retrieval.Config{Dim: 16, Pool: min(24, len(d.X)), Batch: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, ver, err := retrieval.Train(context.Background(), st, m, &embed.Labelled{X: d.X, Labels: d.Labels}, retrieval.TrainOptions{Steps: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &setup{st: st, db: indexAndOpen(t, st, m, ver), d: d, u: u}
}

// indexAndOpen indexes st's items with model version ver and opens it for
// queries.
func indexAndOpen(t *testing.T, st *storage.Store, m *retrieval.Model, ver uint64) *retrieval.Session {
	t.Helper()
	if _, err := retrieval.Sync(context.Background(), st, m, ver, retrieval.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := retrieval.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// train trains a new RG-UNIT for steps and returns its losses.
func (s *setup) train(t *testing.T, steps int, c rg.Config) []generator.Losses {
	t.Helper()
	c.Retrieval = s.db.Version
	r, err := rg.New(s.db.Model.Stage1, s.u.D, c)
	if err != nil {
		t.Fatal(err)
	}
	var ls []generator.Losses
	if _, err := Train(context.Background(), s.db, r, s.d, TrainOptions{Steps: steps, CheckpointEvery: 10,
		OnStep: func(l generator.Losses) { ls = append(ls, l) }}); err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestTrainLowersLoss: a tiny stage-3 run, with neighbours retrieved
// through the real index, lowers its reconstruction and cycle losses, and
// leaves a checkpoint that Load reads back.
func TestTrainLowersLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("40 training steps: the full run")
	}
	t.Parallel()
	s := newSetup(t)
	ls := s.train(t, 40, rg.Config{K: 3, Batch: 4, Seed: 1, LR: 1e-3, Beta1: 0.5, Beta2: 0.999})
	mean := func(ls []generator.Losses) (rec, cyc float64) {
		for _, l := range ls {
			rec, cyc = rec+l.Rec/float64(len(ls)), cyc+l.Cycle/float64(len(ls))
		}
		return
	}
	r0, c0 := mean(ls[:8])
	r1, c1 := mean(ls[len(ls)-8:])
	t.Logf("reconstruction L1 %.4f -> %.4f, cycle %.4f -> %.4f", r0, r1, c0, c1)
	if r1 >= 0.85*r0 || c1 >= 0.85*c0 {
		t.Fatalf("stage 3 did not learn: rec %.4f -> %.4f, cycle %.4f -> %.4f", r0, r1, c0, c1)
	}
	r, _, err := Load(s.db)
	if err != nil || r.Step != 40 || r.Config.K != 3 {
		t.Fatalf("load: %v (%+v)", err, r)
	}
}

// TestTrainDefaultRecipe: stage 3 with the default recipe's parts (codes
// as translate makes them, reconstruction from the mean, a moving average,
// the schedule) trains, reloads with its moving average, and the
// translator decodes with the moving average, not the trained weights.
func TestTrainDefaultRecipe(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	arch, sch := s.u.Config.Arch, s.u.Config.Schema
	c := rg.Config{K: 2, Batch: 4, Seed: 1, Recipe: generator.StageThree(generator.DefaultRecipe(6, &arch, &sch)),
		Codes: generator.CodeEncoder.String()}
	ls := s.train(t, 6, c)
	for _, l := range ls {
		if l.GTotal <= 0 || l.Rec <= 0 || l.Code <= 0 {
			t.Fatalf("losses %+v", l)
		}
	}
	r, _, err := Load(s.db)
	if err != nil || r.EMA == nil || r.Config.Codes != "encoder" || !r.Config.Recipe.RecFromMu || r.Config.LR != 2e-4 {
		t.Fatalf("load: %v %+v", err, r)
	}
	tr, err := NewTranslator(s.db)
	if err != nil {
		t.Fatal(err)
	}
	w, avg := r.G.P.Get("u1.w").Data().([]float32), r.EMA.G.Get("u1.w").Data().([]float32)
	got := tr.RG.G.P.Get("u1.w").Data().([]float32)
	if slices.Equal(w, avg) || !slices.Equal(got, avg) {
		t.Fatal("the translator does not decode with the moving average")
	}
	o, err := tr.Image(Request{Image: s.d.X[0], Source: s.d.Labels[0], Targets: "Blond_Hair", Exclude: s.d.IDs[0]})
	if err != nil || len(o.Outputs) != 1 || len(o.Neighbours) != 2 {
		t.Fatalf("translate: %v %+v", err, o)
	}
}

// TestRetrieveExcludesSource: the query for an item's own domain finds the
// item itself first unless it is excluded.
func TestRetrieveExcludesSource(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	g := &Guide{DB: s.db, K: 3}
	content, err := g.Content(s.d.X[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	id := s.d.IDs[0]
	// The item's own embedding uses E_a's mean code; query with its
	// estimated values so the nearest item is itself.
	codes, _ := s.db.Model.Stage1.Codes(s.d.X[0], 1)
	src := s.db.Model.Schema().Values(codes)
	with, err := g.Retrieve(content, [][]int8{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	without, err := g.Retrieve(content, [][]int8{src}, []uint64{id})
	if err != nil {
		t.Fatal(err)
	}
	if len(with.IDs[0]) != 3 || len(without.IDs[0]) != 3 || !slices.Contains(with.IDs[0], id) || slices.Contains(without.IDs[0], id) {
		t.Fatalf("with %v, without %v (source %d)", with.IDs, without.IDs, id)
	}
	if len(with.Maps) != 3 || len(with.Maps[0]) != len(content) {
		t.Fatalf("%d maps of %d values", len(with.Maps), len(with.Maps[0]))
	}
}

// TestTranslateSmallIndex: with fewer items than k, translation uses the
// neighbours that exist and says how many; with none but the source it
// fails clearly.
func TestTranslateSmallIndex(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.train(t, 2, rg.Config{K: 3, Batch: 2, Seed: 1})
	b, err := Export(s.st, Provenance{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	small := openStore(t, "small.db")
	two := []string{filepath.Join(faces, "000001.png"), filepath.Join(faces, "000002.png")}
	if _, err := ingest.Run(context.Background(), small, two, &ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	db := importAndIndex(t, small, b)
	ids := []uint64{1, 2}
	tr, err := NewTranslator(db)
	if err != nil {
		t.Fatal(err)
	}
	x := s.d.X[0]
	out, err := tr.Image(Request{Image: x, Targets: "Blond_Hair", Samples: 2, Rng: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if out.Found != 2 || len(out.Outputs) != 2 || len(out.Outputs[0]) != len(x) {
		t.Fatalf("found %d, %d outputs", out.Found, len(out.Outputs))
	}
	if !out.Estimated || out.Target[schema.Index("Blond_Hair")] != 1 {
		t.Fatalf("target %v (estimated %v)", out.Target, out.Estimated)
	}
	// Excluding one of the two items leaves one neighbour.
	out, err = tr.Image(Request{Image: x, Targets: "Young", Exclude: ids[0]})
	if err != nil || out.Found != 1 || out.Neighbours[0] != ids[1] {
		t.Fatalf("%+v %v", out, err)
	}
	// Bad input.
	if _, err := tr.Image(Request{Image: x, Targets: "Wearing_Hat"}); !errors.Is(err, embed.ErrAttribute) {
		t.Fatalf("unknown target: %v", err)
	}
	if _, err := tr.Image(Request{Image: x, Targets: "Blond_Hair,Black_Hair"}); err == nil || !strings.Contains(err.Error(), "contradict") {
		t.Fatalf("contradictory target: %v", err)
	}
	if _, err := tr.Image(Request{Image: x, Targets: "Young", K: 4}); !errors.Is(err, retrieval.ErrQuery) {
		t.Fatalf("k above the model's: %v", err)
	}
}

// TestBundle: export then import into a new database gives the same
// translations; importing again does nothing; a database with other
// models, a damaged bundle and an RG-UNIT trained over another retrieval
// version are refused.
func TestBundle(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.train(t, 3, rg.Config{K: 2, Batch: 2, Seed: 1})
	b, err := Export(s.st, Provenance{Command: "test", Data: "samples/faces", Commit: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	st2 := openStore(t, "b.db")
	if _, err := ingest.Run(context.Background(), st2, []string{faces}, &ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	imp, err := Import(st2, b)
	if err != nil || imp.Already || imp.Provenance.Commit != "abc" || imp.Provenance.RGStep != 3 || imp.Provenance.K != 2 {
		t.Fatalf("import: %+v %v", imp, err)
	}
	if again, err := Import(st2, b); err != nil || !again.Already || again.RGVersion != imp.RGVersion {
		t.Fatalf("second import: %+v %v", again, err)
	}
	if p, err := ImportedProvenance(st2); err != nil || p == nil || p.RetrievalSHA256 != imp.Provenance.RetrievalSHA256 {
		t.Fatalf("provenance %+v %v", p, err)
	}
	db2 := importAndIndex(t, st2, b)
	t1, err := NewTranslator(s.db)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := NewTranslator(db2)
	if err != nil {
		t.Fatal(err)
	}
	q := Request{Image: s.d.X[5], Targets: "Blond_Hair,-Young"}
	a, err := t1.Image(q)
	if err != nil {
		t.Fatal(err)
	}
	c, err := t2.Image(q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Outputs[0], c.Outputs[0]) {
		t.Fatal("the imported model translates differently")
	}
	// A database with its own retrieval model refuses another bundle.
	other := newSetup(t)
	if _, err := Import(other.st, b); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "new database") {
		t.Fatalf("import over other models: %v", err)
	}
	// Damage.
	for _, bad := range [][]byte{b[:len(b)-1], b[:20], append(slices.Clone(b), 0), []byte("RGUNIT-BUNDLE\n")} {
		if _, err := DecodeBundle(bad); !errors.Is(err, ErrBundle) {
			t.Fatalf("damaged bundle: %v", err)
		}
	}
	// Edits of the header are detected too (the whole file is checksummed).
	for _, edit := range [][2]string{{`"k":2`, `"k":9`}, {`Male`, `Mble`}, {`"format":2`, `"format":1`}} {
		if !bytes.Contains(b, []byte(edit[0])) {
			t.Fatalf("the header has no %s", edit[0])
		}
		if _, err := DecodeBundle(bytes.Replace(b, []byte(edit[0]), []byte(edit[1]), 1)); !errors.Is(err, ErrBundle) {
			t.Fatalf("header edit %s -> %s: %v", edit[0], edit[1], err)
		}
	}
	flipped := slices.Clone(b)
	flipped[len(flipped)-10] ^= 1
	if _, err := Import(openStore(t, "c.db"), flipped); !errors.Is(err, ErrBundle) {
		t.Fatalf("flipped byte: %v", err)
	}
	// Stage 3 retrained over the same retrieval model: a bundle of its own
	// (its ID differs after the retrieval part), imported as a new RG-UNIT
	// version where the first bundle is.
	st3 := openStore(t, "d.db")
	first, err := Import(st3, b)
	if err != nil {
		t.Fatal(err)
	}
	s.train(t, 3, rg.Config{K: 2, Batch: 2, Seed: 2})
	b2, err := Export(s.st, Provenance{Command: "test", Data: "samples/faces", Commit: "def"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Import(st3, b2)
	if err != nil || second.Already || second.RGVersion <= first.RGVersion || second.RetrievalVersion != first.RetrievalVersion {
		t.Fatalf("a bundle with a retrained stage 3: %+v (first %+v) %v", second, first, err)
	}
	if p1, p2 := first.Provenance.ID(), second.Provenance.ID(); p1 == p2 || p1[:8] != p2[:8] {
		t.Fatalf("bundle IDs %s and %s", p1, p2)
	}
	if again, err := Import(st3, b2); err != nil || !again.Already {
		t.Fatalf("the second bundle again: %+v %v", again, err)
	}
	// A retrieval model retrained after RG-UNIT: Load refuses the mismatch.
	m1, _, _ := retrieval.Load(s.st)
	if _, err := retrieval.Checkpoint(s.st, m1, 3); err != nil {
		t.Fatal(err)
	}
	m2, v2, _ := retrieval.Load(s.st)
	if _, err := retrieval.Sync(context.Background(), s.st, m2, v2, retrieval.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	db3, err := retrieval.Open(s.st)
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	if _, _, err := Load(db3); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "train rg") {
		t.Fatalf("RG-UNIT over an older retrieval model: %v", err)
	}
}

// importAndIndex imports a bundle into st, indexes its items and opens it
// for queries.
func importAndIndex(t *testing.T, st *storage.Store, b []byte) *retrieval.Session {
	t.Helper()
	if _, err := Import(st, b); err != nil {
		t.Fatal(err)
	}
	m, ver, err := retrieval.Load(st)
	if err != nil {
		t.Fatal(err)
	}
	return indexAndOpen(t, st, m, ver)
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add([]byte("RGUNIT-BUNDLE\n\x02{}"))
	f.Add([]byte("RGUNIT-BUNDLE\n\x0c{\"format\":1}\x05abc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bd, err := DecodeBundle(b); err == nil && bd == nil {
			t.Fatal("nil bundle without error")
		}
	})
}

// TestBundleReach: a reach given at export is recorded in the provenance
// and in the stage-1 code statistics that every translation of the
// imported model reads; a negative one is refused.
func TestBundleReach(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.train(t, 2, rg.Config{K: 2, Batch: 2, Seed: 1})
	if _, err := Export(s.st, Provenance{Reach: -1}); err == nil || !strings.Contains(err.Error(), "reach -1") {
		t.Fatalf("negative reach: %v", err)
	}
	for _, reach := range []float64{0, 5} {
		b, err := Export(s.st, Provenance{Command: "test", Reach: reach})
		if err != nil {
			t.Fatal(err)
		}
		st2 := openStore(t, fmt.Sprintf("reach%g.db", reach))
		if _, err := ingest.Run(context.Background(), st2, []string{faces}, &ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		imp, err := Import(st2, b)
		if err != nil || imp.Provenance.Reach != reach {
			t.Fatalf("reach %g: import %+v %v", reach, imp, err)
		}
		tr, err := NewTranslator(importAndIndex(t, st2, b))
		if err != nil {
			t.Fatal(err)
		}
		want := reach
		if want == 0 {
			want = generator.Reach
		}
		if got := tr.RG.Base.Config.Stats.ReachStd(); got != want {
			t.Fatalf("export with reach %g: the imported model reaches %g", reach, got)
		}
	}
}
