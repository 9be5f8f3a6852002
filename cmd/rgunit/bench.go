package main

import (
	"fmt"
	"os"
	"path/filepath"
	"rgunit/classifier"
	"rgunit/generator"
	"rgunit/imageio"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit/bench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure rgunit on real data (tables with same-run baselines)",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchANNCmd(), newBenchTranslateCmd(), newBenchRetrievalCmd())
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
next to the budget (raw vector + 10 bytes per neighbour slot).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "dataset\tengine\tef\trecall@10\tQPS (1 thread)\tx exact\tbuild s (1 thread)\tbuild s (all cores)\trecall (all-cores build)\treopen s\tidentical\tbytes/vector\tbudget\t")
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
				rows, err := bench.ANN(cmd.Context(), d, opts, engines, dir, func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) })
				if err != nil {
					return err
				}
				for _, r := range rows {
					if asJSON {
						if err := writeJSONLine(out, r); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Dataset, r.Engine, r.Ef, r.Recall, r.QPS, r.OverExact,
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
		db     dbFlag
		n      int
		grid   string
		pairs  string
		rows   int
		asJSON bool
		seed   uint64
	)
	cmd := &cobra.Command{
		Use:   "translate",
		Short: "Score the GMM-UNIT model with the evaluation classifier on held-back images",
		Long: `Translates held-back images (one id in ten, chosen by a hash of the id; the
evaluation classifier did not train on them) to the attributes of other held-back images and prints:
the classifier's accuracy on the real images; target-attribute accuracy of the
translations; FD-cls, the Fréchet distance between translations and real
images in the classifier's penultimate features (not Inception FID), next to
its floor (two halves of the real images) and to the untranslated inputs;
and diversity (mean pairwise L1 of 4 sampled codes per input). --pairs reads
facegen's paired ground truth (the same face rendered with the target hair or
age) and reports the L1 of translations to it, next to doing nothing. --grid writes a
PNG: one row per input, columns input then each target.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			u, _, err := generator.LoadLatest(st)
			if err != nil {
				return fmt.Errorf("no GMM-UNIT model (rgunit train unit): %w", err)
			}
			cls, err := classifier.Load(st)
			if err != nil {
				return fmt.Errorf("no evaluation classifier (rgunit train classifier): %w", err)
			}
			if cls.Config.Size != u.Config.Arch.Size {
				return fmt.Errorf("classifier at %d px, model at %d px", cls.Config.Size, u.Config.Arch.Size)
			}
			d, err := generator.LoadDataset(st, u.Config.Schema, u.Config.Arch.Size, 0)
			if err != nil {
				return err
			}
			_, held := bench.Split(d)
			r, err := bench.Translate(u, cls, held, n, seed)
			if err != nil {
				return err
			}
			var paired *bench.PairedResult
			if pairs != "" {
				ps, err := bench.ParsePairs(pairs, u.Config.Schema)
				if err != nil {
					return err
				}
				sources := map[string][]float32{}
				for i, id := range d.IDs {
					if bench.HeldOut(id) {
						sources[d.Names[i]] = d.X[i]
					}
				}
				if paired, err = bench.Paired(u, ps, sources, n); err != nil {
					return err
				}
			}
			if grid != "" {
				img, cols, err := bench.Grid(u, held, rows)
				if err != nil {
					return err
				}
				png, err := imageio.EncodePNG(img)
				if err != nil {
					return err
				}
				if err := os.WriteFile(grid, png, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: columns %s\n", grid, strings.Join(cols, " | "))
			}
			if asJSON {
				if err := writeJSONLine(cmd.OutOrStdout(), r); err != nil {
					return err
				}
				if paired != nil {
					return writeJSONLine(cmd.OutOrStdout(), paired)
				}
				return nil
			}
			out := cmd.OutOrStdout()
			if paired != nil {
				defer fmt.Fprintf(out, "paired ground truth (%d pairs): L1 hair %.4f (no change %.4f), age %.4f (no change %.4f)\n",
					paired.Pairs, paired.HairL1, paired.HairL1Ident, paired.AgeL1, paired.AgeL1Ident)
			}
			fmt.Fprintf(out, "model step %d, %d held-back inputs\n", r.Step, r.Images)
			fmt.Fprintf(out, "classifier accuracy on real images  %.4f\n", r.ClassifierAcc)
			fmt.Fprintf(out, "target-attribute accuracy           %.4f  (per attribute %s)\n", r.TargetAcc, fmtFloats(r.TargetAccAttrs))
			fmt.Fprintf(out, "FD-cls translations vs real         %.4f\n", r.FDcls)
			fmt.Fprintf(out, "FD-cls real vs real (floor)         %.4f\n", r.FDclsRealReal)
			fmt.Fprintf(out, "FD-cls inputs vs real               %.4f\n", r.FDclsInputs)
			fmt.Fprintf(out, "diversity (mean pairwise L1)        %.4f\n", r.Diversity)
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.IntVar(&n, "n", 500, "held-back images to translate")
	f.StringVar(&grid, "grid", "", "write a PNG grid of translations here")
	f.StringVar(&pairs, "pairs", "", "facegen pairs folder (pairs.txt): paired ground-truth L1 for hair and age changes")
	f.IntVar(&rows, "rows", 8, "grid rows")
	f.Uint64Var(&seed, "seed", 1, "seed of targets and samples")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func fmtFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}
