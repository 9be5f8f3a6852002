package generator

import (
	"fmt"
	"strings"

	"rgunit/nn"
)

// RGModelName is the name RG-UNIT (stage 3) checkpoints are stored under.
const RGModelName = "rg-unit"

// RGConfig is a stage-3 model's configuration, stored in its checkpoints.
type RGConfig struct {
	K       int     `json:"k"` // neighbours fused
	Batch   int     `json:"batch"`
	Seed    uint64  `json:"seed"`
	LR      float64 `json:"lr"`
	Beta1   float64 `json:"beta1"`
	Beta2   float64 `json:"beta2"`
	Weights Weights `json:"weights"` // KL is unused: E_a is frozen
	// Retrieval is the version of the retrieval model whose frozen E_c,
	// E_a and index the model was trained with: it only runs on top of
	// that version.
	Retrieval uint64 `json:"retrieval_version"`
	// Labelled: the fraction of labelled items trained on (see Config).
	Labelled float64 `json:"labelled,omitempty"`
	// Recipe: the parts of the stage-1 recipe that apply to stage 3
	// (RecFromMu, EMA, Cosine, Steps, ClipNorm; E_a is frozen, so its KL
	// and code parts do not apply), and Codes, the translation codes it
	// trains with.
	Recipe Recipe `json:"recipe,omitzero"`
	// Codes is how the training translations' codes are made: "encoder"
	// (TranslationCode from the retrieved neighbours' E_a means, as
	// translate makes them) or "" (the first recipe: the target's prior).
	Codes string `json:"codes,omitempty"`
}

// Check validates a configuration.
func (c RGConfig) Check() error {
	if c.K < 1 || c.K > 16 {
		return fmt.Errorf("generator: %d neighbours (want 1 to 16)", c.K)
	}
	if c.Batch < 1 || c.Batch > 1024 {
		return fmt.Errorf("generator: batch %d", c.Batch)
	}
	return nil
}

// RG is the stage-3 model, RG-UNIT: the frozen encoders of a stage-1 model
// (Base: E_c, E_a, and the stage-1 G it started from), a decoder initialized
// from that G whose code MLP stays frozen (so codes keep their meaning), the
// retrieval fusion convs and a discriminator, with their optimizers.
type RG struct {
	Config RGConfig
	Base   *UNIT
	G      *Decoder
	Fusion *Fusion
	D      *Discriminator
	OptG   *nn.Adam // G (but its code MLP) and the fusion
	OptD   *nn.Adam
	Step   int
	// EMA holds moving averages of G and the fusion (Recipe.EMA > 0), the
	// weights Inference uses.
	EMA *RGAverages
}

// RGAverages are moving averages of a stage-3 model's G and fusion.
type RGAverages struct{ G, Fusion *nn.Params }

// Inference returns the model to translate with: the moving averages of G
// and the fusion when the recipe keeps them (sharing their tensors), else
// r itself.
func (r *RG) Inference() *RG {
	if r.EMA == nil {
		return r
	}
	v := *r
	v.G = &Decoder{Arch: r.G.Arch, Schema: r.G.Schema, P: r.EMA.G}
	v.Fusion = &Fusion{Arch: r.Fusion.Arch, K: r.Fusion.K, P: r.EMA.Fusion}
	v.EMA = nil
	return &v
}

// paramSets are the parameter sets a checkpoint holds: G, the fusion, D,
// then the moving averages of G and the fusion (format 2).
func (r *RG) paramSets() []*nn.Params {
	ps := []*nn.Params{r.G.P, r.Fusion.P, r.D.P}
	if r.EMA != nil {
		ps = append(ps, r.EMA.G, r.EMA.Fusion)
	}
	return ps
}

// format is the checkpoint format: 2 when it carries moving averages.
func (r *RG) format() int {
	if r.EMA != nil {
		return 2
	}
	return 1
}

// DefaultRGConfig is what a new stage-3 model trains with unless told
// otherwise: DefaultK neighbours, batch 8, seed 1.
func DefaultRGConfig() RGConfig { return RGConfig{K: DefaultK, Batch: 8, Seed: 1} }

// WithDefaults returns c with a zero k, batch and seed taken from
// DefaultRGConfig.
func (c RGConfig) WithDefaults() RGConfig {
	d := DefaultRGConfig()
	if c.K == 0 {
		c.K = d.K
	}
	if c.Batch == 0 {
		c.Batch = d.Batch
	}
	if c.Seed == 0 {
		c.Seed = d.Seed
	}
	return c
}

