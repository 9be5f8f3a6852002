package benchcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/generator"
	"rgunit/imageio"
	"rgunit/internal/cmdutil"
	"rgunit/storage"
)

type benchTranslateOptions struct {
	db            cmdutil.DB
	grid, htmlOut string
	title, codes  string
	asJSON        bool
	e             bench.Experiment
}

func newBenchTranslateCmd() *cobra.Command {
	o := &benchTranslateOptions{}
	cmd := &cobra.Command{
		Use:   "translate",
		Short: "Score GMM-UNIT, RG-UNIT and RG-UNIT with random neighbours on held-back images (the paper's Table 2)",
		Long: `Translates held-back images (one id in ten, chosen by a hash of the id; the
evaluation classifier did not train on them) to the attributes of other
held-back images, with each method on the same inputs and targets:
GMM-UNIT (the stage-1 model RG-UNIT was trained over), RG-UNIT (guided by the
k items retrieved for each image and target, never the image itself) and
RG-UNIT guided by k random items instead (the control). A database without
an RG-UNIT model (or --no-retrieval) scores GMM-UNIT alone.

Per method: target-attribute accuracy (the evaluation classifier, rgunit
train classifier) and, against RG-UNIT, the paired difference (input by
input on the same inputs and targets) with its 95% interval: the verdict
calls a difference inside it level, not a win. FD-cls (the Fréchet
distance between translations and real images in the classifier's
penultimate features; not Inception FID), next to its floor (two halves of
the real images) and to the untranslated inputs, and diversity (mean
pairwise L1 of 4 sampled codes per input).
--pairs reads facegen's paired ground truth (the same face rendered with the
target hair or age) and reports L1 and SSIM of the translations to it, next
to doing nothing. --grid writes a PNG per method (rows: inputs; columns: the
input, then each target); --html writes a self-contained report with the
table and the grids. --baseline DB adds a row for the latest GMM-UNIT
checkpoint of another database of the same items (for instance stage 1
trained on for as many steps as stage 3 took: the same compute without
retrieval).

Translations decode codes made as translate makes them (--codes encoder:
the source's E_a code for the attributes it keeps, the retrieved
neighbours' for the changed ones, the model's per-domain statistics without
neighbours); rows with the paper's codes (the targets' prior Gaussians:
prior) and with mixed codes (the source's for kept attributes, the prior for
changed ones) follow, so the modes are compared on the same inputs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *benchTranslateOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	e := &o.e
	f := cmd.Flags()
	f.IntVar(&e.N, "n", 500, "held-back images to translate (and pairs to score)")
	f.StringVar(&o.grid, "grid", "", "write a PNG grid of translations here (one file per method)")
	f.StringVar(&e.Pairs, "pairs", "", "facegen pairs folder (pairs.txt): paired ground-truth L1 and SSIM for hair and age changes")
	f.StringVar(&o.htmlOut, "html", "", "write a self-contained HTML report here")
	f.StringVar(&o.title, "title", "rgunit: retrieval-guided translation (Table 2)", "title of the HTML report")
	f.StringVar(&e.Label, "label", "", "name of the data set in the report (default: the database path)")
	f.IntVar(&e.GridRows, "rows", 8, "grid rows")
	f.IntVarP(&e.K, "k", "k", 0, "neighbours for RG-UNIT (default: the model's k)")
	f.BoolVar(&e.NoRetrieval, "no-retrieval", false, "score GMM-UNIT alone")
	f.StringArrayVar(&e.LabelDBs, "labels-db", nil, "another database of the same items whose stages 1-3 were trained with --labelled F: a row of Table 3 (repeatable)")
	f.StringArrayVar(&e.Baselines, "baseline", nil, "another database of the same items whose latest GMM-UNIT checkpoint gets a row (repeatable)")
	f.Uint64Var(&e.Seed, "seed", 1, "seed of targets, samples and random neighbours")
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the result as one JSON object")
	f.StringVar(&o.codes, "codes", "encoder", "translation codes of the main rows: encoder (as translate makes them), prior (the paper's) or mixed (the source's for kept attributes, the prior for changed ones); the other modes get rows of their own")
	f.Float64Var(&e.Reach, "reach", 0, "score every model with this reach (how far past the target domain's mean, in its standard deviations, a changed attribute's code is moved; 0: each model's own) before rgunit model export --reach records it")
	f.BoolVar(&e.RawWeights, "raw-weights", false, "with --no-retrieval, score the stage-1 checkpoint's trained weights instead of their moving average (the EMA ablation)")
}

func (o *benchTranslateOptions) run(cmd *cobra.Command) error {
	var err error
	if o.e.Codes, err = generator.ParseCodeMode(o.codes); err != nil {
		return err
	}
	if err := generator.CheckReach(o.e.Reach); err != nil {
		return fmt.Errorf("--reach %g: %w", o.e.Reach, err)
	}
	st, err := o.db.Store(true)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.grid == "" && o.htmlOut == "" {
		o.e.GridRows = 0
	}
	o.e.Open = func(path string, write bool) (*storage.Store, error) {
		return (&cmdutil.DB{Path: path}).Store(write)
	}
	res, err := o.e.Run(st)
	if err != nil {
		return err
	}
	if err := o.writeFigures(cmd, res); err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), res.Table)
	}
	return res.Table.WriteText(cmd.OutOrStdout())
}

// writeFigures writes --grid (a PNG per method) and --html.
func (o *benchTranslateOptions) writeFigures(cmd *cobra.Command, res *bench.ExperimentResult) error {
	for i, fig := range res.Figures {
		if o.grid == "" {
			break
		}
		p := o.grid
		if i > 0 {
			p = strings.TrimSuffix(o.grid, filepath.Ext(o.grid)) + "-" + methodSlug(res.Methods[i]) + filepath.Ext(o.grid)
		}
		if err := imageio.WritePNG(p, fig.Image); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", p, fig.Caption)
	}
	if o.htmlOut == "" {
		return nil
	}
	f, err := os.Create(o.htmlOut)
	if err != nil {
		return err
	}
	label := o.e.Label
	if label == "" {
		label = o.db.Path
	}
	note := fmt.Sprintf("rgunit bench translate --n %d --seed %d on %s.", o.e.N, o.e.Seed, label)
	if err := bench.WriteHTML(f, o.title, note, []*bench.Table{res.Table}, res.Figures); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "report: %s\n", o.htmlOut)
	return nil
}

func methodSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
