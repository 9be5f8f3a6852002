package generator

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"rgunit/embed"
	"rgunit/ingest"
	"rgunit/split"
	"rgunit/storage"
)

const faces = "../samples/faces"

// facesStore ingests the shipped faces (labelled unless unlabelled) into a
// fresh store at the given resolution.
func facesStore(t *testing.T, size int, labelled bool) *storage.Store {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), "f.db"), &storage.Options{ImageSize: size, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var o ingest.Options
	if labelled {
		if o.Labels, err = ingest.LoadLabels(filepath.Join(faces, "list_attr.txt")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ingest.Run(context.Background(), st, []string{faces}, &o); err != nil {
		t.Fatal(err)
	}
	return st
}

var tiny = embed.Arch{Size: 32, Width: 8, ResBlocks: 1}

func tinyConfig(batch int) Config {
	return Config{Arch: tiny, Schema: faceSchema, Batch: batch, Seed: 7}
}

// tinyDefault is tinyConfig with the default recipe (for 4 steps).
func tinyDefault(batch int) Config {
	c := tinyConfig(batch)
	c.Recipe = DefaultRecipe(4, &c.Arch, &c.Schema)
	return c
}

// recipes are the two recipes the checkpoint and resume tests run.
var recipes = []struct {
	name   string
	config func(batch int) Config
}{{"first", tinyConfig}, {"default", tinyDefault}}

func TestDatasetAndBadInput(t *testing.T) {
	st := facesStore(t, 64, true)
	s, err := DefaultSchema(st, 8)
	if err != nil || !reflect.DeepEqual(s.Attrs, faceSchema.Attrs) {
		t.Fatalf("default schema %v %v", s, err)
	}
	d, err := LoadDataset(st, s, 32, 0)
	if err != nil || len(d.X) != 300 || len(d.X[0]) != 3*32*32 {
		t.Fatalf("dataset: %v", err)
	}
	for _, v := range d.X[0] {
		if v < -1 || v > 1 {
			t.Fatalf("pixel %v out of [-1, 1]", v)
		}
	}
	if err := CheckSchema(st, embed.Schema{Attrs: []string{"Blond_Hair", "Wearing_Hat"}, Dim: 8}); !errors.Is(err, embed.ErrAttribute) {
		t.Fatalf("unknown attribute: %v", err)
	}
	if _, err := LoadDataset(st, s, 128, 0); !errors.Is(err, ErrResolution) {
		t.Fatalf("model larger than the database: %v", err)
	}
	un := facesStore(t, 32, false)
	if _, err := DefaultSchema(un, 8); !errors.Is(err, ErrNoLabelled) {
		t.Fatalf("unlabelled store: %v", err)
	}
	if _, err := LoadDataset(un, s, 32, 0); !errors.Is(err, ErrNoLabelled) {
		t.Fatalf("unlabelled store: %v", err)
	}
	if _, err := s.ParseTargets("Blond_Hair,-Bald", make([]int8, 5)); !errors.Is(err, embed.ErrAttribute) {
		t.Fatalf("unknown target: %v", err)
	}
	if v, err := s.ParseTargets("Blond_Hair,-Male", []int8{1, -1, -1, 1, 1}); err != nil || !reflect.DeepEqual(v, []int8{-1, 1, -1, -1, 1}) { // hair stays one-hot
		t.Fatalf("targets %v %v", v, err)
	}
}

// TestCheckpointRoundTrip: a stored checkpoint reloads with bit-identical
// outputs (the moving average's included), carries code statistics, and a
// damaged one is refused; for both recipes.
func TestCheckpointRoundTrip(t *testing.T) {
	for _, rc := range recipes {
		t.Run(rc.name, func(t *testing.T) {
			st := facesStore(t, 32, true)
			d, _ := LoadDataset(st, faceSchema, 32, 8)
			u, _ := NewUNIT(rc.config(2))
			if _, err := Train(context.Background(), st, u, d, TrainOptions{Steps: 2}); err != nil {
				t.Fatal(err)
			}
			r, ver, err := LoadLatest(st)
			if err != nil || ver != 1 || r.Step != 2 {
				t.Fatalf("latest: version %d step %v %v", ver, r, err)
			}
			if s := r.Config.Stats; s == nil || s.Items != 8 || len(s.Mean) != 5 || len(s.Mean[0][1]) != faceSchema.Dim {
				t.Fatalf("code statistics %+v", s)
			}
			sch := r.Config.Schema
			codes := [][]float32{make([]float32, sch.CodeDim()), make([]float32, sch.CodeDim())}
			sch.Means([]int8{1, -1, -1, 1, 1}, codes[0])
			sch.Means([]int8{-1, 1, -1, -1, -1}, codes[1])
			x := append(append([]float32(nil), d.X[0]...), d.X[1]...)
			for _, v := range []struct{ a, b *UNIT }{{u, r}, {u.Inference(), r.Inference()}} {
				a, err := v.a.Translate(x, codes)
				if err != nil {
					t.Fatal(err)
				}
				b, err := v.b.Translate(x, codes)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(a, b) {
					t.Fatal("reloaded checkpoint gives different outputs")
				}
			}
			raw, _ := u.Translate(x, codes)
			ema, _ := u.Inference().Translate(x, codes)
			if (rc.name == "default") == reflect.DeepEqual(raw, ema) {
				t.Fatalf("%s recipe: the inference weights are the trained ones: %v", rc.name, reflect.DeepEqual(raw, ema))
			}
			blob, _ := u.MarshalBinary()
			for _, bad := range [][]byte{nil, blob[:20], blob[:len(blob)-3], append(append([]byte(nil), blob...), 0)} {
				if _, err := UnmarshalUNIT(bad); !errors.Is(err, ErrCheckpoint) {
					t.Fatalf("damaged checkpoint (%d bytes): %v", len(bad), err)
				}
			}
		})
	}
}

// TestResume: a run interrupted after 2 steps and resumed from its
// checkpoint ends with the same weights (and moving averages) as an
// uninterrupted 4-step run, for both recipes.
func TestResume(t *testing.T) {
	for _, rc := range recipes {
		t.Run(rc.name, func(t *testing.T) {
			st := facesStore(t, 32, true)
			d, _ := LoadDataset(st, faceSchema, 32, 16)
			whole, _ := NewUNIT(rc.config(2))
			if _, err := Train(context.Background(), st, whole, d, TrainOptions{Steps: 4}); err != nil {
				t.Fatal(err)
			}
			st2 := facesStore(t, 32, true)
			first, _ := NewUNIT(rc.config(2))
			ctx, cancel := context.WithCancel(context.Background())
			_, err := Train(ctx, st2, first, d, TrainOptions{Steps: 4, OnStep: func(l Losses) {
				if l.Step == 2 {
					cancel() // Ctrl-C after step 2
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			resumed, _, err := LoadLatest(st2)
			if err != nil || resumed.Step != 2 {
				t.Fatalf("checkpoint at interruption: %v %v", resumed, err)
			}
			if _, err := Train(context.Background(), st2, resumed, d, TrainOptions{Steps: 4}); err != nil {
				t.Fatal(err)
			}
			for _, name := range whole.G.P.Names() {
				if !reflect.DeepEqual(whole.G.P.Get(name).Data(), resumed.G.P.Get(name).Data()) {
					t.Fatalf("G.%s differs between the whole and the resumed run", name)
				}
				if whole.EMA != nil && !reflect.DeepEqual(whole.EMA.G.Get(name).Data(), resumed.EMA.G.Get(name).Data()) {
					t.Fatalf("the moving average of G.%s differs between the whole and the resumed run", name)
				}
			}
			if !reflect.DeepEqual(whole.D.P.Get("cls.w").Data(), resumed.D.P.Get("cls.w").Data()) {
				t.Fatal("D differs between the whole and the resumed run")
			}
		})
	}
}

// TestOverfit: a tiny 32 px model trained on 16 faces reconstructs them.
func TestOverfit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a while")
	}
	st := facesStore(t, 32, true)
	d, _ := LoadDataset(st, faceSchema, 32, 16)
	c := tinyConfig(overfitBatch)
	c.LR, c.Beta1, c.Beta2 = overfitLR, 0.5, 0.999
	u, _ := NewUNIT(c)
	var first, last Losses
	_, err := Train(context.Background(), st, u, d, TrainOptions{Steps: overfitSteps, CheckpointEvery: 1 << 30, OnStep: func(l Losses) {
		if l.Step == 1 {
			first = l
		}
		last = l
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The threshold: a fraction of the L1 of the best constant image (the
	// per-pixel median of the 16 faces), which a model that ignored its
	// input could at most reach.
	base := constantL1(d.X)
	t.Logf("self-reconstruction L1: step 1 %.4f, step %d %.4f (cycle %.4f -> %.4f); best constant image %.4f",
		first.Rec, last.Step, last.Rec, first.Cycle, last.Cycle, base)
	if last.Rec > overfitFraction*base || math.IsNaN(last.Rec) {
		t.Fatalf("reconstruction L1 %.4f after %d steps, want <= %.2f x %.4f", last.Rec, last.Step, overfitFraction, base)
	}
}

// constantL1 is the mean L1 between the images and their per-pixel median.
func constantL1(xs [][]float32) float64 {
	var sum float64
	col := make([]float32, len(xs))
	for p := range xs[0] {
		for i, x := range xs {
			col[i] = x[p]
		}
		slices.Sort(col)
		med := col[len(col)/2]
		for _, v := range col {
			sum += math.Abs(float64(v - med))
		}
	}
	return sum / float64(len(xs)*len(xs[0]))
}

// FuzzUnmarshalUNIT: any bytes give a model or ErrCheckpoint, never a
// panic (nor an unbounded allocation: the configuration is checked before
// any tensor is made).
func FuzzUnmarshalUNIT(f *testing.F) {
	u, _ := NewUNIT(Config{Arch: embed.Arch{Size: 32, Width: 2, ResBlocks: 1}, Schema: embed.Schema{Attrs: []string{"A"}, Dim: 1}, Batch: 1, Seed: 1})
	blob, _ := u.MarshalBinary()
	f.Add(blob)
	f.Add([]byte(checkpointMagic + "\x02{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := UnmarshalUNIT(b); err != nil && !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("error without ErrCheckpoint: %v", err)
		}
	})
}

// TestKeepFraction: KeepFraction keeps exactly the items of the fraction
// (split.InFraction).
func TestKeepFraction(t *testing.T) {
	st := facesStore(t, 32, true)
	d, _ := LoadDataset(st, faceSchema, 32, 0)
	if got := d.KeepFraction(0.5); got < 120 || got > 180 || len(d.X) != got || len(d.Labels) != got || len(d.Names) != got {
		t.Fatalf("KeepFraction(0.5) of 300: %d (%d images)", got, len(d.X))
	}
	for _, id := range d.IDs {
		if !split.InFraction(id, 0.5) {
			t.Fatalf("id %d kept outside the fraction", id)
		}
	}
}
