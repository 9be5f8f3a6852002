package rg

import (
	"errors"
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/generator"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// Batch is a stage-3 batch: a stage-1 batch with, for each image, the
// content maps of the K neighbours retrieved for its target (NbTgt) and
// for its own domain (NbSrc, used to reconstruct it). NbTgt[k] holds the
// k-th neighbour of every image: N*C*H*W values.
type Batch struct {
	generator.Batch
	NbTgt, NbSrc [][]float32
	// Codes, when set, are the translations' codes (TranslationCode of each
	// image's E_a mean and its target neighbours' codes, CodeDim values per
	// image); otherwise they are drawn from the targets' prior Gaussians.
	Codes []float32
}

// Trainer runs stage-3 steps: a G step (G but its code MLP, and the
// fusion, through the stage-1 generator losses; E_c, E_a and D frozen) and
// a D step, each built once per part of the batch (Config.Parts) and run
// one part per core.
type Trainer struct {
	r     *Model
	gt    *nn.Params // the trained part of G
	split *gan.Split
	// The neighbours' content maps of the whole batch (the parts' inputs
	// are views of their rows).
	nbTT, nbST []*tensor.Dense
}

// NewTrainer builds the graphs for r's batch size and parts.
func NewTrainer(r *Model) (t *Trainer, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("rg: building the stage-3 graphs: %v", p)
		}
	}()
	c, bc := r.Config, r.Base.Config
	s, cd, na := bc.Arch.Size, bc.Schema.CodeDim(), len(bc.Schema.Attrs)
	cs := r.Base.ContentShape()
	t = &Trainer{r: r, gt: r.trainableG()}
	if t.split, err = gan.NewSplit(c.Batch, c.Parts, s, cd, na, 1); err != nil {
		return nil, err
	}
	for range c.K {
		t.nbTT = append(t.nbTT, gan.NewTensor(c.Batch, cs[0], cs[1], cs[2]))
		t.nbST = append(t.nbST, gan.NewTensor(c.Batch, cs[0], cs[1], cs[2]))
	}
	newBuilder := func() *nn.Builder {
		b := nn.NewBuilder(t.gt, r.Fusion.P)
		for _, p := range []*nn.Params{r.G.P, r.Base.Ec.P, r.Base.Ea.P, r.D.P} {
			b.Use(p)
		}
		return b
	}
	build := func(b *nn.Builder, in gan.Inputs, part int) gan.PartGraph {
		n := c.Batch / t.split.N()
		more := map[*G.Node]*tensor.Dense{}
		var nbT, nbS []*G.Node
		for k := range c.K {
			nbT = append(nbT, b.Input(fmt.Sprint("nb_tgt", k), n, cs[0], cs[1], cs[2]))
			nbS = append(nbS, b.Input(fmt.Sprint("nb_src", k), n, cs[0], cs[1], cs[2]))
			more[nbT[k]], more[nbS[k]] = t.split.View(t.nbTT[k], part), t.split.View(t.nbST[k], part)
		}
		g := t.buildG(b, in, nbT, nbS, n)
		g.More = more
		return g
	}
	if err := t.split.Build(newBuilder, build, r.D.Build, r.D.P, c.Weights.Adv, c.Weights.Cls); err != nil {
		return nil, fmt.Errorf("rg: stage 3: %w", err)
	}
	return t, nil
}

// buildG adds one part's G step over n images to b: its translation and
// its losses (adversarial, class, reconstruction, content, code, cycle,
// and their weighted total, with the chroma loss, last).
func (t *Trainer) buildG(b *nn.Builder, in gan.Inputs, nbT, nbS []*G.Node, n int) gan.PartGraph {
	r := t.r
	c, u := r.Config, r.Base
	s := u.Config.Arch.Size
	content := u.Ec.Build(b, in.X)
	mu, logvar := u.Ea.Build(b, in.X)
	z := mu
	if !c.Recipe.RecFromMu {
		z = b.Reparam(mu, logvar, in.Eps)
	}
	xrec := r.G.Build(b, r.Fusion.Build(b, content, nbS), z)
	nets := gan.PassNets{
		Forward: func(content, code *G.Node) *G.Node { return r.G.Build(b, r.Fusion.Build(b, content, nbT), code) },
		Back:    func(content, code *G.Node) *G.Node { return r.G.Build(b, r.Fusion.Build(b, content, nbS), code) },
		Ec:      u.Ec, D: r.D.Build,
	}
	p := nets.Translation(b, in.X, content, in.Zt, z, in.Tgt01)
	mufake, _ := u.Ea.Build(b, p.Fake)
	terms := []*G.Node{p.Adv, p.Cls, b.L1(xrec, in.X), p.Content, b.L1(mufake, in.Zt), p.Cycle}
	w := c.Weights
	weights := []float64{w.Adv, w.Cls, w.Rec, w.Content, w.Code, w.Cycle}
	total := terms
	if k := c.Recipe.ChromaSmooth; k > 0 {
		total, weights = append(terms[:len(terms):len(terms)], chromaHF(b, p.Fake, n, s)), append(weights, k)
	}
	return gan.PartGraph{Fakes: []*G.Node{p.Fake}, Losses: append(terms, b.WeightedSum(total, weights))}
}

// Close releases the machines.
func (t *Trainer) Close() { t.split.Close() }

