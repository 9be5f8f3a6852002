package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"rgunit/classifier"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/guided"
	"rgunit/split"
	"rgunit/storage"
)

// Experiment is the paper's Table 2 (and, with LabelDBs, Table 3) on a
// database: which methods, on how many held-back inputs, with which
// references. The zero value (plus N) scores the database's own models
// with the codes translate makes.
type Experiment struct {
	N           int    // held-back images to translate (and pairs to score)
	K           int    // neighbours for RG-UNIT (0: the model's k)
	Seed        uint64 // targets, samples and random neighbours
	NoRetrieval bool   // score GMM-UNIT alone
	RawWeights  bool   // with NoRetrieval: the trained weights, not their moving average
	// Codes is the code mode of the main rows; the other modes get rows
	// of their own.
	Codes generator.CodeMode
	// Reach, when positive, replaces every scored model's reach
	// (generator.CodeStats.Reach): how a bundle's reach is chosen before
	// rgunit model export --reach records it.
	Reach float64
	Pairs string // a facegen pairs folder: paired ground-truth L1 and SSIM
	Label string // the data set's name in the table (default: the path)
	// Baselines are other databases of the same items whose latest
	// GMM-UNIT checkpoint gets a row (the compute-matched control).
	Baselines []string
	// LabelDBs are other databases of the same items whose stages 1-3
	// trained on a fraction of the labels: a row of Table 3 each.
	LabelDBs []string
	// GridRows, when positive, makes a grid of translations per method
	// with this many inputs.
	GridRows int
	// Open opens another database (read-only unless write); nil:
	// storage.Open.
	Open func(path string, write bool) (*storage.Store, error)
}

// ExperimentResult is an Experiment's table and, with GridRows, a figure
// per method (in the order of the table's rows).
type ExperimentResult struct {
	Table   *Table
	Figures []Figure
	Methods []string // the methods' names, as in Figures
}

func (e *Experiment) open(path string, write bool) (*storage.Store, error) {
	if e.Open != nil {
		return e.Open(path, write)
	}
	return storage.Open(path, &storage.Options{ReadOnly: !write})
}

// Run runs the experiment on st, which holds the evaluation classifier
// (rgunit train classifier) and the models under test.
func (e Experiment) Run(st *storage.Store) (*ExperimentResult, error) {
	cls, err := classifier.Load(st)
	if err != nil {
		return nil, fmt.Errorf("no evaluation classifier (rgunit train classifier): %w", err)
	}
	methods, tr, err := e.methods(st)
	if err != nil {
		return nil, err
	}
	if tr != nil {
		defer tr.Close()
	}
	if len(e.LabelDBs) > 0 && tr == nil {
		return nil, fmt.Errorf("--labels-db: %s has no RG-UNIT model (rgunit train rg), so Table 3 has no row for its labels", st.Path())
	}
	for _, p := range e.Baselines {
		m, closer, err := e.baseline(p, methods[0])
		if err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", p, err)
		}
		defer closer()
		methods = append(methods, m)
	}
	methods = append(methods, e.altMethods(methods[0].UNIT, tr)...)
	for _, m := range methods {
		if err := e.setReach(m.UNIT); err != nil {
			return nil, err
		}
	}
	m0 := methods[0]
	if cls.Config.Size != m0.Size {
		return nil, fmt.Errorf("classifier at %d px, model at %d px", cls.Config.Size, m0.Size)
	}
	d, err := generator.LoadDataset(st, m0.Schema, m0.Size, 0)
	if err != nil {
		return nil, err
	}
	held := SplitHeld(d)
	ps, sources, err := e.pairs(d, m0.Schema)
	if err != nil {
		return nil, err
	}
	label := e.Label
	if label == "" {
		label = st.Path()
	}
	table, err := RunTable(label, methods, cls, held, e.N, e.Seed, ps, sources)
	if err != nil {
		return nil, err
	}
	if len(e.LabelDBs) > 0 {
		score := func(m Method) (Row, error) { return ScoreRow(m, cls, held, e.N, e.Seed, ps, sources) }
		if table.Labels, err = e.labelsTable(st, tr, table, m0, held, score); err != nil {
			return nil, err
		}
	}
	res := &ExperimentResult{Table: table}
	for _, m := range methods {
		if e.GridRows <= 0 {
			break
		}
		img, cols, err := Grid(m, held, e.GridRows)
		if err != nil {
			return nil, err
		}
		res.Methods = append(res.Methods, m.Name)
		res.Figures = append(res.Figures, Figure{Caption: fmt.Sprintf("%s: one row per held-back input; columns %s", m.Name, strings.Join(cols, " | ")), Image: img})
	}
	return res, nil
}

