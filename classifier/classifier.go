// Package classifier is the evaluation classifier: a small CNN trained on
// real labelled images to predict their attributes. The translation benches
// use it to score outputs: target-attribute accuracy, and FD-cls, the
// Fréchet distance between real and generated images in its penultimate
// features (named honestly: it is not Inception's FID).
package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"rgunit/embed"
	"rgunit/nn"
	"rgunit/storage"
)

// ModelName is the name the classifier is stored under.
const ModelName = "classifier"

// ErrModel: a stored classifier that does not decode.
var ErrModel = errors.New("classifier: bad stored model")

// Config of a classifier.
type Config struct {
	Size  int      `json:"size"`
	Width int      `json:"width"`
	Attrs []string `json:"attrs"`
	Seed  uint64   `json:"seed"`
}

// Classifier is conv(3->W, s2) -> conv(W->2W, s2) -> conv(2W->4W, s2), each
// with leaky ReLU, global average pooling (the 4W features FD-cls uses),
// then a linear layer to one logit per attribute.
type Classifier struct {
	Config Config
	P      *nn.Params
	downs  int
}

// New returns an untrained classifier.
func New(c Config) (*Classifier, error) {
	if c.Size != 32 && c.Size != 64 {
		return nil, fmt.Errorf("classifier: size %d (32 or 64)", c.Size)
	}
	if c.Width == 0 {
		c.Width = 16
	}
	if c.Width < 1 || c.Width > 64 {
		return nil, fmt.Errorf("classifier: width %d (1 to 64)", c.Width)
	}
	if len(c.Attrs) == 0 || len(c.Attrs) > 64 {
		return nil, fmt.Errorf("%w: %d attributes", embed.ErrAttribute, len(c.Attrs))
	}
	p := nn.NewParams(c.Seed + 11)
	in, downs := 3, 0
	for side := c.Size; side > 4; side /= 2 {
		out := min(c.Width<<downs, 4*c.Width)
		p.New(fmt.Sprintf("d%d.w", downs), nn.He, out, in, 3, 3)
		p.New(fmt.Sprintf("d%d.b", downs), nn.Zeros, 1, out, 1, 1)
		in = out
		downs++
	}
	p.New("fc.w", nn.He, in, len(c.Attrs))
	p.New("fc.b", nn.Zeros, 1, len(c.Attrs))
	return &Classifier{Config: c, P: p, downs: downs}, nil
}

// FeatureDim is the length of the penultimate features.
func (c *Classifier) FeatureDim() int { return c.P.Get("fc.w").Shape()[0] }

func (c *Classifier) build(b *nn.Builder, x *G.Node) (feat, logits *G.Node) {
	p := c.P.Get
	h := x
	for d := range c.downs {
		h = b.LeakyReLU(b.Conv(h, p(fmt.Sprintf("d%d.w", d)), p(fmt.Sprintf("d%d.b", d)), 2, 1))
	}
	feat = b.GlobalAvgPool(h)
	return feat, b.Linear(feat, p("fc.w"), p("fc.b"))
}

// Data is labelled images in CHW [-1, 1] layout with one value per
// attribute.
type Data struct {
	X      [][]float32
	Labels [][]int8
}

// Train fits the classifier with Adam (lr 1e-3) and binary cross-entropy
// for steps batches of batch images drawn with the seed.
func (c *Classifier) Train(ctx context.Context, d Data, steps, batch int, onStep func(step int, loss float64)) error {
	s, na := c.Config.Size, len(c.Config.Attrs)
	if len(d.X) == 0 {
		return fmt.Errorf("classifier: no training images")
	}
	b := nn.NewBuilder(c.P)
	x, t := b.Input("x", batch, 3, s, s), b.Input("t", batch, na)
	_, logits := c.build(b, x)
	loss := b.BCEWithLogits(logits, t)
	if err := b.Err(); err != nil {
		return err
	}
	if _, err := G.Grad(loss, b.Learnables...); err != nil {
		return err
	}
	xT := tensor.New(tensor.WithShape(batch, 3, s, s), tensor.WithBacking(make([]float32, batch*3*s*s)))
	tT := tensor.New(tensor.WithShape(batch, na), tensor.WithBacking(make([]float32, batch*na)))
	G.Let(x, xT)
	G.Let(t, tT)
	m := nn.NewMachine(b.G, G.BindDualValues(b.Learnables...))
	defer nn.CloseMachine(m)
	opt := nn.NewAdam(1e-3, 0.9, 0.999)
	xs, ts := xT.Data().([]float32), tT.Data().([]float32)
	per := 3 * s * s
	for step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(c.Config.Seed, uint64(step)))
		for i := range batch {
			j := rng.IntN(len(d.X))
			copy(xs[i*per:(i+1)*per], d.X[j])
			for a := range na {
				ts[i*na+a] = float32(max(d.Labels[j][a], 0))
			}
		}
		if err := nn.Run(m); err != nil {
			return err
		}
		l := float64(loss.Value().Data().(float32))
		if err := opt.Update(b, c.P); err != nil {
			return err
		}
		m.Reset()
		if onStep != nil {
			onStep(step+1, l)
		}
	}
	return nil
}

