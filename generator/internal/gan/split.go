package gan

import (
	"errors"
	"fmt"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/nn"
)

// ErrParts is returned for a batch that cannot be split as asked.
var ErrParts = errors.New("generator: the batch cannot be split into that many parts: give a number of parts that divides it, or 0 for one per core")

// Parts is the number of parts a step over n images runs as: parts when it
// is positive (it must divide n), else one per core (GOMAXPROCS), fewer
// when that does not divide n.
func Parts(n, parts int) (int, error) {
	if parts < 0 || parts > n || (parts > 0 && n%parts != 0) {
		return 0, fmt.Errorf("%w (%d parts of %d images)", ErrParts, parts, n)
	}
	if parts > 0 {
		return parts, nil
	}
	p := max(1, min(runtime.GOMAXPROCS(0), n))
	for n%p != 0 {
		p--
	}
	return p, nil
}

// Split is a training step whose batch is split into equal parts, each
// with its own G graph and D step over the same weights, run at once (one
// per core, nn.Together); their gradients are averaged into the first
// part's before each update. Every loss is a mean over the batch, so the
// mean of the parts' losses is the whole batch's, and so is the mean of
// their gradients. One part is the plain step.
type Split struct {
	// Host holds the whole batch's input tensors (no nodes); each part's
	// tensors are views of its rows.
	Host  Inputs
	Parts []*Part
	n     int
}

// Part is one part of a Split: its G graph's builder and inputs, the
// translations its D step scores, its D step, and the loss nodes whose
// means Run returns.
type Part struct {
	Inputs
	B      *nn.Builder
	m      G.VM
	fakes  []G.Value
	D      *DStep
	losses []*G.Node
}

// NewSplit returns a step over n images of s px, cd code values, na
// attributes and fakes translations per image, in parts parts (see Parts);
// Build builds them.
func NewSplit(n, parts, s, cd, na, fakes int) (*Split, error) {
	p, err := Parts(n, parts)
	if err != nil {
		return nil, err
	}
	return &Split{Host: newTensors(n, s, cd, na, fakes), n: p}, nil
}

// N is the number of parts.
func (sp *Split) N() int { return sp.n }

// inputs returns the inputs of part r: nodes of a batch of n/N images in
// b, bound to views of the host tensors' rows.
func (sp *Split) inputs(b *nn.Builder, r int) Inputs {
	h := sp.Host
	view := func(t *tensor.Dense) *tensor.Dense { return sp.View(t, r) }
	var in Inputs
	in.addNodes(b, h.XT.Shape()[0]/sp.n, h.XT.Shape()[2], h.ZtT.Shape()[1], h.Tgt01T.Shape()[1])
	in.XT, in.SrcMeansT, in.EpsT, in.ZtT = view(h.XT), view(h.SrcMeansT), view(h.EpsT), view(h.ZtT)
	in.Tgt01T, in.Src01T, in.SwapT, in.RefT, in.KeepT = view(h.Tgt01T), view(h.Src01T), view(h.SwapT), view(h.RefT), view(h.KeepT)
	for _, f := range h.FakeT {
		in.FakeT = append(in.FakeT, view(f))
	}
	return in
}

// View returns the rows of part r of a host tensor t of n images (a
// stage's own per-image inputs).
func (sp *Split) View(t *tensor.Dense, r int) *tensor.Dense {
	shape := t.Shape().Clone()
	shape[0] /= sp.n
	per := shape.TotalSize()
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.Data().([]float32)[r*per:(r+1)*per]))
}

// PartGraph is what a trainer adds to one part's G graph: the translations
// D's step scores, the loss nodes Run reports (the total last: the G
// step's gradients are its), and more nodes to bind to tensors (a stage's
// own inputs).
type PartGraph struct {
	Fakes, Losses []*G.Node
	More          map[*G.Node]*tensor.Dense
}

