package rgunit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"rgunit/bench"
	"rgunit/classifier"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/guided"
	"rgunit/retrieval"
	"rgunit/split"
	"rgunit/storage"
)

// ErrResumeConflict: an option given to a training that resumes a model
// differs from the model's own (start over with Fresh, or drop the option).
var ErrResumeConflict = errors.New("rgunit: an option differs from the model being resumed")

// TrainOptions are what the training jobs share. Each job trains its model
// to Steps steps, resuming the latest checkpoint in the database unless
// Fresh is set, checkpointing every CheckpointEvery steps and when ctx is
// cancelled, and keeping the last few checkpoints.
type TrainOptions struct {
	Steps           int  // train until the model has taken this many steps
	CheckpointEvery int  // steps between checkpoints (0: 200)
	Fresh           bool // ignore existing checkpoints and start over
	// Labelled is the fraction of the labelled items a new model trains
	// on, chosen by split.InFraction (0 or 1: all); the rest count as
	// unlabelled.
	Labelled float64
	// Given reports whether the caller chose an option on purpose (a
	// command line's flag, by its name): a resumed model refuses such an
	// option when it differs from its own, with ErrResumeConflict, and
	// keeps its own otherwise. nil: none was.
	Given func(option string) bool
	// Log receives what the job decides (resuming, a new model, the data
	// it trains on), a line each. nil discards them.
	Log io.Writer
}

func (o *TrainOptions) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// labelled is the fraction to record in a new model (0: all, the spelling
// of stored configurations).
func (o *TrainOptions) labelled() (float64, error) {
	if o.Labelled == 0 {
		return 0, nil
	}
	if err := split.CheckFraction(o.Labelled); err != nil {
		return 0, fmt.Errorf("--labelled: %w", err)
	}
	if o.Labelled == split.All {
		return 0, nil
	}
	return o.Labelled, nil
}

// checkResume refuses an option given on purpose whose value differs from
// the resumed model's (same[option] false): running the same command again,
// as after a kill, resumes.
func (o *TrainOptions) checkResume(what string, step int, same map[string]bool) error {
	if o.Given == nil {
		return nil
	}
	for _, f := range slices.Sorted(maps.Keys(same)) {
		if o.Given(f) && !same[f] {
			return fmt.Errorf("%w: --%s cannot change a model being resumed (%s at step %d); pass --fresh to start over", ErrResumeConflict, f, what, step)
		}
	}
	return nil
}

// trainingData loads the labelled items for a model at size px and keeps
// its fraction of them.
func (o *TrainOptions) trainingData(st *storage.Store, s embed.Schema, size, limit int, fraction float64) (*generator.Dataset, error) {
	d, err := generator.LoadDataset(st, s, size, limit)
	if err != nil {
		return nil, err
	}
	if f := split.Fraction(fraction); f < split.All {
		all := len(d.IDs)
		if d.KeepFraction(f) == 0 {
			return nil, fmt.Errorf("%w: --labelled %v keeps none of the %d labelled items", generator.ErrNoLabelled, f, all)
		}
		o.logf("training on %d of the %d labelled items (--labelled %v)", len(d.IDs), all, f)
	}
	return d, nil
}

// ChooseSchema is the code layout of a new model: the attributes named
// (each must be labelled with both values), or by default every attribute
// labelled with both values (up to 8).
func ChooseSchema(st *storage.Store, attrs []string) (embed.Schema, error) {
	if len(attrs) == 0 {
		return generator.DefaultSchema(st, 8)
	}
	s := embed.Schema{Attrs: attrs, Dim: embed.DefaultAttrDim}
	return s, generator.CheckSchema(st, s)
}

// UnitOptions configure TrainUnit.
type UnitOptions struct {
	TrainOptions
	// Config is a new model's configuration: Arch, Schema.Dim and Free,
	// Batch and Seed (zero values: embed.DefaultArch, DefaultAttrDim,
	// batch 8, seed 1). Its Schema.Attrs, Labelled and Recipe come from
	// Attrs, TrainOptions.Labelled and Recipe.
	Config generator.Config
	Attrs  []string // attributes of a new model (nil: ChooseSchema's default)
	// Recipe is a new model's training recipe: "default" (or "") or
	// "first"; Without leaves parts of the default out (docs/recipe.md).
	Recipe  string
	Without []string
	Limit   int // train on at most this many labelled items (0: all)
	// WarmStart is a bundle (see Bundle) whose stage-1 weights start a
	// new model: every weight of E_c, E_a and G with the same name and
	// shape is copied (a 32 px model starts a 64 px one); the attributes
	// must be the bundle's. A resumed model ignores it.
	WarmStart []byte

	OnStep       func(generator.Losses)
	OnCheckpoint func(version uint64, step int) // after each checkpoint
}

