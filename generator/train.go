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
// bind the same weight tensors, each built once per part of the batch
// (Config.Parts) and run one part per core.
type Trainer struct {
	u     *UNIT
	split *gan.Split
	// eaFrozen is a copy of E_a's weights, refreshed every step, that
	// re-encodes translations when the code loss must not train E_a.
	eaFrozen *nn.Params

	// FLOPs is the estimated work of one step (forward x 3 for the
	// backward pass, G and D graphs together).
	FLOPs int64
}

// ErrParts is returned for a batch that cannot be split into the parts
// asked (Config.Parts).
var ErrParts = gan.ErrParts

// CheckParts returns an error wrapping ErrParts unless a batch of batch
// images can be split into parts (0: one per core, always possible).
func CheckParts(batch, parts int) error {
	_, err := gan.Parts(batch, parts)
	return err
}

// gLosses are the G step's loss nodes of one part, in the order Step
// reads them.
type gLosses struct{ adv, cls, rec, content, code, cycle, kl, total *G.Node }

func (l gLosses) nodes() []*G.Node {
	return []*G.Node{l.adv, l.cls, l.rec, l.content, l.code, l.cycle, l.kl, l.total}
}

// NewTrainer builds the graphs for u's batch size and parts.
func NewTrainer(u *UNIT) (t *Trainer, err error) {
	defer func() { // gorgonia panics on some misuse; it is a bug here, reported as an error
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("generator: building the training graphs: %v", r)
		}
	}()
	c := u.Config
	rc := c.Recipe
	s, cd, na := c.Arch.Size, c.Schema.CodeDim(), len(c.Schema.Attrs)
	t = &Trainer{u: u}
	nfakes := 1
	if rc.RefPass {
		nfakes = 2
	}
	if rc.CodeDetach {
		t.eaFrozen = u.Ea.P.Clone()
	}
	if t.split, err = gan.NewSplit(c.Batch, c.Parts, s, cd, na, nfakes); err != nil {
		return nil, err
	}
	newBuilder := func() *nn.Builder {
		b := nn.NewBuilder(u.Ec.P, u.Ea.P, u.G.P)
		b.Use(u.D.P)
		return b
	}
	if err := t.split.Build(newBuilder, t.buildG, u.D.Build, u.D.P, c.Weights.Adv, c.Weights.Cls); err != nil {
		return nil, err
	}
	t.FLOPs = t.split.FLOPs()
	return t, nil
}

// buildG adds the G step over the inputs in to b: the translations the D
// step scores, and the losses (reconstruction, the translation pass and
// the reference pass, code, KL, their weighted total).
func (t *Trainer) buildG(b *nn.Builder, in gan.Inputs, _ int) gan.PartGraph {
	u, c := t.u, t.u.Config
	rc := c.Recipe
	eaCode := u.Ea // re-encodes the translation for the code loss
	if rc.CodeDetach {
		b.Use(t.eaFrozen)
		eaCode = embed.NewAttrEncoderOver(u.Ea, t.eaFrozen)
	}
	content := u.Ec.Build(b, in.X)
	mu, logvar := u.Ea.Build(b, in.X)
	z := mu
	if !rc.RecFromMu {
		z = b.Reparam(mu, logvar, in.Eps)
	}
	xrec := u.G.Build(b, content, z)
	zfake := in.Zt
	if rc.StyleSwap > 0 {
		zfake = b.Mix(in.Swap, mu, in.Zt)
	}
	codeTarget := zfake
	if rc.CodeDetach {
		codeTarget = b.StopGradient(zfake)
	}
	decode := func(content, code *G.Node) *G.Node { return u.G.Build(b, content, code) }
	nets := gan.PassNets{Forward: decode, Back: decode, Ec: u.Ec, D: u.D.Build}
	p := nets.Translation(b, in.X, content, zfake, z, in.Tgt01)
	mufake, _ := eaCode.Build(b, p.Fake)
	fakes := []*G.Node{p.Fake}
	if rc.RefPass {
		muRef, _ := u.Ea.Build(b, in.Ref)
		ref := nets.Translation(b, in.X, content, b.Mix(in.Keep, mu, muRef), z, in.Tgt01)
		p = p.RefAveraged(b, ref)
		fakes = append(fakes, ref.Fake)
	}
	l := gLosses{adv: p.Adv, cls: p.Cls, content: p.Content, cycle: p.Cycle}
	l.rec = b.L1(xrec, in.X)
	l.code = b.L1(mufake, codeTarget)
	l.kl = b.GaussKL(mu, logvar, in.SrcMeans, 0.5)
	w := c.Weights
	l.total = b.WeightedSum(
		[]*G.Node{l.adv, l.cls, l.rec, l.content, l.code, l.cycle, b.Scale(l.kl, in.KLW)},
		[]float64{w.Adv, w.Cls, w.Rec, w.Content, w.Code, w.Cycle, 1})
	return gan.PartGraph{Fakes: fakes, Losses: l.nodes()}
}

// Close releases the machines.
func (t *Trainer) Close() { t.split.Close() }

// Parts is the number of parts each step's batch runs as (Config.Parts).
func (t *Trainer) Parts() int { return t.split.N() }

// Step runs one G step and one D step on batch and returns the losses.
func (t *Trainer) Step(batch Batch) (Losses, error) {
	start := time.Now()
	u := t.u
	c := u.Config
	if len(batch.X) != len(t.split.Host.XT.Data().([]float32)) || len(batch.Src) != c.Batch || len(batch.Tgt) != c.Batch {
		return Losses{}, fmt.Errorf("generator: batch of %d values, %d sources, %d targets", len(batch.X), len(batch.Src), len(batch.Tgt))
	}
	if c.Recipe.RefPass && len(batch.Ref) != len(batch.X) {
		return Losses{}, fmt.Errorf("generator: batch of %d reference values, want %d", len(batch.Ref), len(batch.X))
	}
	t.split.Load(gan.Draw{Schema: c.Schema, StyleSwap: c.Recipe.StyleSwap, KLWeight: c.Weights.KL * c.Recipe.klScale(c.Schema.CodeDim(), u.Step)},
		c.Seed, u.Step, batch)
	if t.eaFrozen != nil {
		if err := t.eaFrozen.CopyFrom(u.Ea.P); err != nil {
			return Losses{}, err
		}
	}
	var l Losses
	ls, dAdv, dCls, err := t.split.Run()
	if err != nil {
		return l, err
	}
	l.Adv, l.Cls, l.Rec, l.Content, l.Code, l.Cycle, l.KL, l.GTotal = ls[0], ls[1], ls[2], ls[3], ls[4], ls[5], ls[6], ls[7]
	l.DAdv, l.DCls = dAdv, dCls
	c.Recipe.Schedule(c.LR, u.Step, u.OptG, u.OptD)
	if err := t.split.UpdateG(u.OptG, u.Ec.P, u.Ea.P, u.G.P); err != nil {
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
	if err := t.split.UpdateD(u.OptD); err != nil {
		return l, err
	}
	l.Seconds, err = gan.EndStep(&u.Step, start, l.GTotal)
	l.Step = u.Step
	return l, err
}