// NewRG returns a stage-3 model over base: G starts as a copy of base's G,
// D as a copy of d (a fresh D when d is nil), and the fusion as the
// identity on the source's content, so an untrained RG-UNIT decodes exactly
// what GMM-UNIT decodes.
func NewRG(base *UNIT, d *Discriminator, c RGConfig) (*RG, error) {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Batch == 0 {
		c.Batch = base.Config.Batch
	}
	optimizerDefaults(&c.LR, &c.Beta1, &c.Beta2, &c.Weights, c.Recipe)
	if err := c.Check(); err != nil {
		return nil, err
	}
	a, s := base.Config.Arch, base.Config.Schema
	f, err := NewFusion(a, c.K, c.Seed+21)
	if err != nil {
		return nil, err
	}
	r := &RG{Config: c, Base: base, G: NewDecoder(a, s, c.Seed+22), Fusion: f, D: NewDiscriminator(a, s, c.Seed+23),
		OptG: nn.NewAdam(c.LR, c.Beta1, c.Beta2), OptD: nn.NewAdam(c.LR, c.Beta1, c.Beta2)}
	if err := r.G.P.CopyFrom(base.G.P); err != nil {
		return nil, err
	}
	if d != nil {
		if err := r.D.P.CopyFrom(d.P); err != nil {
			return nil, fmt.Errorf("generator: the discriminator does not fit the model: %w", err)
		}
	}
	if c.Recipe.EMA > 0 {
		r.EMA = &RGAverages{G: r.G.P.Clone(), Fusion: r.Fusion.P.Clone()}
	}
	return r, nil
}

// isCodeMLP reports whether a decoder parameter belongs to the code MLP
// (AdaIN's scales and biases), which stage 3 keeps frozen.
func isCodeMLP(name string) bool { return strings.HasPrefix(name, "m") }

// trainableG is the part of G that stage 3 trains.
func (r *RG) trainableG() *nn.Params {
	return r.G.P.Subset(func(n string) bool { return !isCodeMLP(n) })
}

// Params returns the parameter count of the trained G part, the fusion and D.
func (r *RG) Params() (g, fusion, d int) {
	return r.trainableG().Count(), r.Fusion.P.Count(), r.D.P.Count()
}

type rgHeader struct {
	Format     int      `json:"format"`
	Step       int      `json:"step"`
	Config     RGConfig `json:"config"`
	Stage1     Config   `json:"stage1"`
	Stage1Step int      `json:"stage1_step"`
}

const rgMagic = "RGUNIT-RGUNIT\n"

// MarshalBinary encodes a checkpoint: magic, uvarint header length, JSON
// header (format, step, config, the base's config and step), the
// parameters of G, the fusion and D, and the two optimizers' states. The
// frozen encoders are not included: they belong to the retrieval model
// (version Config.Retrieval) the checkpoint is loaded over.
func (r *RG) MarshalBinary() ([]byte, error) {
	b, err := nn.AppendHeader(nil, rgMagic, rgHeader{Format: r.format(), Step: r.Step, Config: r.Config,
		Stage1: r.Base.Config, Stage1Step: r.Base.Step})
	if err != nil {
		return nil, err
	}
	return appendBody(b, r.paramSets(), r.OptG, r.OptD), nil
}

// UnmarshalRG decodes a checkpoint over base, the frozen stage-1 networks
// of the retrieval model it was trained with; the base's configuration
// must be the one the checkpoint records.
func UnmarshalRG(b []byte, base *UNIT) (*RG, error) {
	var h rgHeader
	b, err := nn.ReadHeader(b, rgMagic, &h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if base == nil {
		return nil, fmt.Errorf("%w: no stage-1 model to load RG-UNIT over", ErrCheckpoint)
	}
	if fmt.Sprint(h.Stage1.Arch, h.Stage1.Schema) != fmt.Sprint(base.Config.Arch, base.Config.Schema) {
		return nil, fmt.Errorf("%w: RG-UNIT was trained over a %v %v model, the retrieval model is %v %v", ErrCheckpoint,
			h.Stage1.Arch, h.Stage1.Schema.Attrs, base.Config.Arch, base.Config.Schema.Attrs)
	}
	r, err := NewRG(base, nil, h.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if h.Format != r.format() {
		return nil, fmt.Errorf("%w: format %d (a model of this configuration is format %d)", ErrCheckpoint, h.Format, r.format())
	}
	r.Step = h.Step
	if r.OptG, r.OptD, err = readBody(b, r.paramSets()); err != nil {
		return nil, err
	}
	return r, nil
}

// RGCheckpointInfo reads the retrieval version and step an RG-UNIT checkpoint
// records, without decoding its weights.
func RGCheckpointInfo(b []byte) (retrieval uint64, step int, err error) {
	var h rgHeader
	if _, err := nn.ReadHeader(b, rgMagic, &h); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	return h.Config.Retrieval, h.Step, nil
}