// Predict returns, for n images, the attribute logits and the penultimate
// features.
func (c *Classifier) Predict(x []float32, n int) (logits, feats [][]float32, err error) {
	s, na, fd := c.Config.Size, len(c.Config.Attrs), c.FeatureDim()
	if n == 0 || len(x) != n*3*s*s {
		return nil, nil, fmt.Errorf("classifier: %d values for %d images of %d px", len(x), n, s)
	}
	b := nn.NewBuilder()
	b.Use(c.P)
	xin := b.Input("x", n, 3, s, s)
	f, l := c.build(b, xin)
	if err := b.Err(); err != nil {
		return nil, nil, err
	}
	G.Let(xin, tensor.New(tensor.WithShape(n, 3, s, s), tensor.WithBacking(append([]float32(nil), x...))))
	m := nn.NewMachine(b.G)
	defer nn.CloseMachine(m)
	if err := nn.Run(m); err != nil {
		return nil, nil, err
	}
	lv, fv := l.Value().Data().([]float32), f.Value().Data().([]float32)
	for i := range n {
		logits = append(logits, append([]float32(nil), lv[i*na:(i+1)*na]...))
		feats = append(feats, append([]float32(nil), fv[i*fd:(i+1)*fd]...))
	}
	return logits, feats, nil
}

// PredictAll runs Predict in chunks of 64 images.
func (c *Classifier) PredictAll(xs [][]float32) (logits, feats [][]float32, err error) {
	for lo := 0; lo < len(xs); lo += 64 {
		hi := min(lo+64, len(xs))
		var flat []float32
		for _, x := range xs[lo:hi] {
			flat = append(flat, x...)
		}
		l, f, err := c.Predict(flat, hi-lo)
		if err != nil {
			return nil, nil, err
		}
		logits, feats = append(logits, l...), append(feats, f...)
	}
	return logits, feats, nil
}

// Accuracy is the fraction of (image, attribute) pairs whose logit sign
// matches the wanted value, and the per-attribute accuracies.
func Accuracy(logits [][]float32, want [][]int8) (float64, []float64) {
	if len(logits) == 0 {
		return math.NaN(), nil
	}
	per := make([]float64, len(want[0]))
	for i, l := range logits {
		for a, v := range l {
			if (v >= 0) == (want[i][a] > 0) {
				per[a]++
			}
		}
	}
	var all float64
	for a := range per {
		all += per[a]
		per[a] /= float64(len(logits))
	}
	return all / float64(len(logits)*len(per)), per
}

// Save stores the classifier in st (a new version of ModelName).
func (c *Classifier) Save(st *storage.Store) (uint64, error) {
	blob, err := c.MarshalBinary()
	if err != nil {
		return 0, err
	}
	return st.PutModel(ModelName, blob)
}

// MarshalBinary encodes the classifier: uvarint length, JSON config, then
// the parameters (package nn's encoding).
func (c *Classifier) MarshalBinary() ([]byte, error) {
	blob, err := nn.AppendHeader(nil, "", c.Config)
	if err != nil {
		return nil, err
	}
	return nn.AppendParams(blob, c.P), nil
}

// Load returns the latest classifier stored in st.
func Load(st *storage.Store) (*Classifier, error) {
	blob, _, err := st.Model(ModelName, 0)
	if err != nil {
		return nil, err
	}
	return Decode(blob)
}

// Decode reads a stored classifier.
func Decode(blob []byte) (*Classifier, error) {
	var cfg Config
	rest, err := nn.ReadHeader(blob, "", &cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	c, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	rest, err = nn.ReadParams(rest, c.P)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrModel)
	}
	return c, nil
}
