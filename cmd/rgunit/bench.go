package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit/bench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure rgunit on real data (tables with same-run baselines)",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchANNCmd())
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
		opts   bench.ANNOptions
		sets   []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "ann",
		Short: "Recall@10 and single-thread QPS of the HNSW index vs the exact scan",
		Long: `Generates the data sets in the same run (clustered: 1,000 centres with
coordinates ~ N(0,1), points = centre + N(0, 0.1^2); gaussian: N(0,1)), computes
exact top-10 ground truth by brute force, builds rgunit's HNSW on one thread and
prints recall@10 and single-thread QPS per ef next to the exact scan's QPS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "dataset\tengine\tef\trecall@10\tQPS (1 thread)\tx exact\tbuild s (1 thread)\tbytes/vector\traw bytes/vector\t")
			}
			for _, kind := range sets {
				d, err := bench.Synthetic(kind, opts)
				if err != nil {
					return err
				}
				rows, err := bench.ANN(cmd.Context(), d, opts, func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) })
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
					fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.0f\t%.1f\t%.1f\t%.0f\t%.0f\t\n", r.Dataset, r.Engine, r.Ef, r.Recall, r.QPS, r.OverExact, r.BuildSeconds, r.BytesPerVec, r.RawBytesPerVec)
				}
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&sets, "data", []string{"clustered", "gaussian"}, "data sets to generate: clustered, gaussian")
	f.IntVar(&opts.N, "n", 100_000, "base vectors")
	f.IntVar(&opts.Dim, "dim", 128, "dimension")
	f.IntVar(&opts.Queries, "queries", 1000, "queries")
	f.IntVar(&opts.M, "m", 16, "HNSW M")
	f.IntVar(&opts.EfConstruction, "ef-construction", 200, "HNSW efConstruction")
	f.IntSliceVar(&opts.Efs, "ef", []int{10, 20, 40, 80, 160}, "search ef values")
	f.BoolVar(&asJSON, "json", false, "one JSON object per row")
	return cmd
}