// pairs reads --pairs: the pairs and the held-back sources they name.
func (e Experiment) pairs(d *generator.Dataset, s embed.Schema) ([]Pair, map[string]Source, error) {
	sources := map[string]Source{}
	if e.Pairs == "" {
		return nil, sources, nil
	}
	ps, err := ParsePairs(e.Pairs, s)
	if err != nil {
		return nil, nil, err
	}
	for i, id := range d.IDs {
		if split.HeldBack(id) {
			sources[d.Names[i]] = Source{X: d.X[i], ID: id, Labels: d.Labels[i]}
		}
	}
	return ps, sources, nil
}

// labelsTable is Table 3: this database's GMM-UNIT and RG-UNIT rows, then
// a row for each --labels-db, scored by score.
func (e Experiment) labelsTable(st *storage.Store, tr *guided.Translator, table *Table, m0 Method, held Held, score func(Method) (Row, error)) (*LabelsTable, error) {
	rows := []LabelsRow{{Fraction: tr.RG.Config.Labelled, Data: st.Path(), Run: runOf(tr), GMM: table.Rows[0], RG: table.Rows[1]}}
	for i, p := range e.LabelDBs {
		for _, q := range append([]string{st.Path()}, e.LabelDBs[:i]...) {
			if sameFile(p, q) {
				return nil, fmt.Errorf("--labels-db %s: the same database as %s", p, q)
			}
		}
		r, err := e.labelsRow(st, p, m0, held, score)
		if err != nil {
			return nil, fmt.Errorf("--labels-db %s: %w", p, err)
		}
		rows = append(rows, r)
	}
	return NewLabelsTable(rows)
}

// methods are what the experiment compares: GMM-UNIT, RG-UNIT and RG-UNIT
// with random neighbours when the database has an RG-UNIT model (returned,
// for the caller to close), else the latest GMM-UNIT checkpoint alone.
func (e *Experiment) methods(st *storage.Store) ([]Method, *guided.Translator, error) {
	mode := e.Codes
	if _, _, err := st.Model(rg.ModelName, 0); err == nil && !e.NoRetrieval {
		tr, err := guided.Open(st)
		if err != nil {
			return nil, nil, err
		}
		k := e.k(tr)
		base := tr.RG.Base
		return []Method{
			UNITMethod(fmt.Sprintf("GMM-UNIT (stage 1, step %d)", base.Step), base, mode),
			RGMethod(fmt.Sprintf("RG-UNIT (k %d, step %d)", k, tr.RG.Step), tr, k, nil, mode),
			RGMethod("RG-UNIT, random neighbours", tr, k, rand.New(rand.NewPCG(e.Seed, 7)), mode),
		}, tr, nil
	}
	base, err := guided.LoadStage1(st)
	if err != nil {
		return nil, nil, err
	}
	if e.RawWeights {
		if base, _, err = generator.LoadLatest(st); err != nil {
			return nil, nil, err
		}
	}
	return []Method{UNITMethod(fmt.Sprintf("GMM-UNIT (step %d)", base.Step), base, mode)}, nil, nil
}

func (e *Experiment) k(tr *guided.Translator) int {
	if e.K == 0 {
		return tr.K()
	}
	return e.K
}

// baseline is the latest GMM-UNIT checkpoint of the database at path, which
// must be a model of m0's size and attributes.
func (e *Experiment) baseline(path string, m0 Method) (Method, func(), error) {
	other, err := e.open(path, false)
	if err != nil {
		return Method{}, nil, err
	}
	u, _, err := generator.LoadLatest(other)
	if err != nil {
		other.Close()
		return Method{}, nil, err
	}
	u = u.Inference()
	if err := sameLayout(u, m0); err != nil {
		other.Close()
		return Method{}, nil, err
	}
	name := fmt.Sprintf("GMM-UNIT (step %d, %s)", u.Step, filepath.Base(path))
	return UNITMethod(name, u, e.Codes), func() { other.Close() }, nil
}

