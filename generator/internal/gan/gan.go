// Package gan is the step machinery stage 1 (package generator) and stage 3
// (package generator/rg) share: the G step's inputs and their draws, a
// translation pass with its losses, the discriminator's step, and the small
// graph and checkpoint helpers both trainers use. It knows no model type:
// the networks come in as functions and parameter sets.
package gan

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

// Batch is one training batch: images (N*3*S*S, CHW, in [-1, 1]) with their
// attribute values and the target values to translate them to; Ref holds,
// per image, an image that has the target values (the item the target was
// drawn from), for the reference-guided pass.
type Batch struct {
	X, Ref   []float32
	Src, Tgt [][]int8
}

// Inputs are the G step's inputs, shared by stages 1 and 3: the images, the
// source means, the reparametrization noise, the target codes and 0/1
// targets, the style-swap mask, the reference images and the mask of the
// blocks they keep from the source, the KL weight (nodes of the G graph and
// the tensors bound to them), and the 0/1 source values and fakes the D
// step reads.
type Inputs struct {
	X, SrcMeans, Eps, Zt, Tgt01, Swap, Ref, Keep, KLW *G.Node
	XT, SrcMeansT, EpsT, ZtT, Tgt01T, Src01T          *tensor.Dense
	SwapT, RefT, KeepT                                *tensor.Dense
	FakeT                                             []*tensor.Dense
}

// newTensors returns the input tensors (no nodes) of a step over n images
// of s px, cd code values and na attributes, with fakes translations for
// the D step.
func newTensors(n, s, cd, na, fakes int) Inputs {
	in := Inputs{XT: NewTensor(n, 3, s, s), SrcMeansT: NewTensor(n, cd), EpsT: NewTensor(n, cd), ZtT: NewTensor(n, cd),
		Tgt01T: NewTensor(n, na), Src01T: NewTensor(n, na), SwapT: NewTensor(n, cd), RefT: NewTensor(n, 3, s, s),
		KeepT: NewTensor(n, cd)}
	for range fakes {
		in.FakeT = append(in.FakeT, NewTensor(n, 3, s, s))
	}
	return in
}

// addNodes adds the input nodes of a step over n images to b.
func (in *Inputs) addNodes(b *nn.Builder, n, s, cd, na int) {
	in.X, in.SrcMeans, in.Eps = b.Input("x", n, 3, s, s), b.Input("src_means", n, cd), b.Input("eps", n, cd)
	in.Zt, in.Tgt01, in.Swap = b.Input("z_target", n, cd), b.Input("tgt01", n, na), b.Input("swap", n, cd)
	in.Ref, in.Keep = b.Input("ref", n, 3, s, s), b.Input("keep", n, cd)
	in.KLW = G.NewScalar(b.G, tensor.Float32, G.WithName("kl_weight"))
}

// Bind lets the inputs (and more, a node to a tensor each) into their
// graph and binds the D step's inputs.
func (in *Inputs) Bind(d *DStep, more map[*G.Node]*tensor.Dense) error {
	lets := map[*G.Node]*tensor.Dense{in.X: in.XT, in.SrcMeans: in.SrcMeansT, in.Eps: in.EpsT, in.Zt: in.ZtT,
		in.Tgt01: in.Tgt01T, in.Swap: in.SwapT, in.Ref: in.RefT, in.Keep: in.KeepT}
	for n, v := range more {
		lets[n] = v
	}
	for node, val := range lets {
		if err := G.Let(node, val); err != nil {
			return err
		}
	}
	if err := G.Let(in.KLW, G.NewF32(0)); err != nil {
		return err
	}
	return d.bind(in.XT, in.FakeT, in.Src01T)
}

// Draw is what a step's random inputs are drawn with: the code layout, the
// probability of style replacement, and the step's KL weight.
type Draw struct {
	Schema    embed.Schema
	StyleSwap float64
	KLWeight  float64
}

