package main

import (
	"fmt"
	"os"
	"path/filepath"
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
			var tw *tabwriter.Writer
			if !asJSON {
				tw = bench.NewANNTable(out)
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
				if asJSON {
					for _, r := range rows {
						if err := writeJSONLine(out, r); err != nil {
							return err
						}
					}
					continue
				}
				bench.WriteANNRows(tw, rows)
			}
			if tw == nil {
				return nil
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
