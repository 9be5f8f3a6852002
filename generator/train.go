package generator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/embed"
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
// per image, an image that has the target values (the item the target was
// drawn from), for the reference-guided pass.
type Batch struct {
	X, Ref   []float32
	Src, Tgt [][]int8
}

// Trainer runs stage-1 steps: a G step (E_c, E_a and G updated through
// every generator loss, D frozen) and a D step, on two gorgonia graphs that
// bind the same weight tensors.
type Trainer struct {
	u  *UNIT
	gb *nn.Builder
	gm G.VM
	stepInputs
	// eaFrozen is a copy of E_a's weights, refreshed every step, that
	// re-encodes translations when the code loss must not train E_a.
	eaFrozen *nn.Params

	// G graph outputs.
	adv, cls, rec, content, code, cycle, kl, total *G.Node
	fakes                                          []G.Value
	dstep                                          *dStep

	// FLOPs is the estimated work of one step (forward x 3 for the
	// backward pass, G and D graphs together).
	FLOPs int64
}

// stepInputs are the G step's inputs, shared by stages 1 and 3: the
// images, the source means, the reparametrization noise, the target codes
// and 0/1 targets, the style-swap mask, the reference images and the mask
// of the blocks they keep from the source, the KL weight (nodes of the G
// graph and the tensors bound to them), and the 0/1 source values and
// fakes the D step reads.
type stepInputs struct {
	x, srcMeans, eps, zt, tgt01, swap, ref, keep, klw *G.Node
	xT, srcMeansT, epsT, ztT, tgt01T, src01T          *tensor.Dense
	swapT, refT, keepT                                *tensor.Dense
	fakeT                                             []*tensor.Dense
}

func newStepInputs(b *nn.Builder, n, s, cd, na, fakes int) stepInputs {
	in := stepInputs{
		x: b.Input("x", n, 3, s, s), srcMeans: b.Input("src_means", n, cd), eps: b.Input("eps", n, cd),
		zt: b.Input("z_target", n, cd), tgt01: b.Input("tgt01", n, na), swap: b.Input("swap", n, cd),
		ref: b.Input("ref", n, 3, s, s), keep: b.Input("keep", n, cd), klw: G.NewScalar(b.G, tensor.Float32, G.WithName("kl_weight")),
		xT: newInput(n, 3, s, s), srcMeansT: newInput(n, cd), epsT: newInput(n, cd), ztT: newInput(n, cd),
		tgt01T: newInput(n, na), src01T: newInput(n, na), swapT: newInput(n, cd), refT: newInput(n, 3, s, s),
		keepT: newInput(n, cd),
	}
	for range fakes {
		in.fakeT = append(in.fakeT, newInput(n, 3, s, s))
	}
	return in
}

// bind lets the inputs (and more, a node to a tensor each) into their
// graph and binds the D step's inputs.
func (in *stepInputs) bind(d *dStep, more map[*G.Node]*tensor.Dense) error {
	lets := map[*G.Node]*tensor.Dense{in.x: in.xT, in.srcMeans: in.srcMeansT, in.eps: in.epsT, in.zt: in.ztT,
		in.tgt01: in.tgt01T, in.swap: in.swapT, in.ref: in.refT, in.keep: in.keepT}
	for n, v := range more {
		lets[n] = v
	}
	for node, val := range lets {
		if err := G.Let(node, val); err != nil {
			return err
		}
	}
	if err := G.Let(in.klw, G.NewF32(0)); err != nil {
		return err
	}
	return d.bind(in.xT, in.fakeT, in.src01T)
}

