package generator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

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
// attribute values and the target values to translate them to.
type Batch struct {
	X        []float32
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

	// G graph outputs.
	adv, cls, rec, content, code, cycle, kl, total *G.Node
	fake                                           G.Value
	dstep                                          *dStep

	// FLOPs is the estimated work of one step (forward x 3 for the
	// backward pass, G and D graphs together).
	FLOPs int64
}

// stepInputs are the G step's inputs, shared by stages 1 and 3: the
// images, the source means, the reparametrization noise, the target codes
// and 0/1 targets (nodes of the G graph and the tensors bound to them), and
// the 0/1 source values and fakes the D step reads.
type stepInputs struct {
	x, srcMeans, eps, zt, tgt01                     *G.Node
	xT, srcMeansT, epsT, ztT, tgt01T, src01T, fakeT *tensor.Dense
}

func newStepInputs(b *nn.Builder, n, s, cd, na int) stepInputs {
	return stepInputs{
		x: b.Input("x", n, 3, s, s), srcMeans: b.Input("src_means", n, cd), eps: b.Input("eps", n, cd),
		zt: b.Input("z_target", n, cd), tgt01: b.Input("tgt01", n, na),
		xT: newInput(n, 3, s, s), fakeT: newInput(n, 3, s, s),
		srcMeansT: newInput(n, cd), epsT: newInput(n, cd), ztT: newInput(n, cd),
		tgt01T: newInput(n, na), src01T: newInput(n, na),
	}
}

// bind lets the inputs (and more, a node to a tensor each) into their
// graph and binds the D step's inputs.
func (in *stepInputs) bind(d *dStep, more map[*G.Node]*tensor.Dense) error {
	lets := map[*G.Node]*tensor.Dense{in.x: in.xT, in.srcMeans: in.srcMeansT, in.eps: in.epsT, in.zt: in.ztT, in.tgt01: in.tgt01T}
	for n, v := range more {
		lets[n] = v
	}
	for node, val := range lets {
		if err := G.Let(node, val); err != nil {
			return err
		}
	}
	return d.bind(in.xT, in.fakeT, in.src01T)
}

// load copies a batch in and draws the step's noise and targets: the
// source domains' means, reparametrization noise, codes sampled from the
// target Gaussians, and the 0/1 target and source values. They depend on
// (seed, step) only, so a resumed run is the same run.
func (in *stepInputs) load(c Config, seed uint64, step int, batch Batch) {
	copy(in.xT.Data().([]float32), batch.X)
	means, eps, zt := in.srcMeansT.Data().([]float32), in.epsT.Data().([]float32), in.ztT.Data().([]float32)
	tgt01, src01 := in.tgt01T.Data().([]float32), in.src01T.Data().([]float32)
	cd, na := c.Schema.CodeDim(), len(c.Schema.Attrs)
	rng := rand.New(rand.NewPCG(seed^0x6e6f697365, uint64(step)))
	for i := range batch.Src {
		c.Schema.Means(batch.Src[i], means[i*cd:(i+1)*cd])
		c.Schema.Sample(batch.Tgt[i], rng, zt[i*cd:(i+1)*cd])
		for j := range cd {
			eps[i*cd+j] = float32(rng.NormFloat64())
		}
		for a := range na {
			tgt01[i*na+a] = float32(max(batch.Tgt[i][a], 0))
			src01[i*na+a] = float32(max(batch.Src[i][a], 0))
		}
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
	n, s, cd, na := c.Batch, c.Arch.Size, c.Schema.CodeDim(), len(c.Schema.Attrs)
	t = &Trainer{u: u}

	// G step.
	b := nn.NewBuilder(u.Ec.P, u.Ea.P, u.G.P)
	b.Use(u.D.P)
	t.gb = b
	t.stepInputs = newStepInputs(b, n, s, cd, na)
	content := u.Ec.Build(b, t.x)
	mu, logvar := u.Ea.Build(b, t.x)
	z := b.Reparam(mu, logvar, t.eps)
	xrec := u.G.Build(b, content, z)
	xfake := u.G.Build(b, content, t.zt)
	patch, logits := u.D.Build(b, xfake)
	cfake := u.Ec.Build(b, xfake)
	mufake, _ := u.Ea.Build(b, xfake)
	xcyc := u.G.Build(b, cfake, z)
	t.adv = b.MSEConst(patch, 1)
	t.cls = b.BCEWithLogits(logits, t.tgt01)
	t.rec = b.L1(xrec, t.x)
	t.content = b.L1(cfake, content)
	t.code = b.L1(mufake, t.zt)
	t.cycle = b.L1(xcyc, t.x)
	t.kl = b.GaussKL(mu, logvar, t.srcMeans, 0.5)
	w := c.Weights
	t.total = b.WeightedSum(
		[]*G.Node{t.adv, t.cls, t.rec, t.content, t.code, t.cycle, t.kl},
		[]float64{w.Adv, w.Cls, w.Rec, w.Content, w.Code, w.Cycle, w.KL})
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("generator: building the G step: %w", err)
	}
	G.Read(xfake, &t.fake)
	if _, err := G.Grad(t.total, b.Learnables...); err != nil {
		return nil, fmt.Errorf("generator: G step gradients: %w", err)
	}
	t.FLOPs = 3 * b.FLOPs

	// D step.
	if t.dstep, err = newDStep(u.D, n, s, na, c.Weights); err != nil {
		return nil, err
	}
	t.FLOPs += t.dstep.flops

	if err := t.bind(t.dstep, nil); err != nil {
		return nil, err
	}
	t.gm = nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
	return t, nil
}