// UnitResult is where a training left its model.
type UnitResult struct {
	Last generator.Losses // the last step's losses (zero when no step ran)
	Step int              // the model's step now
}

// TrainUnit trains stage 1 (GMM-UNIT) on the labelled items, resuming the
// latest "gmm-unit" checkpoint. A cancelled ctx checkpoints and returns
// context.Canceled.
func (d *DB) TrainUnit(ctx context.Context, o UnitOptions) (UnitResult, error) {
	st := d.st
	cfg := o.Config.WithDefaults()
	lab, lerr := o.labelled()
	u, ver, err := generator.LoadLatest(st)
	switch {
	case err == nil && !o.Fresh:
		c := u.Config
		arch, sch := cfg.Arch, cfg.Schema
		rc, rerr := generator.ParseRecipe(o.Recipe, o.Without, o.Steps, &arch, &sch)
		rc = generator.StageOne(rc)
		rc.Steps = c.Recipe.Steps // a resumed run keeps its schedule
		if err := o.checkResume(fmt.Sprintf("checkpoint version %d", ver), u.Step, map[string]bool{
			"size": cfg.Arch.Size == c.Arch.Size, "width": cfg.Arch.Width == c.Arch.Width, "res-blocks": cfg.Arch.ResBlocks == c.Arch.ResBlocks,
			"attrs": strings.Join(o.Attrs, ",") == strings.Join(c.Schema.Attrs, ","), "attr-dim": cfg.Schema.Dim == c.Schema.Dim,
			"free-dims": cfg.Schema.Free == c.Schema.Free, "out-kernel": cfg.Arch.OutKernel == c.Arch.OutKernel,
			"batch": cfg.Batch == c.Batch, "seed": cfg.Seed == c.Seed, "labelled": lerr == nil && lab == c.Labelled,
			"recipe":  rerr == nil && rc == c.Recipe && arch == c.Arch && sch.Free == c.Schema.Free,
			"without": rerr == nil && rc == c.Recipe && sch.Free == c.Schema.Free,
		}); err != nil {
			return UnitResult{}, err
		}
		o.logf("resuming from checkpoint version %d at step %d", ver, u.Step)
	case err == nil || errors.Is(err, storage.ErrNotFound):
		if lerr != nil {
			return UnitResult{}, lerr
		}
		s, err := ChooseSchema(st, o.Attrs)
		if err != nil {
			return UnitResult{}, err
		}
		cfg.Schema.Attrs, cfg.Labelled = s.Attrs, lab
		if cfg.Recipe, err = generator.ParseRecipe(o.Recipe, o.Without, o.Steps, &cfg.Arch, &cfg.Schema); err != nil {
			return UnitResult{}, err
		}
		cfg.Recipe = generator.StageOne(cfg.Recipe)
		if u, err = generator.NewUNIT(cfg); err != nil {
			return UnitResult{}, err
		}
		if o.WarmStart != nil {
			if err := warmStart(u, o.WarmStart, o.logf); err != nil {
				return UnitResult{}, err
			}
		}
	default:
		return UnitResult{}, err
	}
	if err := generator.CheckParts(u.Config.Batch, cfg.Parts); err != nil {
		return UnitResult{}, err
	}
	u.Config.Parts = cfg.Parts // how this run splits its steps, not the model's
	c := u.Config
	data, err := o.trainingData(st, c.Schema, c.Arch.Size, o.Limit, c.Labelled)
	if err != nil {
		return UnitResult{}, err
	}
	ec, ea, g, dp := u.Params()
	o.logf("%d labelled items (%d skipped: not labelled for every attribute); attributes %s; %d px, batch %d; parameters E_c %d, E_a %d, G %d, D %d",
		len(data.X), data.Skipped, strings.Join(c.Schema.Attrs, ","), c.Arch.Size, c.Batch, ec, ea, g, dp)
	if u.Step >= o.Steps {
		o.logf("the model has already taken %d steps (--steps %d)", u.Step, o.Steps)
		return UnitResult{Step: u.Step}, nil
	}
	topts := generator.TrainOptions{Steps: o.Steps, CheckpointEvery: o.CheckpointEvery, OnStep: o.OnStep}
	if o.OnCheckpoint != nil {
		topts.OnCheckpoint = func(v uint64) { o.OnCheckpoint(v, u.Step) }
	}
	last, err := generator.Train(ctx, st, u, data, topts)
	return UnitResult{Last: last, Step: u.Step}, err
}

