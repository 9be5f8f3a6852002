package generator

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"

	"rgunit/embed"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// Losses of one training step.
type Losses struct {
	Step    int     `json:"step"`
	Adv     float64 `json:"adv"`     // G's LSGAN loss
	Cls     float64 `json:"cls"`     // G's attribute loss through D
	Rec     float64 `json:"rec"`     // self-reconstruction L1
	Content float64 `json:"content"` // content reconstruction L1
	Code    float64 `json:"code"`    // attribute-code reconstruction L1
	Cycle   float64 `json:"cycle"`   // cycle L1
	KL      float64 `json:"kl"`      // KL to the source Gaussians
	GTotal  float64 `json:"g_total"` // weighted sum
	DAdv    float64 `json:"d_adv"`   // D's LSGAN loss (real + fake)
	DCls    float64 `json:"d_cls"`   // D's attribute loss on real images
	Seconds float64 `json:"seconds"` // wall time of the step
	n       int     // steps summed by Add
}

// Add accumulates l into a running sum (Mean divides it): Step keeps the
// latest step and Seconds sums, as a count is kept in n.
func (s *Losses) Add(l Losses) {
	s.Adv += l.Adv
	s.Cls += l.Cls
	s.Rec += l.Rec
	s.Content += l.Content
	s.Code += l.Code
	s.Cycle += l.Cycle
	s.KL += l.KL
	s.GTotal += l.GTotal
	s.DAdv += l.DAdv
	s.DCls += l.DCls
	s.Seconds += l.Seconds
	s.Step = l.Step
	s.n++
}

// Summary formats the losses as the training display shows them; kl
// adds the KL term (stage 1 trains it, stage 3 does not).
func (s Losses) Summary(kl bool) string {
	k := ""
	if kl {
		k = fmt.Sprintf(" kl %.3f", s.KL)
	}
	return fmt.Sprintf(" | G %.3f (rec %.3f cyc %.3f adv %.3f cls %.3f%s) D %.3f", s.GTotal, s.Rec, s.Cycle, s.Adv, s.Cls, k, s.DAdv+s.DCls)
}

// Mean returns the mean of the losses added (Seconds: mean seconds per
// step).
func (s Losses) Mean() Losses {
	if s.n == 0 {
		return s
	}
	d := float64(s.n)
	return Losses{Step: s.Step, Adv: s.Adv / d, Cls: s.Cls / d, Rec: s.Rec / d, Content: s.Content / d,
		Code: s.Code / d, Cycle: s.Cycle / d, KL: s.KL / d, GTotal: s.GTotal / d, DAdv: s.DAdv / d,
		DCls: s.DCls / d, Seconds: s.Seconds / d}
}

// Batch is one training batch: images (N*3*S*S, CHW, in [-1, 1]) with their
// attribute values and the target values to translate them to; Ref holds,
// per image, an image that has the target values, for the reference-guided
// pass.
type Batch = gan.Batch

// Trainer runs stage-1 steps: a G step (E_c, E_a and G updated through
// every generator loss, D frozen) and a D step, on two gorgonia graphs that
// bind the same weight tensors.
type Trainer struct {
	u  *UNIT
	gb *nn.Builder
	gm G.VM
	gan.Inputs
	// eaFrozen is a copy of E_a's weights, refreshed every step, that
	// re-encodes translations when the code loss must not train E_a.
	eaFrozen *nn.Params

	// G graph outputs.
	adv, cls, rec, content, code, cycle, kl, total *G.Node
	fakes                                          []G.Value
	dstep                                          *gan.DStep

	// FLOPs is the estimated work of one step (forward x 3 for the
	// backward pass, G and D graphs together).
	FLOPs int64
}

// NewTrainer builds the two graphs for u's batch size.
func NewTrainer(u *UNIT) (t *Trainer, err error) {
	defer func() { // gorgonia panics on some misuse; it is a bug here, reported as an error
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("generator: building the training graphs: %v", r)
		}
	}()
	c := u.Config
	rc := c.Recipe
	n, s, cd, na := c.Batch, c.Arch.Size, c.Schema.CodeDim(), len(c.Schema.Attrs)
	t = &Trainer{u: u}
	nfakes := 1
	if rc.RefPass {
		nfakes = 2
	}

	// G step.
	b := nn.NewBuilder(u.Ec.P, u.Ea.P, u.G.P)
	b.Use(u.D.P)
	t.gb = b
	t.Inputs = gan.NewInputs(b, n, s, cd, na, nfakes)
	fakes := t.buildG(b)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("generator: building the G step: %w", err)
	}
	t.fakes = make([]G.Value, len(fakes))
	for i, f := range fakes {
		G.Read(f, &t.fakes[i])
	}
	if _, err := G.Grad(t.total, b.Learnables...); err != nil {
		return nil, fmt.Errorf("generator: G step gradients: %w", err)
	}
	t.FLOPs = 3 * b.FLOPs

	// D step.
	if t.dstep, err = gan.NewDStep(u.D.Build, u.D.P, n, s, na, nfakes, c.Weights.Adv, c.Weights.Cls); err != nil {
		return nil, err
	}
	t.FLOPs += t.dstep.FLOPs

	if err := t.Bind(t.dstep, nil); err != nil {
		return nil, err
	}
	t.gm = nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
	return t, nil
}