// Load copies a batch in and draws the step's noise and targets into the
// tensors: the source domains' means, reparametrization noise, codes
// sampled from the target Gaussians, the 0/1 target and source values, and
// the style-swap and kept-block masks (Split.Load sets the KL weight). They depend on (seed, step) only, so
// a resumed run is the same run.
func (in *Inputs) Load(d Draw, seed uint64, step int, batch Batch) {
	copy(in.XT.Data().([]float32), batch.X)
	means, eps, zt := in.SrcMeansT.Data().([]float32), in.EpsT.Data().([]float32), in.ZtT.Data().([]float32)
	tgt01, src01 := in.Tgt01T.Data().([]float32), in.Src01T.Data().([]float32)
	s := d.Schema
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
	in.loadMasks(d, rng, batch) // drawn after the draws above, so the first recipe's are unchanged
	if len(batch.Ref) == len(batch.X) {
		copy(in.RefT.Data().([]float32), batch.Ref)
	}
}

// loadMasks fills the kept-block mask (1 for the blocks of attributes the
// target keeps, and the free dimensions) and the style-swap mask (the kept
// blocks, for the images whose coin, of probability StyleSwap, says so).
func (in *Inputs) loadMasks(d Draw, rng *rand.Rand, batch Batch) {
	s := d.Schema
	cd := s.CodeDim()
	swap, keep := in.SwapT.Data().([]float32), in.KeepT.Data().([]float32)
	for i := range batch.Src {
		coin := d.StyleSwap > 0 && rng.Float64() < d.StyleSwap
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

// NewTensor returns a zero float32 tensor of shape.
func NewTensor(shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
}

// Critic is D as the steps see it: patch scores at each scale and one
// logit per attribute.
type Critic func(b *nn.Builder, x *G.Node) (patches []*G.Node, logits *G.Node)

// Pass is one translation in the G step: the fake, and its adversarial,
// attribute, content and cycle losses.
type Pass struct{ Fake, Adv, Cls, Content, Cycle *G.Node }

// PassNets are the networks a translation pass runs through: the decoder
// of a translation (Forward: from the source's content) and of its cycle
// back (Back: from the translation's content), E_c and D.
type PassNets struct {
	Forward, Back func(content, code *G.Node) *G.Node
	Ec            *embed.ContentEncoder
	D             Critic
}

// Translation decodes x's content with code, scores the result with D
// against the 0/1 targets, re-encodes its content and decodes that with
// x's own code z (the cycle back to x).
func (n PassNets) Translation(b *nn.Builder, x, content, code, z, tgt01 *G.Node) Pass {
	fake := n.Forward(content, code)
	patches, logits := n.D(b, fake)
	cfake := n.Ec.Build(b, fake)
	xcyc := n.Back(cfake, z)
	return Pass{Fake: fake, Adv: AdvLoss(b, patches, 1), Cls: b.BCEWithLogits(logits, tgt01),
		Content: b.L1(cfake, content), Cycle: b.L1(xcyc, x)}
}

// RefAveraged averages the reference pass's losses with p's (each 0.5).
func (p Pass) RefAveraged(b *nn.Builder, ref Pass) Pass {
	half := []float64{0.5, 0.5}
	avg := func(x, y *G.Node) *G.Node { return b.WeightedSum([]*G.Node{x, y}, half) }
	return Pass{Fake: p.Fake, Adv: avg(p.Adv, ref.Adv), Cls: avg(p.Cls, ref.Cls), Content: avg(p.Content, ref.Content),
		Cycle: avg(p.Cycle, ref.Cycle)}
}

// AdvLoss is the LSGAN loss of D's patch scores against c, summed over
// scales.
func AdvLoss(b *nn.Builder, patches []*G.Node, c float64) *G.Node {
	terms := make([]*G.Node, len(patches))
	ws := make([]float64, len(patches))
	for i, p := range patches {
		terms[i], ws[i] = b.MSEConst(p, c), 1
	}
	return b.WeightedSum(terms, ws)
}

// DStep is the discriminator's step, shared by stage 1 and stage 3: LSGAN
// real/fake (the fakes' losses averaged) and the attribute loss on real
// images.
type DStep struct {
	p            *nn.Params
	b            *nn.Builder
	m            G.VM
	x, src01     *G.Node
	fakes        []*G.Node
	adv, cls, tl *G.Node
	// FLOPs is the step's floating-point work (forward and backward).
	FLOPs int64
}

// NewDStep builds D's step over its parameters p for n images of s px, na
// attributes and nfakes translations, its losses weighted wAdv and wCls.
func NewDStep(d Critic, p *nn.Params, n, s, na, nfakes int, wAdv, wCls float64) (*DStep, error) {
	b := nn.NewBuilder(p)
	t := &DStep{p: p, b: b}
	t.x, t.src01 = b.Input("x", n, 3, s, s), b.Input("src01", n, na)
	preal, lreal := d(b, t.x)
	terms, ws := []*G.Node{AdvLoss(b, preal, 1)}, []float64{1}
	for k := range nfakes {
		name := "fake"
		if k > 0 {
			name = fmt.Sprint("fake", k)
		}
		f := b.Input(name, n, 3, s, s)
		t.fakes = append(t.fakes, f)
		pfake, _ := d(b, f)
		terms, ws = append(terms, AdvLoss(b, pfake, 0)), append(ws, 1/float64(nfakes))
	}
	t.adv = b.WeightedSum(terms, ws)
	t.cls = b.BCEWithLogits(lreal, t.src01)
	t.tl = b.WeightedSum([]*G.Node{t.adv, t.cls}, []float64{wAdv, wCls})
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("generator: building the D step: %w", err)
	}
	if _, err := G.Grad(t.tl, b.Learnables...); err != nil {
		return nil, fmt.Errorf("generator: D step gradients: %w", err)
	}
	t.FLOPs = 3 * b.FLOPs
	return t, nil
}

// bind sets the step's inputs and makes its machine.
func (t *DStep) bind(x *tensor.Dense, fakes []*tensor.Dense, src01 *tensor.Dense) error {
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

// run runs the step's graph (Split.UpdateD applies its gradients).
func (t *DStep) run() error {
	if err := nn.Run(t.m); err != nil {
		return fmt.Errorf("generator: D step: %w", err)
	}
	return nil
}

// Close releases the step's machine.
func (t *DStep) Close() { nn.CloseMachine(t.m) }

// Scalar is a scalar node's value (NaN before a run).
func Scalar(n *G.Node) float64 {
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

// CopyFakes copies the G step's translations into the D step's inputs.
func CopyFakes(fakes []G.Value, to []*tensor.Dense) error {
	for k, f := range fakes {
		if f == nil {
			return fmt.Errorf("generator: G step produced no image")
		}
		copy(to[k].Data().([]float32), f.Data().([]float32))
	}
	return nil
}

// EndStep counts a finished step into *step and returns the seconds it
// took since start, with an error when its total loss diverged.
func EndStep(step *int, start time.Time, total float64) (seconds float64, err error) {
	*step++
	seconds = time.Since(start).Seconds()
	if math.IsNaN(total) || math.IsInf(total, 0) {
		return seconds, fmt.Errorf("generator: loss diverged at step %d (%v)", *step, total)
	}
	return seconds, nil
}

// Input is an input of a one-off graph: its name, shape and values.
type Input struct {
	Name  string
	Shape []int
	Data  []float32
}

// FlatCodes joins per-image codes of cd values each.
func FlatCodes(codes [][]float32, cd int) ([]float32, error) {
	flat := make([]float32, 0, len(codes)*cd)
	for i, c := range codes {
		if len(c) != cd {
			return nil, fmt.Errorf("generator: code %d has %d values, want %d", i, len(c), cd)
		}
		flat = append(flat, c...)
	}
	return flat, nil
}

// Rows splits n*per values into n slices.
func Rows(out []float32, n, per int) [][]float32 {
	res := make([][]float32, n)
	for i := range res {
		res[i] = out[i*per : (i+1)*per]
	}
	return res
}

// AppendBody appends a checkpoint's parameter sets, then its two
// optimizers' states.
func AppendBody(b []byte, ps []*nn.Params, optG, optD *nn.Adam) []byte {
	for _, p := range ps {
		b = nn.AppendParams(b, p)
	}
	b = nn.AppendAdam(b, optG)
	return nn.AppendAdam(b, optD)
}

// ReadBody reads what AppendBody wrote into ps and returns the two
// optimizers; nothing may follow.
func ReadBody(b []byte, ps []*nn.Params) (optG, optD *nn.Adam, err error) {
	for _, p := range ps {
		if b, err = nn.ReadParams(b, p); err != nil {
			return nil, nil, err
		}
	}
	if optG, b, err = nn.ReadAdam(b); err != nil {
		return nil, nil, err
	}
	if optD, b, err = nn.ReadAdam(b); err != nil {
		return nil, nil, err
	}
	if len(b) != 0 {
		return nil, nil, fmt.Errorf("%d trailing bytes", len(b))
	}
	return optG, optD, nil
}