// warmStart starts u from the stage-1 weights of a bundle.
func warmStart(u *generator.UNIT, bundle []byte, logf func(string, ...any)) error {
	b, err := guided.DecodeBundle(bundle)
	if err != nil {
		return err
	}
	m, err := retrieval.Unmarshal(b.Retrieval)
	if err != nil {
		return err
	}
	src := m.Stage1.Config.Schema
	if dst := u.Config.Schema; !slices.Equal(src.Attrs, dst.Attrs) || src.Dim != dst.Dim || src.Free != dst.Free {
		return badRequest("the warm start's attribute code (%s, %d dims each) is not the new model's (%s, %d): pass --attrs %s",
			strings.Join(src.Attrs, ","), src.Dim, strings.Join(dst.Attrs, ","), dst.Dim, strings.Join(src.Attrs, ","))
	}
	share := u.WarmStart(m.Stage1)
	logf("warm start: %.0f%% of E_c, E_a and G's weights from %d px stage 1 (step %d, bundle %s)", 100*share,
		m.Stage1.Config.Arch.Size, m.Stage1.Step, b.Provenance.ID())
	return nil
}

// RetrievalOptions configure TrainRetrieval.
type RetrievalOptions struct {
	TrainOptions
	// Config is a new model's configuration (Negatives, Pool, Batch,
	// Dim, Seed; see retrieval.Config); its Labelled comes from
	// TrainOptions.Labelled.
	Config retrieval.Config

	OnPool func(done, total int) // the triplet pool being made
	OnStep func(retrieval.Losses)
}

// RetrievalResult is where a retrieval training left its model.
type RetrievalResult struct {
	Last    retrieval.Losses
	Step    int
	Version uint64 // the model version the index is built with
}

// TrainRetrieval trains stage 2 (the triplet-trained embedder) over the
// latest stage-1 model, on the labelled items outside the held-back
// tenth, resuming the latest "retrieval" checkpoint (one imported from a
// bundle is not resumed: this database trains its own). Indexing the
// items with it is Sync's job.
func (d *DB) TrainRetrieval(ctx context.Context, o RetrievalOptions) (RetrievalResult, error) {
	st := d.st
	d.forget()
	defer d.forget() // queries use the new model
	cfg := o.Config
	lab, lerr := o.labelled()
	m, ver, err := retrieval.Load(st)
	if err == nil && !o.Fresh {
		imported, ierr := guided.FromBundle(st)
		if ierr != nil {
			return RetrievalResult{}, ierr
		}
		if imported {
			o.logf("the retrieval model came from a bundle: training a new one over this database's stage 1")
			o.Fresh = true
		}
	}
	switch {
	case err == nil && !o.Fresh:
		c := m.Config
		if err := o.checkResume(fmt.Sprintf("retrieval version %d", ver), m.Step, map[string]bool{
			"negatives": cfg.Negatives == c.Negatives, "pool": cfg.Pool == c.Pool, "batch": cfg.Batch == c.Batch,
			"dim": cfg.Dim == c.Dim, "seed": cfg.Seed == c.Seed, "labelled": lerr == nil && lab == c.Labelled,
		}); err != nil {
			return RetrievalResult{}, err
		}
		o.logf("resuming retrieval version %d at step %d (stage 1: gmm-unit version %d, step %d)", ver, m.Step, m.Stage1Version, m.Stage1.Step)
	case err == nil || errors.Is(err, retrieval.ErrNoModel):
		if lerr != nil {
			return RetrievalResult{}, lerr
		}
		u, uver, err := generator.LoadLatest(st)
		if errors.Is(err, storage.ErrNotFound) {
			return RetrievalResult{}, fmt.Errorf("%s has no GMM-UNIT model yet: train one with rgunit train unit", st.Path())
		}
		if err != nil {
			return RetrievalResult{}, err
		}
		cfg.Labelled = lab
		if m, err = retrieval.New(u, uver, cfg); err != nil {
			return RetrievalResult{}, err
		}
		ver = 0
		o.logf("new retrieval model over gmm-unit version %d (step %d)", uver, u.Step)
	default:
		return RetrievalResult{}, err
	}
	ds, err := o.trainingData(st, m.Schema(), m.Size(), 0, m.Config.Labelled)
	if err != nil {
		return RetrievalResult{}, err
	}
	data := &embed.Labelled{}
	for i, id := range ds.IDs {
		if !split.HeldBack(id) {
			data.X, data.Labels = append(data.X, ds.X[i]), append(data.Labels, ds.Labels[i])
		}
	}
	o.logf("%d labelled items for triplets (%d held back); negatives %s; pool %d, batch %d, embedding %d",
		len(data.X), len(ds.X)-len(data.X), m.Config.Negatives, m.Config.Pool, m.Config.Batch, m.Config.Dim)
	last, newVer, err := retrieval.Train(ctx, st, m, data, retrieval.TrainOptions{
		Steps: o.Steps, CheckpointEvery: o.CheckpointEvery, OnPool: o.OnPool, OnStep: o.OnStep,
	})
	if newVer != 0 {
		ver = newVer
	}
	return RetrievalResult{Last: last, Step: m.Step, Version: ver}, err
}

