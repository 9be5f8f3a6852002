package rg

import (
	"fmt"
	"strings"

	"rgunit/generator"
	"rgunit/generator/internal/gan"
	"rgunit/nn"
)

// ModelName is the name RG-UNIT (stage 3) checkpoints are stored under.
const ModelName = "rg-unit"

// Config is a stage-3 model's configuration, stored in its checkpoints.
type Config struct {
	K       int               `json:"k"` // neighbours fused
	Batch   int               `json:"batch"`
	Seed    uint64            `json:"seed"`
	LR      float64           `json:"lr"`
	Beta1   float64           `json:"beta1"`
	Beta2   float64           `json:"beta2"`
	Weights generator.Weights `json:"weights"` // KL is unused: E_a is frozen
	// Retrieval is the version of the retrieval model whose frozen E_c,
	// E_a and index the model was trained with: it only runs on top of
	// that version.
	Retrieval uint64 `json:"retrieval_version"`
	// Labelled: the fraction of labelled items trained on (see generator.Config).
	Labelled float64 `json:"labelled,omitempty"`
	// Recipe: the parts of the stage-1 recipe that apply to stage 3
	// (RecFromMu, EMA, Cosine, Steps, ClipNorm; E_a is frozen, so its KL
	// and code parts do not apply), and Codes, the translation codes it
	// trains with.
	Recipe generator.Recipe `json:"recipe,omitzero"`
	// Codes is how the training translations' codes are made: "encoder"
	// (TranslationCode from the retrieved neighbours' E_a means, as
	// translate makes them) or "" (the first recipe: the target's prior).
	Codes string `json:"codes,omitempty"`
	// Parts: the batch split per step, as generator.Config.Parts (not saved).
	Parts int `json:"-"`
}

// Check validates a configuration.
func (c Config) Check() error {
	if c.K < 1 || c.K > 16 {
		return fmt.Errorf("rg: %d neighbours (want 1 to 16)", c.K)
	}
	if c.Batch < 1 || c.Batch > 1024 {
		return fmt.Errorf("rg: batch %d", c.Batch)
	}
	return nil
}

// Model is the stage-3 model, RG-UNIT: the frozen encoders of a stage-1 model
// (Base: E_c, E_a, and the stage-1 G it started from), a decoder initialized
// from that G whose code MLP stays frozen (so codes keep their meaning), the
// retrieval fusion convs and a discriminator, with their optimizers.
type Model struct {
	Config Config
	Base   *generator.UNIT
	G      *generator.Decoder
	Fusion *Fusion
	D      *generator.Discriminator
	OptG   *nn.Adam // G (but its code MLP) and the fusion
	OptD   *nn.Adam
	Step   int
	// EMA holds moving averages of G and the fusion (Recipe.EMA > 0), the
	// weights Inference uses.
	EMA *Averages
}

// Averages are moving averages of a stage-3 model's G and fusion.
type Averages struct{ G, Fusion *nn.Params }

// Inference returns the model to translate with: the moving averages of G
// and the fusion when the recipe keeps them (sharing their tensors), else
// r itself.
func (r *Model) Inference() *Model {
	if r.EMA == nil {
		return r
	}
	v := *r
	v.G = &generator.Decoder{Arch: r.G.Arch, Schema: r.G.Schema, P: r.EMA.G}
	v.Fusion = &Fusion{Arch: r.Fusion.Arch, K: r.Fusion.K, P: r.EMA.Fusion}
	v.EMA = nil
	return &v
}

// paramSets are the parameter sets a checkpoint holds: G, the fusion, D,
// then the moving averages of G and the fusion (format 2).
func (r *Model) paramSets() []*nn.Params {
	ps := []*nn.Params{r.G.P, r.Fusion.P, r.D.P}
	if r.EMA != nil {
		ps = append(ps, r.EMA.G, r.EMA.Fusion)
	}
	return ps
}

// format is the checkpoint format: 2 when it carries moving averages.
func (r *Model) format() int {
	if r.EMA != nil {
		return 2
	}
	return 1
}

// DefaultConfig is what a new stage-3 model trains with unless told
// otherwise: DefaultK neighbours, batch 8, seed 1.
func DefaultConfig() Config { return Config{K: DefaultK, Batch: 8, Seed: 1} }

// WithDefaults returns c with a zero k, batch and seed taken from
// DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
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