// load copies a batch in and draws the step's noise and targets: the
// source domains' means, reparametrization noise, codes sampled from the
// target Gaussians, the 0/1 target and source values, the style-swap and
// kept-block masks and the KL weight. They depend on (seed, step) only, so
// a resumed run is the same run.
func (in *stepInputs) load(c Config, seed uint64, step int, batch Batch) {
	copy(in.xT.Data().([]float32), batch.X)
	means, eps, zt := in.srcMeansT.Data().([]float32), in.epsT.Data().([]float32), in.ztT.Data().([]float32)
	tgt01, src01 := in.tgt01T.Data().([]float32), in.src01T.Data().([]float32)
	s := c.Schema
	cd, na := s.CodeDim(), len(s.Attrs)
	rng := rand.New(rand.NewPCG(seed^0x6e6f697365, uint64(step)))
	for i := range batch.Src {
		s.Means(batch.Src[i], means[i*cd:(i+1)*cd])
		s.Sample(batch.Tgt[i], rng, zt[i*cd:(i+1)*cd])
		for j := range cd {
			eps[i*cd+j] = float32(rng.NormFloat64())
		}
		for a := range na {
			tgt01[i*na+a] = float32(max(batch.Tgt[i][a], 0))
			src01[i*na+a] = float32(max(batch.Src[i][a], 0))
		}
	}
	in.loadMasks(c, rng, batch) // drawn after the draws above, so the first recipe's are unchanged
	if len(batch.Ref) == len(batch.X) {
		copy(in.refT.Data().([]float32), batch.Ref)
	}
	G.Let(in.klw, G.NewF32(float32(c.Weights.KL*c.Recipe.klScale(cd, step)))) // a scalar into a scalar node: cannot fail
}

// loadMasks fills the kept-block mask (1 for the blocks of attributes the
// target keeps, and the free dimensions) and the style-swap mask (the kept
// blocks, for the images whose coin, of probability StyleSwap, says so).
func (in *stepInputs) loadMasks(c Config, rng *rand.Rand, batch Batch) {
	s, r := c.Schema, c.Recipe
	cd := s.CodeDim()
	swap, keep := in.swapT.Data().([]float32), in.keepT.Data().([]float32)
	for i := range batch.Src {
		coin := r.StyleSwap > 0 && rng.Float64() < r.StyleSwap
		row := func(from, to int, kept float32) {
			for j := from; j < to; j++ {
				keep[i*cd+j], swap[i*cd+j] = kept, 0
				if coin {
					swap[i*cd+j] = kept
				}
			}
		}
		for a := range s.Attrs {
			kept := float32(0)
			if batch.Src[i][a] == batch.Tgt[i][a] {
				kept = 1
			}
			row(a*s.Dim, (a+1)*s.Dim, kept)
		}
		row(s.FreeStart(), cd, 1) // free style is always the source's to keep
	}
}

func newInput(shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
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
	t.stepInputs = newStepInputs(b, n, s, cd, na, nfakes)
	eaCode := u.Ea // re-encodes the translation for the code loss
	if rc.CodeDetach {
		t.eaFrozen = u.Ea.P.Clone()
		b.Use(t.eaFrozen)
		eaCode = embed.NewAttrEncoderOver(u.Ea, t.eaFrozen)
	}
	content := u.Ec.Build(b, t.x)
	mu, logvar := u.Ea.Build(b, t.x)
	z := mu
	if !rc.RecFromMu {
		z = b.Reparam(mu, logvar, t.eps)
	}
	xrec := u.G.Build(b, content, z)
	zfake := t.zt
	if rc.StyleSwap > 0 {
		zfake = b.Mix(t.swap, mu, t.zt)
	}
	codeTarget := zfake
	if rc.CodeDetach {
		codeTarget = b.StopGradient(zfake)
	}
	decode := func(content, code *G.Node) *G.Node { return u.G.Build(b, content, code) }
	nets := passNets{forward: decode, back: decode, ec: u.Ec, d: u.D}
	p := nets.translationPass(b, t.x, content, zfake, z, t.tgt01)
	mufake, _ := eaCode.Build(b, p.fake)
	fakes := []*G.Node{p.fake}
	if rc.RefPass {
		muRef, _ := u.Ea.Build(b, t.ref)
		ref := nets.translationPass(b, t.x, content, b.Mix(t.keep, mu, muRef), z, t.tgt01)
		p = p.refAveraged(b, ref)
		fakes = append(fakes, ref.fake)
	}
	t.adv, t.cls, t.content, t.cycle = p.adv, p.cls, p.content, p.cycle
	t.rec = b.L1(xrec, t.x)
	t.code = b.L1(mufake, codeTarget)
	t.kl = b.GaussKL(mu, logvar, t.srcMeans, 0.5)
	w := c.Weights
	t.total = b.WeightedSum(
		[]*G.Node{t.adv, t.cls, t.rec, t.content, t.code, t.cycle, b.Scale(t.kl, t.klw)},
		[]float64{w.Adv, w.Cls, w.Rec, w.Content, w.Code, w.Cycle, 1})
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
	if t.dstep, err = newDStep(u.D, n, s, na, nfakes, c.Weights); err != nil {
		return nil, err
	}
	t.FLOPs += t.dstep.flops

	if err := t.bind(t.dstep, nil); err != nil {
		return nil, err
	}
	t.gm = nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
	return t, nil
}

