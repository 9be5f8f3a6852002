package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/classifier"
	"rgunit/generator"
	"rgunit/guided"
	"rgunit/split"
	"rgunit/storage"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure rgunit on real data (tables with same-run baselines)",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchANNCmd(), newBenchTranslateCmd(), newBenchRetrievalCmd(), newBenchTrainCmd())
	return cmd
}

// defaultBenchData returns the shared data sets beside the repository when
// present, else the shipped testdata.
func defaultBenchData() []string {
	var dirs []string
	for _, d := range []string{"../shared/data/faces12k_64", "../shared/data/celeba10k/images"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		dirs = []string{"testdata/faces"}
	}
	return dirs
}

func newBenchIngestCmd() *cobra.Command {
	var (
		opts   bench.IngestOptions
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "ingest [DIR...]",
		Short: "Ingest throughput vs raw decode+resize of the same files, and bytes per image",
		Long: `For each folder: raw read+decode+normalize throughput on all cores, then a
full ingest of the same files into a scratch database (labels from
list_attr.txt in the folder or its parent when present), then a re-ingest
(all duplicates). Default folders: ../shared/data/faces12k_64 and
../shared/data/celeba10k/images when present, else testdata/faces.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = defaultBenchData()
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "dataset\tfiles\tworkers\traw img/s\tingest img/s\tingest/raw\tre-ingest img/s\tdb B/img\tpng B/img\t")
			}
			for _, dir := range args {
				r, err := bench.Ingest(cmd.Context(), dir, opts)
				if err != nil {
					return err
				}
				if asJSON {
					if err := writeJSONLine(out, r); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%.2f\t%.0f\t%.0f\t%.0f\t\n", filepath.Base(filepath.Dir(dir))+"/"+r.Dataset,
					r.Files, r.Workers, r.RawPerSec, r.IngestPerSec, r.Ratio, r.ReingestPerSec, r.BytesPerImage, r.PNGBytesPerImg)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Limit, "limit", 0, "at most this many files per folder (0: all)")
	f.IntVar(&opts.ImageSize, "size", 64, "normalized image size")
	f.IntVar(&opts.Workers, "workers", 0, "goroutines (default: all cores)")
	f.BoolVar(&asJSON, "json", false, "one JSON object per folder")
	return cmd
}

func newBenchANNCmd() *cobra.Command {
	var (
		opts            bench.ANNOptions
		sets, engines   []string
		base, query, gt string
		limit           int
		asJSON          bool
		remotes         []string
	)
	cmd := &cobra.Command{
		Use:   "ann",
		Short: "Recall@10, QPS, build and reopen times of the HNSW index vs coder/hnsw and the exact scan",
		Long: `Generates the data sets in the same run (clustered: 1,000 centres with
coordinates ~ N(0,1), points = centre + N(0, 0.1^2); gaussian: N(0,1)), or reads
a public benchmark set with --base/--query (.fvecs) and --gt (.ivecs), computes
exact top-10 ground truth by brute force when none is given, and prints per
engine and ef: recall@10, single-thread QPS and its ratio to the exact scan
measured in the same run, build seconds on one thread and on all cores (the
all-cores build goes into a stored index, commits included), the seconds to
reopen that index and whether its results are identical, and bytes per vector
next to the budget (raw vector + 10 bytes per neighbour slot).
--index weaviate://... adds a Weaviate cluster to the table on the same data:
its gRPC batch insert rate (insert/s; the embedded index's is the all-cores
build's), then recall@10 and QPS at each ef, every query followed by the
shard check rgunit makes before answering.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "dataset\tengine\tef\trecall@10\tQPS (1 thread)\tx exact\tinsert/s\tbuild s (1 thread)\tbuild s (all cores)\trecall (all-cores build)\treopen s\tidentical\tbytes/vector\tbudget\t")
			}
			var data []*bench.ANNData
			if base != "" || query != "" {
				if base == "" || query == "" {
					return fmt.Errorf("--base and --query go together")
				}
				d, err := bench.LoadVecs(base, query, gt, limit)
				if err != nil {
					return err
				}
				data = append(data, d)
			} else {
				for _, kind := range sets {
					d, err := bench.Synthetic(kind, opts)
					if err != nil {
						return err
					}
					data = append(data, d)
				}
			}
			dir, err := os.MkdirTemp("", "rgunit-bench-ann-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			for _, d := range data {
				say := func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) }
				rows, err := bench.ANN(cmd.Context(), d, opts, engines, dir, say)
				if err != nil {
					return err
				}
				for _, u := range remotes {
					rr, err := bench.ANNRemote(cmd.Context(), d, u, opts.Efs, func(f string, a ...any) { say(fmt.Sprintf(f, a...)) })
					if err != nil {
						return fmt.Errorf("--index %s: %w", u, err)
					}
					for i := range rr {
						rr[i].OverExact = rr[i].QPS / rows[0].QPS
					}
					rows = append(rows, rr...)
				}
				for _, r := range rows {
					if asJSON {
						if err := writeJSONLine(out, r); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Dataset, r.Engine, r.Ef, r.Recall, r.QPS, r.OverExact, opt(r.InsertPerSec, "%.0f"),
						opt(r.BuildSeconds, "%.1f"), opt(r.BuildSecondsAll, "%.1f"), opt(r.RecallAllCores, "%.4f"), opt(r.ReopenSeconds, "%.3f"),
						map[bool]string{true: "yes", false: "-"}[r.Identical], opt(r.BytesPerVec, "%.0f"), opt(r.BudgetPerVec, "%.0f"))
				}
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&sets, "data", []string{"clustered", "gaussian"}, "data sets to generate: clustered, gaussian")
	f.StringSliceVar(&engines, "engines", bench.Engines, "engines besides the exact scan: rgunit, coder-hnsw")
	f.StringArrayVar(&remotes, "index", nil, "also measure a Weaviate cluster: weaviate://HOST:PORT[/Prefix]?grpc=PORT (repeatable; the class RgunitBenchV1 is dropped before and after)")
	f.StringVar(&base, "base", "", "base vectors (.fvecs) instead of generated data")
	f.StringVar(&query, "query", "", "query vectors (.fvecs), with --base")
	f.StringVar(&gt, "gt", "", "ground truth (.ivecs, 0-based positions); computed when absent")
	f.IntVar(&limit, "limit", 0, "read at most this many base vectors (ground truth is then recomputed)")
	f.IntVar(&opts.N, "n", 100_000, "base vectors")
	f.IntVar(&opts.Dim, "dim", 128, "dimension")
	f.IntVar(&opts.Queries, "queries", 1000, "queries")
	f.IntVar(&opts.M, "m", 16, "HNSW M")
	f.IntVar(&opts.EfConstruction, "ef-construction", 200, "HNSW efConstruction")
	f.IntSliceVar(&opts.Efs, "ef", []int{10, 20, 40, 80, 160}, "search ef values")
	f.BoolVar(&asJSON, "json", false, "one JSON object per row")
	return cmd
}

