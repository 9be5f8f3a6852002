package generator

import (
	"errors"
	"fmt"

	"rgunit/embed"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// ModelName is the name GMM-UNIT checkpoints are stored under in the
// database's model blobs.
const ModelName = "gmm-unit"

// ErrCheckpoint: a checkpoint blob that does not decode.
var ErrCheckpoint = errors.New("generator: bad checkpoint")

// Weights are the loss weights of stage 1.
type Weights struct {
	Adv     float64 `json:"adv"`     // LSGAN
	Cls     float64 `json:"cls"`     // attribute classification (D on real, G's outputs through D)
	Rec     float64 `json:"rec"`     // self-reconstruction L1
	Content float64 `json:"content"` // content reconstruction L1
	Code    float64 `json:"code"`    // attribute-code reconstruction L1
	Cycle   float64 `json:"cycle"`   // cycle L1
	KL      float64 `json:"kl"`      // KL of E_a's posterior to the source domain's Gaussians
}

// DefaultWeights are the weights of the GMM-UNIT issue.
var DefaultWeights = Weights{Adv: 1, Cls: 1, Rec: 10, Content: 1, Code: 1, Cycle: 10, KL: 0.1}

// Config is a stage-1 model's configuration, stored in its checkpoints.
type Config struct {
	Arch    embed.Arch   `json:"arch"`
	Schema  embed.Schema `json:"schema"`
	Batch   int          `json:"batch"`
	Seed    uint64       `json:"seed"`
	LR      float64      `json:"lr"`
	Beta1   float64      `json:"beta1"`
	Beta2   float64      `json:"beta2"`
	Weights Weights      `json:"weights"`
	// Labelled, in (0, 1), trains on that fraction of the labelled items
	// (by a hash of the id, split.InFraction); 0 or 1 means all of them.
	Labelled float64 `json:"labelled,omitempty"`
	// Recipe is the training recipe (the zero value is the first one,
	// which checkpoints written before it existed decode to).
	Recipe Recipe `json:"recipe,omitzero"`
	// Stats are E_a's code statistics per attribute value, measured on
	// the training items at each checkpoint (nil before the first).
	Stats *CodeStats `json:"code_stats,omitempty"`
	// Parts splits each training step's batch into this many equal parts,
	// one graph each, run at once on their own cores, their gradients
	// averaged (0: one per core, fewer when that does not divide the
	// batch; 1: one graph over the whole batch). It changes the speed and
	// the rounding, not the model, and is not saved.
	Parts int `json:"-"`
}

// DefaultConfig is what a new stage-1 model trains with unless told
// otherwise: the default layout (embed.DefaultArch), embed.DefaultAttrDim
// code dimensions per attribute, batch 8, seed 1. The attributes are the
// caller's; NewUNIT fills in the optimizer and the loss weights.
func DefaultConfig() Config {
	return Config{Arch: embed.DefaultArch, Schema: embed.Schema{Dim: embed.DefaultAttrDim}, Batch: 8, Seed: 1}
}

// WithDefaults returns c with a zero layout, code size, batch and seed
// taken from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Arch == (embed.Arch{}) {
		c.Arch = d.Arch
	}
	if c.Schema.Dim == 0 {
		c.Schema.Dim = d.Schema.Dim
	}
	if c.Batch == 0 {
		c.Batch = d.Batch
	}
	if c.Seed == 0 {
		c.Seed = d.Seed
	}
	return c
}

// Check validates a configuration.
func (c Config) Check() error {
	if err := c.Arch.Check(); err != nil {
		return err
	}
	if len(c.Schema.Attrs) == 0 || len(c.Schema.Attrs) > 64 || c.Schema.Dim < 1 || c.Schema.Dim > 64 || c.Schema.Free < 0 || c.Schema.Free > 64 {
		return fmt.Errorf("%w: %d attributes of %d dims, %d free dims", embed.ErrAttribute, len(c.Schema.Attrs), c.Schema.Dim, c.Schema.Free)
	}
	if c.Batch < 1 || c.Batch > 1024 {
		return fmt.Errorf("generator: batch %d", c.Batch)
	}
	return nil
}

// UNIT is the stage-1 model: the encoders, the decoder, the discriminator
// and their two optimizers, at a training step.
type UNIT struct {
	Config Config
	Ec     *embed.ContentEncoder
	Ea     *embed.AttrEncoder
	G      *Decoder
	D      *Discriminator
	OptG   *nn.Adam // E_c, E_a and G
	OptD   *nn.Adam
	Step   int
	// EMA holds the moving averages of E_c, E_a and G (Recipe.EMA > 0;
	// nil otherwise): the weights Inference uses.
	EMA *Averages
}

// Averages are moving averages of E_c, E_a and G's weights.
type Averages struct{ Ec, Ea, G *nn.Params }

func (a *Averages) sets() []*nn.Params { return []*nn.Params{a.Ec, a.Ea, a.G} }

// optimizerDefaults fills in what a stage-1 or stage-3 configuration left
// zero: Adam's learning rate and betas (lr 1e-4, 2e-4 with the recipe's
// cosine decay; betas 0.5, 0.999) and the loss weights (DefaultWeights).
func optimizerDefaults(lr, beta1, beta2 *float64, w *Weights, r Recipe) {
	if *lr == 0 {
		*lr, *beta1, *beta2 = r.Adam()
	}
	if *w == (Weights{}) {
		*w = DefaultWeights
	}
}