// sameLayout refuses a model of another size or other attributes than m0.
func sameLayout(u *generator.UNIT, m0 Method) error {
	if u.Config.Arch.Size != m0.Size || strings.Join(u.Config.Schema.Attrs, ",") != strings.Join(m0.Schema.Attrs, ",") {
		return fmt.Errorf("a %d px model of %v, not %d px of %v", u.Config.Arch.Size, u.Config.Schema.Attrs, m0.Size, m0.Schema.Attrs)
	}
	return nil
}

// altMethods are the rows with the other code modes: for each mode but
// the experiment's, RG-UNIT, when there is one, and GMM-UNIT.
func (e *Experiment) altMethods(u *generator.UNIT, tr *guided.Translator) []Method {
	var out []Method
	for _, m := range []generator.CodeMode{generator.CodeEncoder, generator.CodePrior, generator.CodeMixed} {
		if m == e.Codes {
			continue
		}
		if tr != nil {
			k := e.k(tr)
			out = append(out, RGMethod(fmt.Sprintf("RG-UNIT, %s codes (k %d)", m, k), tr, k, nil, m))
		}
		out = append(out, UNITMethod(fmt.Sprintf("GMM-UNIT, %s codes", m), u, m))
	}
	return out
}

// labelsRow scores GMM-UNIT and RG-UNIT of the database at path, whose
// stages 1-3 trained on a fraction of the labels, on the held-back inputs
// of st: the two databases must hold the same items under the same ids
// (the same files ingested in the same order), so that the inputs, the
// targets and the excluded source ids mean the same in both.
func (e *Experiment) labelsRow(st *storage.Store, path string, m0 Method, held Held, score func(Method) (Row, error)) (LabelsRow, error) {
	other, err := e.open(path, true) // writable: the index may need a sync
	if err != nil {
		return LabelsRow{}, err
	}
	defer other.Close()
	if _, _, err := other.Model(rg.ModelName, 0); err != nil {
		return LabelsRow{}, fmt.Errorf("no RG-UNIT model (train stages 1-3 there with --labelled): %w", err)
	}
	tr, err := guided.Open(other)
	if err != nil {
		return LabelsRow{}, err
	}
	defer tr.Close()
	u := tr.RG.Base
	if err := sameLayout(u, m0); err != nil {
		return LabelsRow{}, err
	}
	if err := e.setReach(u); err != nil {
		return LabelsRow{}, err
	}
	if a, b := split.Fraction(u.Config.Labelled), split.Fraction(tr.RG.Config.Labelled); a != b {
		return LabelsRow{}, fmt.Errorf("stage 1 trained on %g of the labels, stage 3 on %g: not one row", a, b)
	}
	for _, id := range held.IDs {
		a, err := st.Get(id)
		if err != nil {
			return LabelsRow{}, err
		}
		b, err := other.Get(id)
		if err != nil || a.Hash != b.Hash {
			return LabelsRow{}, fmt.Errorf("item %d (%s) of %s is not item %d there: ingest the same files in the same order", id, a.Path, st.Path(), id)
		}
	}
	k := e.k(tr)
	f := split.Fraction(u.Config.Labelled)
	gmm, err := score(UNITMethod(fmt.Sprintf("GMM-UNIT, %g%% labels (step %d)", f*100, u.Step), u, e.Codes))
	if err != nil {
		return LabelsRow{}, err
	}
	rg, err := score(RGMethod(fmt.Sprintf("RG-UNIT, %g%% labels (k %d, step %d)", f*100, k, tr.RG.Step), tr, k, nil, e.Codes))
	if err != nil {
		return LabelsRow{}, err
	}
	return LabelsRow{Fraction: f, Data: path, Run: runOf(tr), GMM: gmm, RG: rg}, nil
}

// runOf names the training run of a database's stage-1 and stage-3 models.
func runOf(tr *guided.Translator) Run {
	m := tr.DB.Model
	return Run{Stage1Seed: tr.RG.Base.Config.Seed, Stage1Step: tr.RG.Base.Step, Stage2Seed: m.Config.Seed, Stage2Step: m.Step,
		Stage3Seed: tr.RG.Config.Seed, Stage3Step: tr.RG.Step}
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// setReach gives u the experiment's reach, when it sets one.
func (e *Experiment) setReach(u *generator.UNIT) error {
	if e.Reach == 0 {
		return nil
	}
	if err := u.Config.Stats.SetReach(e.Reach); err != nil {
		return fmt.Errorf("the stage-1 model at step %d: %w", u.Step, err)
	}
	return nil
}
