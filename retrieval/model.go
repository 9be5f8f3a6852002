package retrieval

import (
	"errors"
	"fmt"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/nn"
	"rgunit/storage"
)

// ModelName is the name retrieval checkpoints are stored under.
const ModelName = "retrieval"

// Config is a retrieval model's training configuration.
type Config struct {
	Dim       int     `json:"dim"`       // embedding length (default 100)
	Negatives string  `json:"negatives"` // "all" or a comma list of kinds
	Pool      int     `json:"pool"`      // triplets made with stage 1 before training (default 2048)
	Batch     int     `json:"batch"`     // triplets per step (default 32)
	Seed      uint64  `json:"seed"`
	LR        float64 `json:"lr"` // Adam (betas 0.9, 0.999); default 5e-4
	// Labelled: the fraction of labelled items triplets are made from
	// (see generator.Config).
	Labelled float64 `json:"labelled,omitempty"`
}

// DefaultConfig is what a new retrieval model trains with unless told
// otherwise: embed.DefaultEmbedDim dimensions, every kind of negative, a
// pool of 2048 triplets, batch 32, lr 5e-4, seed 1.
func DefaultConfig() Config {
	return Config{Dim: embed.DefaultEmbedDim, Negatives: "all", Pool: 2048, Batch: 32, LR: 5e-4, Seed: 1}
}

// defaults fills in the zero fields but the seed from DefaultConfig.
func (c *Config) defaults() {
	d := DefaultConfig()
	if c.Dim == 0 {
		c.Dim = d.Dim
	}
	if c.Negatives == "" {
		c.Negatives = d.Negatives
	}
	if c.Pool == 0 {
		c.Pool = d.Pool
	}
	if c.Batch == 0 {
		c.Batch = d.Batch
	}
	if c.LR == 0 {
		c.LR = d.LR
	}
}

// Check validates a configuration.
func (c Config) Check() error {
	if _, err := embed.ParseNegatives(c.Negatives); err != nil {
		return err
	}
	if c.Pool < 1 || c.Pool > 1<<20 || c.Batch < 1 || c.Batch > 4096 {
		return fmt.Errorf("retrieval: pool %d, batch %d", c.Pool, c.Batch)
	}
	return nil
}

// Model is a retrieval checkpoint: the embedder and its optimizer, with the
// frozen stage-1 networks (E_c, E_a, G) it was trained on, so the index it
// defines never depends on a stage-1 checkpoint that may be pruned.
type Model struct {
	Config Config
	// Stage1 holds the frozen E_c, E_a and G (its D and optimizers are not
	// saved with the model).
	Stage1        *generator.UNIT
	Stage1Version uint64
	Emb           *embed.Embedder
	Opt           *nn.Adam
	Step          int
}

// New returns an untrained embedder over the stage-1 model u (version ver
// of generator.ModelName): over its inference weights (the moving averages,
// when its recipe keeps them), which the retrieval model freezes.
func New(u *generator.UNIT, ver uint64, c Config) (*Model, error) {
	u = u.Inference()
	c.defaults()
	if err := c.Check(); err != nil {
		return nil, err
	}
	e, err := embed.NewEmbedder(u.Config.Arch, u.Config.Schema, c.Dim, c.Seed+11)
	if err != nil {
		return nil, err
	}
	return &Model{Config: c, Stage1: u, Stage1Version: ver, Emb: e, Opt: nn.NewAdam(c.LR, 0.9, 0.999)}, nil
}

// Schema is the model's attribute schema.
func (m *Model) Schema() embed.Schema { return m.Stage1.Config.Schema }

// Size is the model's image side.
func (m *Model) Size() int { return m.Stage1.Config.Arch.Size }

type header struct {
	Format        int              `json:"format"`
	Step          int              `json:"step"`
	Config        Config           `json:"config"`
	Stage1        generator.Config `json:"stage1"`
	Stage1Version uint64           `json:"stage1_version"`
	Stage1Step    int              `json:"stage1_step"`
}

const magic = "RGUNIT-RETRIEVAL\n"

// MarshalBinary encodes a checkpoint: magic, uvarint header length, JSON
// header (format, step, config, the stage-1 config, version and step), the
// parameters of E_c, E_a, G and the embedder, then the optimizer's state.
func (m *Model) MarshalBinary() ([]byte, error) {
	b, err := nn.AppendHeader(nil, magic, header{Format: 1, Step: m.Step, Config: m.Config, Stage1: m.Stage1.Config,
		Stage1Version: m.Stage1Version, Stage1Step: m.Stage1.Step})
	if err != nil {
		return nil, err
	}
	for _, p := range []*nn.Params{m.Stage1.Ec.P, m.Stage1.Ea.P, m.Stage1.G.P, m.Emb.P} {
		b = nn.AppendParams(b, p)
	}
	return nn.AppendAdam(b, m.Opt), nil
}

// Unmarshal decodes a checkpoint.
func Unmarshal(b []byte) (*Model, error) {
	var h header
	b, err := nn.ReadHeader(b, magic, &h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if h.Format != 1 {
		return nil, fmt.Errorf("%w: format %d", ErrCheckpoint, h.Format)
	}
	u, err := generator.NewUNIT(h.Stage1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	u.Step = h.Stage1Step
	u.EMA = nil // the frozen copy holds the inference weights only
	m, err := New(u, h.Stage1Version, h.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	m.Step = h.Step
	for _, p := range []*nn.Params{u.Ec.P, u.Ea.P, u.G.P, m.Emb.P} {
		if b, err = nn.ReadParams(b, p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
	}
	if m.Opt, b, err = nn.ReadAdam(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCheckpoint, len(b))
	}
	return m, nil
}

// Load returns the latest retrieval model in st (ErrNoModel when there is
// none).
func Load(st *storage.Store) (*Model, uint64, error) {
	blob, ver, err := st.Model(ModelName, 0)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w %s: run rgunit train retrieval", ErrNoModel, st.Path())
	}
	if err != nil {
		return nil, 0, err
	}
	m, err := Unmarshal(blob)
	if err != nil {
		return nil, 0, fmt.Errorf("%s version %d: %w", ModelName, ver, err)
	}
	return m, ver, nil
}

// Checkpoint stores m as a new version and prunes all but keep versions.
func Checkpoint(st *storage.Store, m *Model, keep int) (uint64, error) {
	blob, err := m.MarshalBinary()
	if err != nil {
		return 0, err
	}
	ver, err := st.PutModelKeep(ModelName, blob, max(keep, 1))
	if err != nil {
		return ver, fmt.Errorf("retrieval: checkpoint: %w", err)
	}
	return ver, nil
}