// pass is one translation in the G step: the fake, and its adversarial,
// attribute, content and cycle losses.
type pass struct{ fake, adv, cls, content, cycle *G.Node }

// passNets are the networks a translation pass runs through: the decoder
// of a translation (forward: from the source's content) and of its cycle
// back (back: from the translation's content), E_c and D.
type passNets struct {
	forward, back func(content, code *G.Node) *G.Node
	ec            *embed.ContentEncoder
	d             *Discriminator
}

// translationPass decodes x's content with code, scores the result with D
// against the 0/1 targets, re-encodes its content and decodes that with
// x's own code z (the cycle back to x).
func (n passNets) translationPass(b *nn.Builder, x, content, code, z, tgt01 *G.Node) pass {
	fake := n.forward(content, code)
	patches, logits := n.d.Build(b, fake)
	cfake := n.ec.Build(b, fake)
	xcyc := n.back(cfake, z)
	return pass{fake: fake, adv: advLoss(b, patches, 1), cls: b.BCEWithLogits(logits, tgt01),
		content: b.L1(cfake, content), cycle: b.L1(xcyc, x)}
}

// refAveraged averages the reference pass's losses with p's (each 0.5).
func (p pass) refAveraged(b *nn.Builder, ref pass) pass {
	half := []float64{0.5, 0.5}
	avg := func(x, y *G.Node) *G.Node { return b.WeightedSum([]*G.Node{x, y}, half) }
	return pass{fake: p.fake, adv: avg(p.adv, ref.adv), cls: avg(p.cls, ref.cls), content: avg(p.content, ref.content),
		cycle: avg(p.cycle, ref.cycle)}
}

// dStep is the discriminator's step, shared by stage 1 and stage 3: LSGAN
// real/fake (the fakes' losses averaged) and the attribute loss on real
// images.
type dStep struct {
	d            *Discriminator
	b            *nn.Builder
	m            G.VM
	x, src01     *G.Node
	fakes        []*G.Node
	adv, cls, tl *G.Node
	flops        int64
}

func newDStep(dis *Discriminator, n, s, na, nfakes int, w Weights) (*dStep, error) {
	d := nn.NewBuilder(dis.P)
	t := &dStep{d: dis, b: d}
	t.x, t.src01 = d.Input("x", n, 3, s, s), d.Input("src01", n, na)
	preal, lreal := dis.Build(d, t.x)
	terms, ws := []*G.Node{advLoss(d, preal, 1)}, []float64{1}
	for k := range nfakes {
		name := "fake"
		if k > 0 {
			name = fmt.Sprint("fake", k)
		}
		f := d.Input(name, n, 3, s, s)
		t.fakes = append(t.fakes, f)
		pfake, _ := dis.Build(d, f)
		terms, ws = append(terms, advLoss(d, pfake, 0)), append(ws, 1/float64(nfakes))
	}
	t.adv = d.WeightedSum(terms, ws)
	t.cls = d.BCEWithLogits(lreal, t.src01)
	t.tl = d.WeightedSum([]*G.Node{t.adv, t.cls}, []float64{w.Adv, w.Cls})
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("generator: building the D step: %w", err)
	}
	if _, err := G.Grad(t.tl, d.Learnables...); err != nil {
		return nil, fmt.Errorf("generator: D step gradients: %w", err)
	}
	t.flops = 3 * d.FLOPs
	return t, nil
}

// bind sets the step's inputs and makes its machine.
func (t *dStep) bind(x *tensor.Dense, fakes []*tensor.Dense, src01 *tensor.Dense) error {
	lets := map[*G.Node]*tensor.Dense{t.x: x, t.src01: src01}
	for k, f := range t.fakes {
		lets[f] = fakes[k]
	}
	for node, val := range lets {
		if err := G.Let(node, val); err != nil {
			return err
		}
	}
	t.m = nn.NewMachine(t.b.G, G.BindDualValues(t.b.Learnables...))
	return nil
}

