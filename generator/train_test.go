package generator

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"rgunit/embed"
)

var faceSchema = embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}

func randomBatch(rng *rand.Rand, n, size, attrs int) Batch {
	b := Batch{X: make([]float32, n*3*size*size), Ref: make([]float32, n*3*size*size)}
	for i := range b.X {
		b.X[i] = float32(rng.Float64()*2 - 1)
		b.Ref[i] = float32(rng.Float64()*2 - 1)
	}
	for range n {
		src, tgt := make([]int8, attrs), make([]int8, attrs)
		for a := range attrs {
			src[a], tgt[a] = int8(rng.IntN(2)*2-1), int8(rng.IntN(2)*2-1)
		}
		b.Src, b.Tgt = append(b.Src, src), append(b.Tgt, tgt)
	}
	return b
}

// TestStepRuns: two steps of the first recipe, of the default one and of
// the default one without each of its parts give finite losses and update
// G and D.
func TestStepRuns(t *testing.T) {
	runs := []string{"first", "default"}
	for _, p := range RecipeParts {
		runs = append(runs, "without "+p.Name)
	}
	for _, run := range runs {
		t.Run(run, func(t *testing.T) {
			t.Parallel()
			c := Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: faceSchema, Batch: 2, Seed: 1}
			if run != "first" {
				c.Recipe = DefaultRecipe(10, &c.Arch, &c.Schema)
				if part, ok := strings.CutPrefix(run, "without "); ok {
					before, arch, free := c.Recipe, c.Arch, c.Schema.Free
					if err := Without(&c.Recipe, &c.Arch, &c.Schema, []string{part}); err != nil || (c.Recipe == before && c.Arch == arch && c.Schema.Free == free) {
						t.Fatalf("without %s changed nothing: %v", part, err)
					}
				}
			}
			stepRuns(t, c)
		})
	}
	var r Recipe
	var a embed.Arch
	var s embed.Schema
	if err := Without(&r, &a, &s, []string{"dropout"}); err == nil || !strings.Contains(err.Error(), "rec-mu") {
		t.Fatalf("an unknown part: %v", err)
	}
}

func stepRuns(t *testing.T, c Config) {
	u, err := NewUNIT(c)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(u)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	g0 := append([]float32(nil), u.G.P.Get("out.w").Data().([]float32)...)
	d0 := append([]float32(nil), u.D.P.Get("cls.w").Data().([]float32)...)
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2 {
		l, err := tr.Step(randomBatch(rng, 2, 32, 5))
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]float64{"adv": l.Adv, "cls": l.Cls, "rec": l.Rec, "content": l.Content, "code": l.Code,
			"cycle": l.Cycle, "kl": l.KL, "d_adv": l.DAdv, "d_cls": l.DCls} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("loss %s = %v", name, v)
			}
		}
		t.Logf("%+v", l)
	}
	if u.Step != 2 || u.OptG.Step != 2 || u.OptD.Step != 2 {
		t.Fatalf("steps: model %d, optimizers %d %d", u.Step, u.OptG.Step, u.OptD.Step)
	}
	changed := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return true
			}
		}
		return false
	}
	if !changed(g0, u.G.P.Get("out.w").Data().([]float32)) || !changed(d0, u.D.P.Get("cls.w").Data().([]float32)) {
		t.Fatal("a step left G's or D's weights unchanged")
	}
}

// TestStepSpeed reports the time of a full step at the default widths (set
// RGUNIT_STEP_SPEED=1; the bench measures it properly).
func TestStepSpeed(t *testing.T) {
	if os.Getenv("RGUNIT_STEP_SPEED") == "" {
		t.Skip("set RGUNIT_STEP_SPEED=1")
	}
	for _, run := range []struct {
		size   int
		recipe string
	}{{32, "first"}, {32, "default"}, {64, "default"}} {
		size := run.size
		a := embed.DefaultArch
		a.Size = size
		var r Recipe
		s := faceSchema
		if run.recipe == "default" {
			r = DefaultRecipe(1000, &a, &s)
		}
		u, _ := NewUNIT(Config{Arch: a, Schema: s, Batch: 8, Seed: 1, Recipe: r})
		tr, err := NewTrainer(u)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		b := randomBatch(rng, 8, size, 5)
		tr.Step(b)
		// Steps are timed one by one: this machine is shared and noisy, so
		// the median is reported next to the mean.
		const steps = 7
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		times := make([]float64, steps)
		for i := range times {
			start := time.Now()
			if _, err := tr.Step(b); err != nil {
				t.Fatal(err)
			}
			times[i] = time.Since(start).Seconds()
		}
		runtime.ReadMemStats(&m1)
		var mean float64
		for _, x := range times {
			mean += x / steps
		}
		slices.Sort(times)
		med := times[steps/2]
		t.Logf("%d px: %.0f MB allocated per step", size, float64(m1.TotalAlloc-m0.TotalAlloc)/steps/1e6)
		ec, ea, g, d := u.Params()
		gf := float64(tr.FLOPs) / 1e9
		t.Logf("%d px, %s recipe: median %.3f s/step (mean %.3f, min %.3f, max %.3f), %.2f GFLOP/step, %.2f GFLOP/s at the median; params Ec %d Ea %d G %d D %d",
			size, run.recipe, med, mean, times[0], times[steps-1], gf, gf/med, ec, ea, g, d)
		tr.Close()
	}
}

// BenchmarkStep times a stage-1 step of the default recipe at 32 px, batch
// 8 (the shipped model's size), and reports GFLOP/s.
func BenchmarkStep(b *testing.B) {
	a := embed.DefaultArch
	s := faceSchema
	u, _ := NewUNIT(Config{Arch: a, Schema: s, Batch: 8, Seed: 1, Recipe: DefaultRecipe(1000, &a, &s)})
	tr, err := NewTrainer(u)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	batch := randomBatch(rand.New(rand.NewPCG(1, 1)), 8, 32, 5)
	tr.Step(batch)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tr.FLOPs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