// opt formats a figure an engine may not have ("-" when zero).
func opt(x float64, format string) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf(format, x)
}

func newBenchTranslateCmd() *cobra.Command {
	var (
		db           dbFlag
		n, rows, k   int
		grid, pairs  string
		htmlOut      string
		asJSON       bool
		seed         uint64
		noRetrieval  bool
		title, label string
		baselines    []string
		labelDBs     []string
		codes        string
		raw          bool
	)
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
train classifier), FD-cls (the Fréchet distance between translations and
real images in the classifier's penultimate features; not Inception FID),
next to its floor (two halves of the real images) and to the untranslated
inputs, and diversity (mean pairwise L1 of 4 sampled codes per input).
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := generator.ParseCodeMode(codes)
			if err != nil {
				return err
			}
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			cls, err := classifier.Load(st)
			if err != nil {
				return fmt.Errorf("no evaluation classifier (rgunit train classifier): %w", err)
			}
			methods, tr, err := benchMethods(st, noRetrieval, raw, k, seed, mode)
			if err != nil {
				return err
			}
			if tr != nil {
				defer tr.Close()
			}
			if len(labelDBs) > 0 && tr == nil {
				return fmt.Errorf("--labels-db: %s has no RG-UNIT model (rgunit train rg), so Table 3 has no row for its labels", st.Path())
			}
			for _, p := range baselines {
				other, err := (&dbFlag{path: p}).open(false, false, 0)
				if err != nil {
					return fmt.Errorf("--baseline: %w", err)
				}
				defer other.Close()
				u, _, err := generator.LoadLatest(other)
				if err != nil {
					return fmt.Errorf("--baseline %s: %w", p, err)
				}
				u = u.Inference()
				if u.Config.Arch.Size != methods[0].Size || strings.Join(u.Config.Schema.Attrs, ",") != strings.Join(methods[0].Schema.Attrs, ",") {
					return fmt.Errorf("--baseline %s: a %d px model of %v, not %d px of %v", p, u.Config.Arch.Size, u.Config.Schema.Attrs, methods[0].Size, methods[0].Schema.Attrs)
				}
				methods = append(methods, bench.UNITMethod(fmt.Sprintf("GMM-UNIT (step %d, %s)", u.Step, filepath.Base(p)), u, mode))
			}
			methods = append(methods, altMethods(methods, tr, k, mode)...)
			m0 := methods[0]
			if cls.Config.Size != m0.Size {
				return fmt.Errorf("classifier at %d px, model at %d px", cls.Config.Size, m0.Size)
			}
			d, err := generator.LoadDataset(st, m0.Schema, m0.Size, 0)
			if err != nil {
				return err
			}
			held := bench.SplitHeld(d)
			var ps []bench.Pair
			sources := map[string]bench.Source{}
			if pairs != "" {
				if ps, err = bench.ParsePairs(pairs, m0.Schema); err != nil {
					return err
				}
				for i, id := range d.IDs {
					if split.HeldBack(id) {
						sources[d.Names[i]] = bench.Source{X: d.X[i], ID: id, Labels: d.Labels[i]}
					}
				}
			}
			if label == "" {
				label = st.Path()
			}
			table, err := bench.RunTable(label, methods, cls, held, n, seed, ps, sources)
			if err != nil {
				return err
			}
			if len(labelDBs) > 0 {
				rows := []bench.LabelsRow{{Fraction: tr.RG.Config.Labelled, Data: st.Path(), Run: runOf(tr), GMM: table.Rows[0], RG: table.Rows[1]}}
				for i, p := range labelDBs {
					for _, q := range append([]string{st.Path()}, labelDBs[:i]...) {
						if sameFile(p, q) {
							return fmt.Errorf("--labels-db %s: the same database as %s", p, q)
						}
					}
					r, err := labelsRow(st, p, methods[0], held, k, mode, func(m bench.Method) (bench.Row, error) {
						return bench.ScoreRow(m, cls, held, n, seed, ps, sources)
					})
					if err != nil {
						return fmt.Errorf("--labels-db %s: %w", p, err)
					}
					rows = append(rows, r)
				}
				if table.Labels, err = bench.NewLabelsTable(rows); err != nil {
					return err
				}
			}
			var figs []bench.Figure
			if grid != "" || htmlOut != "" {
				for i, m := range methods {
					img, cols, err := bench.Grid(m, held, rows)
					if err != nil {
						return err
					}
					figs = append(figs, bench.Figure{Caption: fmt.Sprintf("%s: one row per held-back input; columns %s", m.Name, strings.Join(cols, " | ")), Image: img})
					if grid != "" {
						p := grid
						if i > 0 {
							p = strings.TrimSuffix(grid, filepath.Ext(grid)) + "-" + methodSlug(m.Name) + filepath.Ext(grid)
						}
						if err := writePNG(p, img); err != nil {
							return err
						}
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s, columns %s\n", p, m.Name, strings.Join(cols, " | "))
					}
				}
			}
			if htmlOut != "" {
				f, err := os.Create(htmlOut)
				if err != nil {
					return err
				}
				note := fmt.Sprintf("rgunit bench translate --n %d --seed %d on %s.", n, seed, label)
				if err := bench.WriteHTML(f, title, note, []*bench.Table{table}, figs); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "report: %s\n", htmlOut)
			}
			if asJSON {
				return writeJSONLine(cmd.OutOrStdout(), table)
			}
			printTable(cmd.OutOrStdout(), table)
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.IntVar(&n, "n", 500, "held-back images to translate (and pairs to score)")
	f.StringVar(&grid, "grid", "", "write a PNG grid of translations here (one file per method)")
	f.StringVar(&pairs, "pairs", "", "facegen pairs folder (pairs.txt): paired ground-truth L1 and SSIM for hair and age changes")
	f.StringVar(&htmlOut, "html", "", "write a self-contained HTML report here")
	f.StringVar(&title, "title", "rgunit: retrieval-guided translation (Table 2)", "title of the HTML report")
	f.StringVar(&label, "label", "", "name of the data set in the report (default: the database path)")
	f.IntVar(&rows, "rows", 8, "grid rows")
	f.IntVarP(&k, "k", "k", 0, "neighbours for RG-UNIT (default: the model's k)")
	f.BoolVar(&noRetrieval, "no-retrieval", false, "score GMM-UNIT alone")
	f.StringArrayVar(&labelDBs, "labels-db", nil, "another database of the same items whose stages 1-3 were trained with --labelled F: a row of Table 3 (repeatable)")
	f.StringArrayVar(&baselines, "baseline", nil, "another database of the same items whose latest GMM-UNIT checkpoint gets a row (repeatable)")
	f.Uint64Var(&seed, "seed", 1, "seed of targets, samples and random neighbours")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	f.StringVar(&codes, "codes", "encoder", "translation codes of the main rows: encoder (as translate makes them), prior (the paper's) or mixed (the source's for kept attributes, the prior for changed ones); the other modes get rows of their own")
	f.BoolVar(&raw, "raw-weights", false, "with --no-retrieval, score the stage-1 checkpoint's trained weights instead of their moving average (the EMA ablation)")
	return cmd
}

