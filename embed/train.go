package embed

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/nn"
)

// Margin is the triplet loss margin (on unit embeddings).
const Margin = 0.2

// Trainer runs triplet steps on an embedder: every role of a batch of
// triplets goes through the same weights, and the loss is the mean over the
// negative kinds of the triplet margin loss (L2 distance).
type Trainer struct {
	e      *Embedder
	opt    *nn.Adam
	b      *nn.Builder
	m      G.VM
	batch  int
	roles  int
	ins    []*tensor.Dense // per role: content, then code
	loss   *G.Node
	perNeg []*G.Node
}

// NewTrainer builds the training graph for batches of batch triplets
// with roles roles (2 + negative kinds) and content maps of contentShape
// (C, H, W).
func NewTrainer(e *Embedder, opt *nn.Adam, batch, roles int, contentShape [3]int) (t *Trainer, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("embed: building the triplet graph: %v", r)
		}
	}()
	if roles < 3 || batch < 1 {
		return nil, fmt.Errorf("embed: %d roles, batch %d", roles, batch)
	}
	b := nn.NewBuilder(e.P)
	t = &Trainer{e: e, opt: opt, b: b, batch: batch, roles: roles}
	cd := e.Schema.CodeDim()
	embs := make([]*G.Node, roles)
	for r := range roles {
		c := b.Input(fmt.Sprint("content", r), batch, contentShape[0], contentShape[1], contentShape[2])
		z := b.Input(fmt.Sprint("code", r), batch, cd)
		ct, zt := newDense(batch, contentShape[0], contentShape[1], contentShape[2]), newDense(batch, cd)
		if err := G.Let(c, ct); err != nil {
			return nil, err
		}
		if err := G.Let(z, zt); err != nil {
			return nil, err
		}
		t.ins = append(t.ins, ct, zt)
		embs[r] = e.Build(b, c, z)
	}
	ws := make([]float64, roles-2)
	for k := 2; k < roles; k++ {
		t.perNeg = append(t.perNeg, b.Triplet(embs[0], embs[1], embs[k], Margin))
		ws[k-2] = 1 / float64(roles-2)
	}
	t.loss = b.WeightedSum(t.perNeg, ws)
	if err := b.Err(); err != nil {
		return nil, err
	}
	if _, err := G.Grad(t.loss, b.Learnables...); err != nil {
		return nil, err
	}
	t.m = nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
	return t, nil
}

func newDense(shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
}

// Close releases the machine.
func (t *Trainer) Close() { nn.CloseMachine(t.m) }

// Step trains on batch triplets of p drawn with rng and returns the loss
// and the loss per negative kind.
func (t *Trainer) Step(p *Pool, rng *rand.Rand) (float64, []float64, error) {
	if p.Roles() != t.roles {
		return 0, nil, fmt.Errorf("embed: pool of %d roles for a graph of %d", p.Roles(), t.roles)
	}
	cs, cd := p.ContentSize, p.CodeDim
	for i := range t.batch {
		j := rng.IntN(p.N)
		for r := range t.roles {
			copy(t.ins[2*r].Data().([]float32)[i*cs:(i+1)*cs], p.Content[r][j*cs:(j+1)*cs])
			copy(t.ins[2*r+1].Data().([]float32)[i*cd:(i+1)*cd], p.Codes[r][j*cd:(j+1)*cd])
		}
	}
	if err := nn.Run(t.m); err != nil {
		return 0, nil, fmt.Errorf("embed: triplet step: %w", err)
	}
	loss := float64(t.loss.Value().Data().(float32))
	per := make([]float64, len(t.perNeg))
	for i, n := range t.perNeg {
		per[i] = float64(n.Value().Data().(float32))
	}
	if err := t.opt.Update(t.b, t.e.P); err != nil {
		return loss, per, err
	}
	t.m.Reset()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, per, fmt.Errorf("embed: triplet loss diverged (%v)", loss)
	}
	return loss, per, nil
}

// Embed runs the embedder on n (content, code) pairs, in batches.
func (e *Embedder) Embed(content, codes []float32, n int, contentShape [3]int) (out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("embed: embedding graph: %v", r)
		}
	}()
	cs, cd := contentShape[0]*contentShape[1]*contentShape[2], e.Schema.CodeDim()
	if n < 1 || len(content) != n*cs || len(codes) != n*cd {
		return nil, fmt.Errorf("embed: %d content and %d code values for %d items", len(content), len(codes), n)
	}
	key := "" // single queries reuse their graph (nn.InferenceGraphs)
	if n == 1 {
		key = fmt.Sprintf("embed/%d/%v", e.P.ID(), contentShape)
	}
	shape := []int{n, contentShape[0], contentShape[1], contentShape[2]}
	return nn.InferenceGraphs.Run(key, [][]float32{content, codes}, func() (*nn.Built, error) {
		b := nn.NewBuilder()
		b.Use(e.P)
		c := b.Input("content", shape...)
		z := b.Input("code", n, cd)
		y := e.Build(b, c, z)
		if err := b.Err(); err != nil {
			return nil, err
		}
		return nn.Inputs(b, []*G.Node{c, z}, [][]int{shape, {n, cd}}, y), nil
	})
}
