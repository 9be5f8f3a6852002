package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/nn"
)

// TrainSpeed is the speed of stage-1 training steps, next to the Sgemm
// ceiling and the same steps on one graph (the batch not split), measured
// in the same run.
type TrainSpeed struct {
	Size          int     `json:"size"`
	Batch         int     `json:"batch"`
	Recipe        string  `json:"recipe"`
	Steps         int     `json:"steps"`
	Parts         int     `json:"parts"` // the batch split into, one graph per core
	SecondsMedian float64 `json:"seconds_per_step_median"`
	SecondsMin    float64 `json:"seconds_per_step_min"`
	GFLOPPerStep  float64 `json:"gflop_per_step"`
	GFLOPS        float64 `json:"gflops"`      // at the median
	PeakGFLOPS    float64 `json:"peak_gflops"` // nn.PeakSgemm, in the same run
	OfPeak        float64 `json:"of_peak"`     // GFLOPS / PeakGFLOPS
	Threads       int     `json:"threads"`     // GOMAXPROCS
	AllocMBStep   float64 `json:"alloc_mb_per_step"`
	// OneGraphSecondsMedian is the median step with the batch in one
	// graph (Parts 1), when Parts is more; Speedup is it over
	// SecondsMedian.
	OneGraphSecondsMedian float64 `json:"one_graph_seconds_per_step_median,omitempty"`
	Speedup               float64 `json:"speedup_over_one_graph,omitempty"`
}

// MeasureTrain times steps stage-1 steps (after two warm-up steps) of a
// model of the default architecture at size px and batch batch, with the
// default recipe or the first one, on a fixed random batch split into
// parts (0: one per core), then the same with the batch in one graph when
// that is a different run, and measures the Sgemm ceiling before and
// after.
func MeasureTrain(size, batch, steps, parts int, recipe string, threads int, allocs func() uint64) (*TrainSpeed, error) {
	if steps < 1 || batch < 1 {
		return nil, fmt.Errorf("bench: %d steps of batch %d", steps, batch)
	}
	a := embed.DefaultArch
	a.Size = size
	s := embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: embed.DefaultAttrDim}
	r, err := generator.ParseRecipe(recipe, nil, 1000, &a, &s)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b := generator.Batch{X: make([]float32, batch*3*size*size), Ref: make([]float32, batch*3*size*size)}
	for i := range b.X {
		b.X[i], b.Ref[i] = float32(rng.Float64()*2-1), float32(rng.Float64()*2-1)
	}
	for range batch {
		src, tgt := make([]int8, 5), make([]int8, 5)
		for j := range src {
			src[j], tgt[j] = int8(rng.IntN(2)*2-1), int8(rng.IntN(2)*2-1)
		}
		b.Src, b.Tgt = append(b.Src, src), append(b.Tgt, tgt)
	}
	res := &TrainSpeed{Size: size, Batch: batch, Recipe: recipe, Steps: steps, Threads: threads}
	run := func(parts int) (median float64, err error) {
		u, err := generator.NewUNIT(generator.Config{Arch: a, Schema: s, Batch: batch, Seed: 1, Recipe: r, Parts: parts})
		if err != nil {
			return 0, err
		}
		tr, err := generator.NewTrainer(u)
		if err != nil {
			return 0, err
		}
		defer tr.Close()
		res.Parts, res.GFLOPPerStep = tr.Parts(), float64(tr.FLOPs)/1e9
		for range 2 {
			if _, err := tr.Step(b); err != nil {
				return 0, err
			}
		}
		a0 := allocs()
		times := make([]float64, steps)
		for i := range times {
			start := time.Now()
			if _, err := tr.Step(b); err != nil {
				return 0, err
			}
			times[i] = time.Since(start).Seconds()
		}
		res.AllocMBStep = float64(allocs()-a0) / float64(steps) / 1e6
		slices.Sort(times)
		res.SecondsMin = times[0]
		return times[steps/2], nil
	}
	before := nn.PeakSgemm(time.Second / 2) // before and after the steps: a shared machine's load moves
	if parts != 1 {
		if res.OneGraphSecondsMedian, err = run(1); err != nil {
			return nil, err
		}
	}
	if res.SecondsMedian, err = run(parts); err != nil {
		return nil, err
	}
	if res.Parts == 1 {
		res.OneGraphSecondsMedian = 0
	} else {
		res.Speedup = res.OneGraphSecondsMedian / res.SecondsMedian
	}
	res.GFLOPS = res.GFLOPPerStep / res.SecondsMedian
	res.PeakGFLOPS = (before + nn.PeakSgemm(time.Second/2)) / 2
	res.OfPeak = res.GFLOPS / res.PeakGFLOPS
	return res, nil
}