// benchMethods is what bench translate compares: GMM-UNIT, RG-UNIT and
// RG-UNIT with random neighbours when the database has an RG-UNIT model
// (returned, for the caller to close), else the latest GMM-UNIT checkpoint
// alone; all with codes made in mode.
func benchMethods(st *storage.Store, noRetrieval, raw bool, k int, seed uint64, mode generator.CodeMode) ([]bench.Method, *guided.Translator, error) {
	var ms []bench.Method
	var tr *guided.Translator
	var base *generator.UNIT
	if _, _, err := st.Model(generator.RGModelName, 0); err == nil && !noRetrieval {
		if tr, err = guided.Open(st); err != nil {
			return nil, nil, err
		}
		if k == 0 {
			k = tr.K()
		}
		base = tr.RG.Base
		ms = []bench.Method{
			bench.UNITMethod(fmt.Sprintf("GMM-UNIT (stage 1, step %d)", base.Step), base, mode),
			bench.RGMethod(fmt.Sprintf("RG-UNIT (k %d, step %d)", k, tr.RG.Step), tr, k, nil, mode),
			bench.RGMethod("RG-UNIT, random neighbours", tr, k, rand.New(rand.NewPCG(seed, 7)), mode),
		}
	} else {
		if base, err = loadStage1(st); err != nil {
			return nil, nil, err
		}
		if raw {
			if base, _, err = generator.LoadLatest(st); err != nil {
				return nil, nil, err
			}
		}
		ms = []bench.Method{bench.UNITMethod(fmt.Sprintf("GMM-UNIT (step %d)", base.Step), base, mode)}
	}
	return ms, tr, nil
}