// Build builds every part: a builder from newBuilder, the part's inputs,
// its G graph (build; part is its index, for Split.View), the gradients of its total, and D's step over the
// same images (critic d over its parameters p, its losses weighted wAdv
// and wCls).
func (sp *Split) Build(newBuilder func() *nn.Builder, build func(b *nn.Builder, in Inputs, part int) PartGraph,
	d Critic, p *nn.Params, wAdv, wCls float64) error {
	h := sp.Host
	n, s, na := h.XT.Shape()[0]/sp.n, h.XT.Shape()[2], h.Tgt01T.Shape()[1]
	for r := range sp.n {
		b := newBuilder()
		in := sp.inputs(b, r)
		g := build(b, in, r)
		if err := b.Err(); err != nil {
			return fmt.Errorf("generator: building the G step: %w", err)
		}
		if _, err := G.Grad(g.Losses[len(g.Losses)-1], b.Learnables...); err != nil {
			return fmt.Errorf("generator: G step gradients: %w", err)
		}
		ds, err := NewDStep(d, p, n, s, na, len(g.Fakes), wAdv, wCls)
		if err != nil {
			return err
		}
		part := &Part{Inputs: in, B: b, D: ds, losses: g.Losses, fakes: make([]G.Value, len(g.Fakes))}
		for i, f := range g.Fakes {
			G.Read(f, &part.fakes[i])
		}
		if err := part.Bind(ds, g.More); err != nil {
			return err
		}
		part.m = nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
		sp.Parts = append(sp.Parts, part)
	}
	return nil
}

// Load copies the batch in and draws the step's inputs (Inputs.Load) for
// every part at once.
func (sp *Split) Load(d Draw, seed uint64, step int, batch Batch) {
	sp.Host.Load(d, seed, step, batch)
	for _, p := range sp.Parts {
		G.Let(p.KLW, G.NewF32(float32(d.KLWeight))) // a scalar into a scalar node: cannot fail
	}
}

// Run runs every part's G graph, then its D step's graph on the
// translations, all parts at once, and returns the means over the parts of
// the loss nodes and of D's adversarial and attribute losses. Update
// applies the gradients.
func (sp *Split) Run() (losses []float64, dAdv, dCls float64, err error) {
	runs := make([]func() error, len(sp.Parts))
	for i, p := range sp.Parts {
		runs[i] = func() error {
			if err := nn.Run(p.m); err != nil {
				return fmt.Errorf("generator: G step: %w", err)
			}
			if err := CopyFakes(p.fakes, p.FakeT); err != nil {
				return err
			}
			return p.D.run()
		}
	}
	if err := nn.Together(runs...); err != nil {
		return nil, 0, 0, err
	}
	w := 1 / float64(len(sp.Parts))
	losses = make([]float64, len(sp.Parts[0].losses))
	for _, p := range sp.Parts {
		for i, n := range p.losses {
			losses[i] += w * Scalar(n)
		}
		dAdv += w * Scalar(p.D.adv)
		dCls += w * Scalar(p.D.cls)
	}
	return losses, dAdv, dCls, nil
}

// MeanGrads makes the gradients of ps in the first part's G graph the
// mean of every part's (the whole batch's), and clears the others'.
func (sp *Split) MeanGrads(ps ...*nn.Params) error {
	return meanGrads(sp.Parts, func(p *Part) *nn.Builder { return p.B }, ps)
}

func meanGrads(parts []*Part, builder func(*Part) *nn.Builder, ps []*nn.Params) error {
	rest := make([]*nn.Builder, 0, len(parts)-1)
	for _, p := range parts[1:] {
		rest = append(rest, builder(p))
	}
	return nn.AddGrads(builder(parts[0]), rest, 1/float32(len(parts)), ps...)
}

// UpdateG applies the G step's gradients (the mean over the parts) to ps
// with opt.
func (sp *Split) UpdateG(opt *nn.Adam, ps ...*nn.Params) error {
	if err := sp.MeanGrads(ps...); err != nil {
		return err
	}
	return opt.Update(sp.Parts[0].B, ps...)
}

// UpdateD applies the D step's gradients (the mean over the parts) with
// opt and makes every machine ready for the next step.
func (sp *Split) UpdateD(opt *nn.Adam) error {
	d := sp.Parts[0].D
	if err := meanGrads(sp.Parts, func(p *Part) *nn.Builder { return p.D.b }, []*nn.Params{d.p}); err != nil {
		return err
	}
	if err := opt.Update(d.b, d.p); err != nil {
		return err
	}
	for _, p := range sp.Parts {
		p.m.Reset()
		p.D.m.Reset()
	}
	return nil
}

// FLOPs is the step's estimated work: the G graphs' forward pass x 3 (for
// the backward pass) and the D steps'.
func (sp *Split) FLOPs() int64 {
	var f int64
	for _, p := range sp.Parts {
		f += 3*p.B.FLOPs + p.D.FLOPs
	}
	return f
}

// Close releases every machine.
func (sp *Split) Close() {
	for _, p := range sp.Parts {
		if p.m != nil {
			nn.CloseMachine(p.m)
		}
		p.D.Close()
	}
}