// New returns a stage-3 model over base: G starts as a copy of base's G,
// D as a copy of d (a fresh D when d is nil), and the fusion as the
// identity on the source's content, so an untrained RG-UNIT decodes exactly
// what GMM-UNIT decodes.
func New(base *generator.UNIT, d *generator.Discriminator, c Config) (*Model, error) {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Batch == 0 {
		c.Batch = base.Config.Batch
	}
	if c.LR == 0 {
		c.LR, c.Beta1, c.Beta2 = c.Recipe.Adam()
	}
	if c.Weights == (generator.Weights{}) {
		c.Weights = generator.DefaultWeights
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	a, s := base.Config.Arch, base.Config.Schema
	f, err := NewFusion(a, c.K, c.Seed+21)
	if err != nil {
		return nil, err
	}
	r := &Model{Config: c, Base: base, G: generator.NewDecoder(a, s, c.Seed+22), Fusion: f, D: generator.NewDiscriminator(a, s, c.Seed+23),
		OptG: nn.NewAdam(c.LR, c.Beta1, c.Beta2), OptD: nn.NewAdam(c.LR, c.Beta1, c.Beta2)}
	if err := r.G.P.CopyFrom(base.G.P); err != nil {
		return nil, err
	}
	if d != nil {
		if err := r.D.P.CopyFrom(d.P); err != nil {
			return nil, fmt.Errorf("rg: the discriminator does not fit the model: %w", err)
		}
	}
	if c.Recipe.EMA > 0 {
		r.EMA = &Averages{G: r.G.P.Clone(), Fusion: r.Fusion.P.Clone()}
	}
	return r, nil
}

// isCodeMLP reports whether a decoder parameter belongs to the code MLP
// (AdaIN's scales and biases), which stage 3 keeps frozen.
func isCodeMLP(name string) bool { return strings.HasPrefix(name, "m") }

// trainableG is the part of G that stage 3 trains.
func (r *Model) trainableG() *nn.Params {
	return r.G.P.Subset(func(n string) bool { return !isCodeMLP(n) })
}

// Params returns the parameter count of the trained G part, the fusion and D.
func (r *Model) Params() (g, fusion, d int) {
	return r.trainableG().Count(), r.Fusion.P.Count(), r.D.P.Count()
}

type rgHeader struct {
	Format     int              `json:"format"`
	Step       int              `json:"step"`
	Config     Config           `json:"config"`
	Stage1     generator.Config `json:"stage1"`
	Stage1Step int              `json:"stage1_step"`
}

const rgMagic = "RGUNIT-RGUNIT\n"

// MarshalBinary encodes a checkpoint: magic, uvarint header length, JSON
// header (format, step, config, the base's config and step), the
// parameters of G, the fusion and D, and the two optimizers' states. The
// frozen encoders are not included: they belong to the retrieval model
// (version Config.Retrieval) the checkpoint is loaded over.
func (r *Model) MarshalBinary() ([]byte, error) {
	b, err := nn.AppendHeader(nil, rgMagic, rgHeader{Format: r.format(), Step: r.Step, Config: r.Config,
		Stage1: r.Base.Config, Stage1Step: r.Base.Step})
	if err != nil {
		return nil, err
	}
	return gan.AppendBody(b, r.paramSets(), r.OptG, r.OptD), nil
}

// Unmarshal decodes a checkpoint over base, the frozen stage-1 networks
// of the retrieval model it was trained with; the base's configuration
// must be the one the checkpoint records.
func Unmarshal(b []byte, base *generator.UNIT) (*Model, error) {
	var h rgHeader
	b, err := nn.ReadHeader(b, rgMagic, &h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", generator.ErrCheckpoint, err)
	}
	if base == nil {
		return nil, fmt.Errorf("%w: no stage-1 model to load RG-UNIT over", generator.ErrCheckpoint)
	}
	if fmt.Sprint(h.Stage1.Arch, h.Stage1.Schema) != fmt.Sprint(base.Config.Arch, base.Config.Schema) {
		return nil, fmt.Errorf("%w: RG-UNIT was trained over a %v %v model, the retrieval model is %v %v", generator.ErrCheckpoint,
			h.Stage1.Arch, h.Stage1.Schema.Attrs, base.Config.Arch, base.Config.Schema.Attrs)
	}
	r, err := New(base, nil, h.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", generator.ErrCheckpoint, err)
	}
	if h.Format != r.format() {
		return nil, fmt.Errorf("%w: format %d (a model of this configuration is format %d)", generator.ErrCheckpoint, h.Format, r.format())
	}
	r.Step = h.Step
	if r.OptG, r.OptD, err = gan.ReadBody(b, r.paramSets()); err != nil {
		return nil, fmt.Errorf("%w: %v", generator.ErrCheckpoint, err)
	}
	return r, nil
}

// CheckpointInfo reads the retrieval version and step an RG-UNIT checkpoint
// records, without decoding its weights.
func CheckpointInfo(b []byte) (retrieval uint64, step int, err error) {
	var h rgHeader
	if _, err := nn.ReadHeader(b, rgMagic, &h); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", generator.ErrCheckpoint, err)
	}
	return h.Config.Retrieval, h.Step, nil
}