// RGOptions configure TrainRG.
type RGOptions struct {
	TrainOptions
	// Config is a new model's configuration (K, Batch, Seed; zero values:
	// rg.DefaultK, 8, 1); its Retrieval, Labelled, Recipe and Codes
	// are set here.
	Config  rg.Config
	Recipe  string // as UnitOptions.Recipe
	Without []string

	OnStep func(generator.Losses)
}

// TrainRG trains stage 3 (RG-UNIT) on the labelled items with the
// database's retrieval model and index, resuming the latest "rg-unit"
// checkpoint unless the retrieval model changed since (then it starts
// over: the old model fits the old index only).
func (d *DB) TrainRG(ctx context.Context, o RGOptions) (UnitResult, error) {
	st := d.st
	d.forget()
	defer d.forget() // translations use the new model
	cfg := o.Config.WithDefaults()
	lab, lerr := o.labelled()
	rdb, err := retrieval.Open(st)
	if err != nil {
		return UnitResult{}, err
	}
	defer rdb.Close()
	arch, sch := rdb.Model.Stage1.Config.Arch, rdb.Model.Schema()
	rc, rerr := generator.ParseRecipe(o.Recipe, o.Without, o.Steps, &arch, &sch)
	r, ver, err := guided.Load(rdb)
	switch {
	case err == nil && !o.Fresh:
		c := r.Config
		rc = generator.StageThree(rc)
		rc.Steps = c.Recipe.Steps
		if err := o.checkResume(fmt.Sprintf("rg-unit version %d", ver), r.Step, map[string]bool{
			"k": cfg.K == c.K, "batch": cfg.Batch == c.Batch, "seed": cfg.Seed == c.Seed, "labelled": lerr == nil && lab == c.Labelled,
			"recipe": rerr == nil && rc == c.Recipe, "without": rerr == nil && rc == c.Recipe,
		}); err != nil {
			return UnitResult{}, err
		}
		o.logf("resuming rg-unit version %d at step %d", ver, r.Step)
	case err == nil || errors.Is(err, guided.ErrNoModel) || errors.Is(err, guided.ErrVersion):
		if errors.Is(err, guided.ErrVersion) {
			o.logf("the latest rg-unit model was trained over another retrieval model: starting over")
		}
		if lerr != nil {
			return UnitResult{}, lerr
		}
		if rerr != nil {
			return UnitResult{}, rerr
		}
		var disc *generator.Discriminator
		if u, _, err := generator.LoadLatest(st); err == nil && u.Config.Arch == rdb.Model.Stage1.Config.Arch &&
			strings.Join(u.Config.Schema.Attrs, ",") == strings.Join(sch.Attrs, ",") {
			disc = u.D // the stage-1 discriminator, when it fits
		}
		cfg.Retrieval, cfg.Labelled, cfg.Recipe = rdb.Version, lab, generator.StageThree(rc)
		if rc != (generator.Recipe{}) {
			cfg.Codes = generator.CodeEncoder.String()
		}
		if r, err = rg.New(rdb.Model.Stage1, disc, cfg); err != nil {
			return UnitResult{}, err
		}
		how := "a new discriminator"
		if disc != nil {
			how = "the stage-1 discriminator"
		}
		o.logf("new rg-unit model over retrieval version %d (stage 1 at step %d), k %d, %s", rdb.Version, rdb.Model.Stage1.Step, cfg.K, how)
	default:
		return UnitResult{}, err
	}
	if err := generator.CheckParts(r.Config.Batch, cfg.Parts); err != nil {
		return UnitResult{}, err
	}
	r.Config.Parts = cfg.Parts // how this run splits its steps, not the model's
	data, err := o.trainingData(st, sch, rdb.Model.Size(), 0, r.Config.Labelled)
	if err != nil {
		return UnitResult{}, err
	}
	g, f, dp := r.Params()
	o.logf("%d labelled items to train on, %d items indexed for retrieval; parameters trained: G %d, fusion %d, D %d",
		len(data.X), rdb.Len(), g, f, dp)
	if r.Step >= o.Steps {
		o.logf("the model has already taken %d steps (--steps %d)", r.Step, o.Steps)
		return UnitResult{Step: r.Step}, nil
	}
	last, err := guided.Train(ctx, rdb, r, data, guided.TrainOptions{Steps: o.Steps, CheckpointEvery: o.CheckpointEvery, OnStep: o.OnStep})
	return UnitResult{Last: last, Step: r.Step}, err
}