// buildG adds the G step's losses to b (reconstruction, the translation
// pass and the reference pass, code, KL, their weighted total) and returns
// the translations the D step scores.
func (t *Trainer) buildG(b *nn.Builder) []*G.Node {
	u, c := t.u, t.u.Config
	rc := c.Recipe
	eaCode := u.Ea // re-encodes the translation for the code loss
	if rc.CodeDetach {
		t.eaFrozen = u.Ea.P.Clone()
		b.Use(t.eaFrozen)
		eaCode = embed.NewAttrEncoderOver(u.Ea, t.eaFrozen)
	}
	content := u.Ec.Build(b, t.X)
	mu, logvar := u.Ea.Build(b, t.X)
	z := mu
	if !rc.RecFromMu {
		z = b.Reparam(mu, logvar, t.Eps)
	}
	xrec := u.G.Build(b, content, z)
	zfake := t.Zt
	if rc.StyleSwap > 0 {
		zfake = b.Mix(t.Swap, mu, t.Zt)
	}
	codeTarget := zfake
	if rc.CodeDetach {
		codeTarget = b.StopGradient(zfake)
	}
	decode := func(content, code *G.Node) *G.Node { return u.G.Build(b, content, code) }
	nets := gan.PassNets{Forward: decode, Back: decode, Ec: u.Ec, D: u.D.Build}
	p := nets.Translation(b, t.X, content, zfake, z, t.Tgt01)
	mufake, _ := eaCode.Build(b, p.Fake)
	fakes := []*G.Node{p.Fake}
	if rc.RefPass {
		muRef, _ := u.Ea.Build(b, t.Ref)
		ref := nets.Translation(b, t.X, content, b.Mix(t.Keep, mu, muRef), z, t.Tgt01)
		p = p.RefAveraged(b, ref)
		fakes = append(fakes, ref.Fake)
	}
	t.adv, t.cls, t.content, t.cycle = p.Adv, p.Cls, p.Content, p.Cycle
	t.rec = b.L1(xrec, t.X)
	t.code = b.L1(mufake, codeTarget)
	t.kl = b.GaussKL(mu, logvar, t.SrcMeans, 0.5)
	w := c.Weights
	t.total = b.WeightedSum(
		[]*G.Node{t.adv, t.cls, t.rec, t.content, t.code, t.cycle, b.Scale(t.kl, t.KLW)},
		[]float64{w.Adv, w.Cls, w.Rec, w.Content, w.Code, w.Cycle, 1})
	return fakes
}

// Close releases the machines.
func (t *Trainer) Close() {
	nn.CloseMachine(t.gm)
	t.dstep.Close()
}

// Step runs one G step and one D step on batch and returns the losses.
func (t *Trainer) Step(batch Batch) (Losses, error) {
	start := time.Now()
	u := t.u
	c := u.Config
	if len(batch.X) != len(t.XT.Data().([]float32)) || len(batch.Src) != c.Batch || len(batch.Tgt) != c.Batch {
		return Losses{}, fmt.Errorf("generator: batch of %d values, %d sources, %d targets", len(batch.X), len(batch.Src), len(batch.Tgt))
	}
	if c.Recipe.RefPass && len(batch.Ref) != len(batch.X) {
		return Losses{}, fmt.Errorf("generator: batch of %d reference values, want %d", len(batch.Ref), len(batch.X))
	}
	t.Load(gan.Draw{Schema: c.Schema, StyleSwap: c.Recipe.StyleSwap, KLWeight: c.Weights.KL * c.Recipe.klScale(c.Schema.CodeDim(), u.Step)},
		c.Seed, u.Step, batch)
	if t.eaFrozen != nil {
		if err := t.eaFrozen.CopyFrom(u.Ea.P); err != nil {
			return Losses{}, err
		}
	}
	var l Losses
	if err := nn.Run(t.gm); err != nil {
		return l, fmt.Errorf("generator: G step: %w", err)
	}
	l.Adv, l.Cls, l.Rec, l.Content = gan.Scalar(t.adv), gan.Scalar(t.cls), gan.Scalar(t.rec), gan.Scalar(t.content)
	l.Code, l.Cycle, l.KL, l.GTotal = gan.Scalar(t.code), gan.Scalar(t.cycle), gan.Scalar(t.kl), gan.Scalar(t.total)
	if err := gan.CopyFakes(t.fakes, t.FakeT); err != nil {
		return l, err
	}
	c.Recipe.Schedule(c.LR, u.Step, u.OptG, u.OptD)
	if err := u.OptG.Update(t.gb, u.Ec.P, u.Ea.P, u.G.P); err != nil {
		return l, err
	}
	if u.EMA != nil {
		d := c.Recipe.EMADecay(u.Step)
		for i, p := range []*nn.Params{u.Ec.P, u.Ea.P, u.G.P} {
			if err := u.EMA.sets()[i].MoveAverage(p, d); err != nil {
				return l, err
			}
		}
	}
	t.gm.Reset()
	var err error
	if l.DAdv, l.DCls, err = t.dstep.Run(u.OptD); err != nil {
		return l, err
	}
	l.Seconds, err = gan.EndStep(&u.Step, start, l.GTotal)
	l.Step = u.Step
	return l, err
}