// run runs the step and updates D with opt.
func (t *dStep) run(opt *nn.Adam, l *Losses) error {
	if err := nn.Run(t.m); err != nil {
		return fmt.Errorf("generator: D step: %w", err)
	}
	l.DAdv, l.DCls = scalar(t.adv), scalar(t.cls)
	if err := opt.Update(t.b, t.d.P); err != nil {
		return err
	}
	t.m.Reset()
	return nil
}

// Close releases the machines.
func (t *Trainer) Close() {
	nn.CloseMachine(t.gm)
	nn.CloseMachine(t.dstep.m)
}

func scalar(n *G.Node) float64 {
	if n == nil || n.Value() == nil {
		return math.NaN()
	}
	switch v := n.Value().Data().(type) {
	case float32:
		return float64(v)
	case []float32:
		return float64(v[0])
	}
	return math.NaN()
}

// Step runs one G step and one D step on batch and returns the losses.
func (t *Trainer) Step(batch Batch) (Losses, error) {
	start := time.Now()
	u := t.u
	c := u.Config
	if len(batch.X) != len(t.xT.Data().([]float32)) || len(batch.Src) != c.Batch || len(batch.Tgt) != c.Batch {
		return Losses{}, fmt.Errorf("generator: batch of %d values, %d sources, %d targets", len(batch.X), len(batch.Src), len(batch.Tgt))
	}
	if c.Recipe.RefPass && len(batch.Ref) != len(batch.X) {
		return Losses{}, fmt.Errorf("generator: batch of %d reference values, want %d", len(batch.Ref), len(batch.X))
	}
	t.load(c, c.Seed, u.Step, batch)
	if t.eaFrozen != nil {
		if err := t.eaFrozen.CopyFrom(u.Ea.P); err != nil {
			return Losses{}, err
		}
	}
	var l Losses
	if err := nn.Run(t.gm); err != nil {
		return l, fmt.Errorf("generator: G step: %w", err)
	}
	l.Adv, l.Cls, l.Rec, l.Content = scalar(t.adv), scalar(t.cls), scalar(t.rec), scalar(t.content)
	l.Code, l.Cycle, l.KL, l.GTotal = scalar(t.code), scalar(t.cycle), scalar(t.kl), scalar(t.total)
	if err := copyFakes(t.fakes, t.fakeT); err != nil {
		return l, err
	}
	schedule(c.Recipe, c.LR, u.Step, u.OptG, u.OptD)
	if err := u.OptG.Update(t.gb, u.Ec.P, u.Ea.P, u.G.P); err != nil {
		return l, err
	}
	if u.EMA != nil {
		d := c.Recipe.emaDecay(u.Step)
		for i, p := range []*nn.Params{u.Ec.P, u.Ea.P, u.G.P} {
			if err := u.EMA.sets()[i].MoveAverage(p, d); err != nil {
				return l, err
			}
		}
	}
	t.gm.Reset()
	if err := t.dstep.run(u.OptD, &l); err != nil {
		return l, err
	}
	return l, endStep(&l, &u.Step, start)
}

// copyFakes copies the G step's translations into the D step's inputs.
func copyFakes(fakes []G.Value, to []*tensor.Dense) error {
	for k, f := range fakes {
		if f == nil {
			return fmt.Errorf("generator: G step produced no image")
		}
		copy(to[k].Data().([]float32), f.Data().([]float32))
	}
	return nil
}

// schedule sets the optimizers' learning rate for step and their clipping.
func schedule(r Recipe, base float64, step int, opts ...*nn.Adam) {
	for _, o := range opts {
		o.LR, o.ClipNorm = r.lrAt(base, step), r.ClipNorm
	}
}

// endStep counts a finished step into *step and l, times it, and reports a
// diverged loss.
func endStep(l *Losses, step *int, start time.Time) error {
	*step++
	l.Step = *step
	l.Seconds = time.Since(start).Seconds()
	if math.IsNaN(l.GTotal) || math.IsInf(l.GTotal, 0) {
		return fmt.Errorf("generator: loss diverged at step %d (%v)", *step, l.GTotal)
	}
	return nil
}