// altMethods are the rows with the other code modes (after the rows of
// benchMethods and the baselines): for each mode but mode, RG-UNIT, when
// there is one, and GMM-UNIT.
func altMethods(ms []bench.Method, tr *guided.Translator, k int, mode generator.CodeMode) []bench.Method {
	var out []bench.Method
	u := ms[0].UNIT
	for _, m := range []generator.CodeMode{generator.CodePrior, generator.CodeMixed} {
		if m == mode {
			continue
		}
		if tr != nil {
			if k == 0 {
				k = tr.K()
			}
			out = append(out, bench.RGMethod(fmt.Sprintf("RG-UNIT, %s codes (k %d)", m, k), tr, k, nil, m))
		}
		out = append(out, bench.UNITMethod(fmt.Sprintf("GMM-UNIT, %s codes", m), u, m))
	}
	return out
}

// labelsRow scores GMM-UNIT and RG-UNIT of the database at path, whose
// stages 1-3 trained on a fraction of the labels, on the held-back inputs
// of st: the two databases must hold the same items under the same ids
// (the same files ingested in the same order), so that the inputs, the
// targets and the excluded source ids mean the same in both.
func labelsRow(st *storage.Store, path string, m0 bench.Method, held bench.Held, k int, mode generator.CodeMode,
	score func(bench.Method) (bench.Row, error)) (bench.LabelsRow, error) {
	other, err := (&dbFlag{path: path}).open(true, false, 0) // writable: the index may need a sync
	if err != nil {
		return bench.LabelsRow{}, err
	}
	defer other.Close()
	if _, _, err := other.Model(generator.RGModelName, 0); err != nil {
		return bench.LabelsRow{}, fmt.Errorf("no RG-UNIT model (train stages 1-3 there with --labelled): %w", err)
	}
	tr, err := guided.Open(other)
	if err != nil {
		return bench.LabelsRow{}, err
	}
	defer tr.Close()
	u := tr.RG.Base
	if u.Config.Arch.Size != m0.Size || strings.Join(u.Config.Schema.Attrs, ",") != strings.Join(m0.Schema.Attrs, ",") {
		return bench.LabelsRow{}, fmt.Errorf("a %d px model of %v, not %d px of %v", u.Config.Arch.Size, u.Config.Schema.Attrs, m0.Size, m0.Schema.Attrs)
	}
	if a, b := split.Fraction(u.Config.Labelled), split.Fraction(tr.RG.Config.Labelled); a != b {
		return bench.LabelsRow{}, fmt.Errorf("stage 1 trained on %g of the labels, stage 3 on %g: not one row", a, b)
	}
	for _, id := range held.IDs {
		a, err := st.Get(id)
		if err != nil {
			return bench.LabelsRow{}, err
		}
		b, err := other.Get(id)
		if err != nil || a.Hash != b.Hash {
			return bench.LabelsRow{}, fmt.Errorf("item %d (%s) of %s is not item %d there: ingest the same files in the same order", id, a.Path, st.Path(), id)
		}
	}
	if k == 0 {
		k = tr.K()
	}
	f := split.Fraction(u.Config.Labelled)
	gmm, err := score(bench.UNITMethod(fmt.Sprintf("GMM-UNIT, %g%% labels (step %d)", f*100, u.Step), u, mode))
	if err != nil {
		return bench.LabelsRow{}, err
	}
	rg, err := score(bench.RGMethod(fmt.Sprintf("RG-UNIT, %g%% labels (k %d, step %d)", f*100, k, tr.RG.Step), tr, k, nil, mode))
	if err != nil {
		return bench.LabelsRow{}, err
	}
	return bench.LabelsRow{Fraction: f, Data: path, Run: runOf(tr), GMM: gmm, RG: rg}, nil
}