// Step runs one G step and one D step and returns the losses (KL is not
// trained in stage 3 and reads 0).
func (t *Trainer) Step(batch Batch) (generator.Losses, error) {
	start := time.Now()
	r := t.r
	c, bc := r.Config, r.Base.Config
	if len(batch.X) != len(t.split.Host.XT.Data().([]float32)) || len(batch.Src) != c.Batch || len(batch.Tgt) != c.Batch ||
		len(batch.NbTgt) != c.K || len(batch.NbSrc) != c.K {
		return generator.Losses{}, fmt.Errorf("rg: stage-3 batch of %d values, %d sources, %d targets, %d+%d neighbour maps",
			len(batch.X), len(batch.Src), len(batch.Tgt), len(batch.NbTgt), len(batch.NbSrc))
	}
	for k := range c.K {
		for _, p := range [][2][]float32{{t.nbTT[k].Data().([]float32), batch.NbTgt[k]}, {t.nbST[k].Data().([]float32), batch.NbSrc[k]}} {
			if len(p[0]) != len(p[1]) {
				return generator.Losses{}, fmt.Errorf("rg: neighbour map of %d values, want %d", len(p[1]), len(p[0]))
			}
			copy(p[0], p[1])
		}
	}
	// The stage-1 draws (the KL is not trained here: its weight is unused).
	t.split.Load(gan.Draw{Schema: bc.Schema, StyleSwap: bc.Recipe.StyleSwap}, c.Seed, r.Step, batch.Batch)
	if batch.Codes != nil {
		zt := t.split.Host.ZtT.Data().([]float32)
		if len(batch.Codes) != len(zt) {
			return generator.Losses{}, fmt.Errorf("rg: %d code values for a batch of %d", len(batch.Codes), len(zt))
		}
		copy(zt, batch.Codes)
	}
	var l generator.Losses
	ls, dAdv, dCls, err := t.split.Run()
	if err != nil {
		return l, fmt.Errorf("rg: stage-3 step: %w", err)
	}
	l.Adv, l.Cls, l.Rec, l.Content, l.Code, l.Cycle, l.GTotal = ls[0], ls[1], ls[2], ls[3], ls[4], ls[5], ls[6]
	l.DAdv, l.DCls = dAdv, dCls
	c.Recipe.Schedule(c.LR, r.Step, r.OptG, r.OptD)
	if err := t.split.UpdateG(r.OptG, t.gt, r.Fusion.P); err != nil {
		return l, err
	}
	if r.EMA != nil {
		d := c.Recipe.EMADecay(r.Step)
		if err := errors.Join(r.EMA.G.MoveAverage(r.G.P, d), r.EMA.Fusion.MoveAverage(r.Fusion.P, d)); err != nil {
			return l, err
		}
	}
	if err := t.split.UpdateD(r.OptD); err != nil {
		return l, err
	}
	l.Seconds, err = gan.EndStep(&r.Step, start, l.GTotal)
	l.Step = r.Step
	return l, err
}

// Translate decodes n images with retrieval guidance: G(F(E_c(x_i),
// neighbours), codes[i]). neighbours[k] holds the k-th neighbour's content
// map of every image (n*C*H*W values).
func (r *Model) Translate(x []float32, codes [][]float32, neighbours [][]float32) ([][]float32, error) {
	u := r.Base
	s, cd := u.Config.Arch.Size, u.Config.Schema.CodeDim()
	cs := u.ContentShape()
	per, cper := 3*s*s, cs[0]*cs[1]*cs[2]
	n := len(codes)
	if n == 0 || len(x) != n*per {
		return nil, fmt.Errorf("rg: %d values for %d images of %d px", len(x), n, s)
	}
	if len(neighbours) != r.Config.K {
		return nil, fmt.Errorf("rg: %d neighbour maps for a model that fuses %d", len(neighbours), r.Config.K)
	}
	flat, err := gan.FlatCodes(codes, cd)
	if err != nil {
		return nil, err
	}
	ins := []gan.Input{{Name: "x", Shape: []int{n, 3, s, s}, Data: x}, {Name: "code", Shape: []int{n, cd}, Data: flat}}
	for k, nb := range neighbours {
		if len(nb) != n*cper {
			return nil, fmt.Errorf("rg: neighbour map %d has %d values, want %d", k, len(nb), n*cper)
		}
		ins = append(ins, gan.Input{Name: fmt.Sprint("nb", k), Shape: []int{n, cs[0], cs[1], cs[2]}, Data: nb})
	}
	out, err := u.RunGraphWith([]*nn.Params{r.G.P, r.Fusion.P}, ins, func(b *nn.Builder, in []*G.Node) *G.Node {
		return r.G.Build(b, r.Fusion.Build(b, u.Ec.Build(b, in[0]), in[2:]), in[1])
	})
	if err != nil {
		return nil, err
	}
	return gan.Rows(out, n, per), nil
}

// chromaHF is the mean |Laplacian| of the chroma channels (R-G, B-G) of
// x (n,3,s,s), inside a one-pixel border: the speckle bench.SpeckleRatio
// measures.
func chromaHF(b *nn.Builder, x *G.Node, n, s int) *G.Node {
	lap := [9]float32{0, 1, 0, 1, -4, 1, 0, 1, 0}
	w := gan.NewTensor(2, 3, 3, 3)
	k := w.Data().([]float32)
	for i, v := range lap {
		k[0*27+0*9+i], k[0*27+1*9+i] = v, -v // R-G
		k[1*27+2*9+i], k[1*27+1*9+i] = v, -v // B-G
	}
	return b.L1(b.Conv(x, w, nil, 1, 0), b.P(gan.NewTensor(n, 2, s-2, s-2)))
}