// NewUNIT returns a freshly initialized model.
func NewUNIT(c Config) (*UNIT, error) {
	optimizerDefaults(&c.LR, &c.Beta1, &c.Beta2, &c.Weights, c.Recipe)
	if err := c.Check(); err != nil {
		return nil, err
	}
	u := &UNIT{
		Config: c,
		Ec:     embed.NewContentEncoder(c.Arch, c.Seed+1),
		Ea:     embed.NewAttrEncoder(c.Arch, c.Schema, c.Seed+2),
		G:      NewDecoder(c.Arch, c.Schema, c.Seed+3),
		D:      NewDiscriminator(c.Arch, c.Schema, c.Seed+4),
		OptG:   nn.NewAdam(c.LR, c.Beta1, c.Beta2),
		OptD:   nn.NewAdam(c.LR, c.Beta1, c.Beta2),
	}
	if c.Recipe.EMA > 0 {
		u.EMA = &Averages{Ec: u.Ec.P.Clone(), Ea: u.Ea.P.Clone(), G: u.G.P.Clone()}
	}
	return u, nil
}

// Inference returns the model to translate and encode with: the moving
// averages of E_c, E_a and G when the recipe keeps them (sharing their
// tensors), else u itself. Its D and optimizers are u's; it has no EMA.
func (u *UNIT) Inference() *UNIT {
	if u.EMA == nil {
		return u
	}
	v := *u
	v.Ec = &embed.ContentEncoder{Arch: u.Ec.Arch, P: u.EMA.Ec}
	v.Ea = embed.NewAttrEncoderOver(u.Ea, u.EMA.Ea)
	v.G = &Decoder{Arch: u.G.Arch, Schema: u.G.Schema, P: u.EMA.G}
	v.EMA = nil
	return &v
}

// WarmStart copies into u every weight of src's E_c, E_a and G (the
// inference weights: src's moving averages when it keeps them) whose
// name and shape u has too, and restarts u's moving averages from the
// result; D starts afresh. E_c and G are fully convolutional, so a 32 px
// model starts a 64 px one whole. It returns the share of u's encoder
// and decoder weights that were copied.
func (u *UNIT) WarmStart(src *UNIT) float64 {
	from := src.Inference()
	var copied, total int
	for _, pair := range [][2]*nn.Params{{u.Ec.P, from.Ec.P}, {u.Ea.P, from.Ea.P}, {u.G.P, from.G.P}} {
		_, n := pair[0].CopyMatching(pair[1])
		copied += n
		total += pair[0].Count()
	}
	if u.EMA != nil {
		u.EMA = &Averages{Ec: u.Ec.P.Clone(), Ea: u.Ea.P.Clone(), G: u.G.P.Clone()}
	}
	return float64(copied) / float64(max(total, 1))
}

// Params returns the parameter count of E_c, E_a, G and D.
func (u *UNIT) Params() (ec, ea, g, d int) {
	return u.Ec.P.Count(), u.Ea.P.Count(), u.G.P.Count(), u.D.P.Count()
}

// checkpoint header (JSON).
type header struct {
	Format int    `json:"format"`
	Step   int    `json:"step"`
	Config Config `json:"config"`
}

const checkpointMagic = "RGUNIT-GMMUNIT\n"

// MarshalBinary encodes a checkpoint: magic, uvarint header length, JSON
// header (format, step, config), then the parameters of E_c, E_a, G and D
// and the two optimizers' states (package nn's encodings).
func (u *UNIT) MarshalBinary() ([]byte, error) {
	b, err := nn.AppendHeader(nil, checkpointMagic, header{Format: u.format(), Step: u.Step, Config: u.Config})
	if err != nil {
		return nil, err
	}
	return gan.AppendBody(b, u.paramSets(), u.OptG, u.OptD), nil
}

// format is the checkpoint format: 2 when it carries moving averages.
func (u *UNIT) format() int {
	if u.EMA != nil {
		return 2
	}
	return 1
}

// paramSets are the parameter sets a checkpoint holds, in order: E_c,
// E_a, G, D, then the moving averages of E_c, E_a and G (format 2).
func (u *UNIT) paramSets() []*nn.Params {
	ps := []*nn.Params{u.Ec.P, u.Ea.P, u.G.P, u.D.P}
	if u.EMA != nil {
		ps = append(ps, u.EMA.sets()...)
	}
	return ps
}

// UnmarshalUNIT decodes a checkpoint into a new model.
func UnmarshalUNIT(b []byte) (*UNIT, error) {
	var h header
	b, err := nn.ReadHeader(b, checkpointMagic, &h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	u, err := NewUNIT(h.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if h.Format != u.format() {
		return nil, fmt.Errorf("%w: format %d (a model of this configuration is format %d)", ErrCheckpoint, h.Format, u.format())
	}
	u.Step = h.Step
	if u.OptG, u.OptD, err = gan.ReadBody(b, u.paramSets()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	return u, nil
}