// dStep is the discriminator's step, shared by stage 1 and stage 3: LSGAN
// real/fake and the attribute loss on real images.
type dStep struct {
	d                            *Discriminator
	b                            *nn.Builder
	m                            G.VM
	x, fake, src01, adv, cls, tl *G.Node
	flops                        int64
}

func newDStep(dis *Discriminator, n, s, na int, w Weights) (*dStep, error) {
	d := nn.NewBuilder(dis.P)
	t := &dStep{d: dis, b: d}
	t.x, t.fake, t.src01 = d.Input("x", n, 3, s, s), d.Input("fake", n, 3, s, s), d.Input("src01", n, na)
	preal, lreal := dis.Build(d, t.x)
	pfake, _ := dis.Build(d, t.fake)
	t.adv = d.WeightedSum([]*G.Node{d.MSEConst(preal, 1), d.MSEConst(pfake, 0)}, []float64{1, 1})
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
func (t *dStep) bind(x, fake, src01 *tensor.Dense) error {
	for node, val := range map[*G.Node]*tensor.Dense{t.x: x, t.fake: fake, t.src01: src01} {
		if err := G.Let(node, val); err != nil {
			return err
		}
	}
	t.m = nn.NewMachine(t.b.G, G.BindDualValues(t.b.Learnables...))
	return nil
}

// run runs the step and updates D with opt.
func (t *dStep) run(opt *nn.Adam, l *Losses) error {
	if err := t.m.RunAll(); err != nil {
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
	t.load(c, c.Seed, u.Step, batch)
	var l Losses
	if err := t.gm.RunAll(); err != nil {
		return l, fmt.Errorf("generator: G step: %w", err)
	}
	l.Adv, l.Cls, l.Rec, l.Content = scalar(t.adv), scalar(t.cls), scalar(t.rec), scalar(t.content)
	l.Code, l.Cycle, l.KL, l.GTotal = scalar(t.code), scalar(t.cycle), scalar(t.kl), scalar(t.total)
	if t.fake == nil {
		return l, fmt.Errorf("generator: G step produced no image")
	}
	copy(t.fakeT.Data().([]float32), t.fake.Data().([]float32))
	if err := u.OptG.Update(t.gb, u.Ec.P, u.Ea.P, u.G.P); err != nil {
		return l, err
	}
	t.gm.Reset()
	if err := t.dstep.run(u.OptD, &l); err != nil {
		return l, err
	}
	return l, endStep(&l, &u.Step, start)
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