// runOf names the training run of a database's stage-1 and stage-3 models.
func runOf(tr *guided.Translator) bench.Run {
	m := tr.DB.Model
	return bench.Run{Stage1Seed: tr.RG.Base.Config.Seed, Stage1Step: tr.RG.Base.Step, Stage2Seed: m.Config.Seed, Stage2Step: m.Step,
		Stage3Seed: tr.RG.Config.Seed, Stage3Step: tr.RG.Step}
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
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

func printTable(out io.Writer, t *bench.Table) {
	fmt.Fprintf(out, "%s: %d held-back inputs; classifier accuracy on real images %.4f; FD-cls floor (real vs real) %.3f, untranslated inputs %.3f\n",
		t.Data, t.Images, t.ClassifierAcc, t.FDFloor, t.FDInputs)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "method\ttarget acc\tper attribute\tFD-cls\tdiversity\tspeckle\tL1 hair\tL1 age\tSSIM hair\tSSIM age")
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%s\t%.3f\t%.4f\t%.2f", r.Method, r.TargetAcc, fmtFloats(r.TargetAccAttrs), r.FDcls, r.Diversity, r.Speckle)
		if p := r.Paired; p != nil {
			fmt.Fprintf(tw, "\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1, p.AgeL1, p.HairSSIM, p.AgeSSIM)
		} else {
			fmt.Fprintf(tw, "\t-\t-\t-\t-\n")
		}
	}
	if p := t.Rows[0].Paired; p != nil {
		fmt.Fprintf(tw, "no change (source itself)\t\t\t\t\t1.00\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1Ident, p.AgeL1Ident, p.HairSSIMIdent, p.AgeSSIMIdent)
	}
	tw.Flush()
	if p := t.Rows[0].Paired; p != nil {
		fmt.Fprintf(out, "paired ground truth: %d pairs per method\n", p.Pairs)
	}
	fmt.Fprintln(out, "speckle: the chroma high-frequency energy of the translations over their inputs' (1: as clean as the inputs)")
	if t.Verdict != "" {
		fmt.Fprintf(out, "verdict: %s\n", t.Verdict)
	}
	if t.Labels != nil {
		printLabels(out, t.Labels)
	}
}

func printLabels(out io.Writer, t *bench.LabelsTable) {
	fmt.Fprintln(out, "\nTable 3: stages 1-3 trained on a fraction of the labels, every item in the retrieval set")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "labels\tmethod\ttarget acc\tFD-cls\tFD-cls change\tdiversity\tL1 hair\tL1 age\tSSIM hair\tSSIM age\tdatabase\ttraining run")
	for _, r := range t.Rows {
		for i, row := range []bench.Row{r.GMM, r.RG} {
			change := ""
			if i == 1 {
				change = fmt.Sprintf("%+.1f%%", r.FDGain()*100)
			}
			fmt.Fprintf(tw, "%g%%\t%s\t%.4f\t%.3f\t%s\t%.4f", r.Fraction*100, row.Method, row.TargetAcc, row.FDcls, change, row.Diversity)
			if p := row.Paired; p != nil {
				fmt.Fprintf(tw, "\t%.4f\t%.4f\t%.4f\t%.4f", p.HairL1, p.AgeL1, p.HairSSIM, p.AgeSSIM)
			} else {
				fmt.Fprintf(tw, "\t-\t-\t-\t-")
			}
			fmt.Fprintf(tw, "\t%s\t%s\n", r.Data, r.Run)
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "verdict (Table 3): %s\n", t.Verdict)
}

func fmtFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}