// ClassifierOptions configure TrainClassifier; zero values take the
// defaults shown.
type ClassifierOptions struct {
	Steps  int      // training steps (1500)
	Batch  int      // batch size (32)
	Size   int      // image side, 32 or 64 (the stage-1 model's, else 32)
	Width  int      // channels of the first layer (16)
	Attrs  []string // attributes (nil: the stage-1 model's, else ChooseSchema's default)
	Seed   uint64   // (1)
	OnStep func(step int, loss float64)
}

// ClassifierResult is a trained evaluation classifier's score on the
// held-back tenth.
type ClassifierResult struct {
	Version      uint64    `json:"version"`
	TrainImages  int       `json:"train_images"`
	HeldOut      int       `json:"held_out_images"`
	Accuracy     float64   `json:"held_out_accuracy"`
	PerAttribute []float64 `json:"per_attribute"`
	Attributes   []string  `json:"attributes"`
}

// WriteText writes r as rgunit train classifier prints it.
func (r *ClassifierResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "classifier version %d: held-back accuracy %.4f on %d images (trained on %d)\n", r.Version, r.Accuracy, r.HeldOut, r.TrainImages)
	for i, a := range r.Attributes {
		if _, err := fmt.Fprintf(w, "  %-12s %.4f\n", a, r.PerAttribute[i]); err != nil {
			return err
		}
	}
	return nil
}

// TrainClassifier trains the evaluation classifier (the judge of the
// benches' target accuracy) on the real labelled items outside the
// held-back tenth, scores it on that tenth and stores it in the database.
func (d *DB) TrainClassifier(ctx context.Context, o ClassifierOptions) (*ClassifierResult, error) {
	if o.Size == 0 || len(o.Attrs) == 0 {
		// The classifier judges the database's translations: by default
		// on the stage-1 model's attributes and resolution.
		if u, err := guided.LoadStage1(d.st); err == nil {
			if o.Size == 0 {
				o.Size = u.Config.Arch.Size
			}
			if len(o.Attrs) == 0 {
				o.Attrs = u.Config.Schema.Attrs
			}
		}
	}
	for _, v := range []struct {
		p   *int
		def int
	}{{&o.Steps, 1500}, {&o.Batch, 32}, {&o.Size, 32}, {&o.Width, 16}} {
		if *v.p == 0 {
			*v.p = v.def
		}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Steps < 1 || o.Batch < 1 {
		return nil, fmt.Errorf("--steps %d, --batch %d: want at least 1 of each (an untrained classifier would score nothing)", o.Steps, o.Batch)
	}
	schema, err := ChooseSchema(d.st, o.Attrs)
	if err != nil {
		return nil, err
	}
	data, err := generator.LoadDataset(d.st, schema, o.Size, 0)
	if err != nil {
		return nil, err
	}
	train, held := bench.Split(data)
	c, err := classifier.New(classifier.Config{Size: o.Size, Width: o.Width, Attrs: schema.Attrs, Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	if err := c.Train(ctx, train, o.Steps, o.Batch, o.OnStep); err != nil {
		return nil, err
	}
	logits, _, err := c.PredictAll(held.X)
	if err != nil {
		return nil, err
	}
	acc, per := classifier.Accuracy(logits, held.Labels)
	ver, err := c.Save(d.st)
	if err != nil {
		return nil, err
	}
	return &ClassifierResult{Version: ver, TrainImages: len(train.X), HeldOut: len(held.X), Accuracy: acc,
		PerAttribute: per, Attributes: schema.Attrs}, nil
}
