package benchcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/internal/cmdutil"
)

type benchANNOptions struct {
	opts            bench.ANNOptions
	sets, engines   []string
	base, query, gt string
	images          string
	side            int
	limit           int
	asJSON          bool
	filtered        []float64
	remotes         []string
}

func newBenchANNCmd() *cobra.Command {
	o := &benchANNOptions{}
	cmd := &cobra.Command{
		Use:   "ann",
		Short: "Recall@10, QPS, build and reopen times of the HNSW index vs coder/hnsw and the exact scan",
		Long: `Generates the data sets in the same run (clustered: 1,000 centres with
coordinates ~ N(0,1), points = centre + N(0, 0.1^2); gaussian: N(0,1)), reads
a folder of images as grey pixels (--images, 784-d at --side 28), or reads
a set of .fvecs files (--base, --query, --gt .ivecs; without --query the last
--queries base vectors are the queries, as for rgunit export's embeddings),
all in one run; computes exact top-10 ground truth by brute force when none
is given, and prints per engine and ef: recall@10, single-thread QPS (the
best of at least 3 passes and 0.3 s, hnswlib's peer alike) and its ratio to
the exact scan and to hnswlib measured in the same run, build seconds on one
thread and on all cores (the all-cores build goes into a stored index,
commits included), the seconds to reopen that index (in this process, and
in a new one) and whether its results are identical, bytes per vector next to the budget (raw vector + 10 bytes per
neighbour slot), and the peak resident memory of the one-thread build.
rgunit-sq8 is the index on int8 vectors (index.SQ8): built on all cores
into a stored index, reopened, searched on one thread; its bytes per vector
are what it holds in memory (the float vectors it re-ranks with stay in
the file).
--index weaviate://... adds a Weaviate cluster to the table on the same data:
its gRPC batch insert rate (insert/s; the embedded index's is the all-cores
build's), then recall@10 and QPS at each ef, every query followed by the
shard check rgunit makes before answering.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.sets, "data", []string{"clustered", "gaussian"}, "data sets to generate: clustered, gaussian")
	f.StringSliceVar(&o.engines, "engines", bench.Engines, "engines besides the exact scan: rgunit, rgunit-sq8 (byte codes, float vectors in the file), coder-hnsw, hnswlib (built from Debian's libhnswlib-dev on first use)")
	f.StringArrayVar(&o.remotes, "index", nil, "also measure a Weaviate cluster: weaviate://HOST:PORT[/Prefix]?grpc=PORT (repeatable; the class RgunitBenchV1 is dropped before and after)")
	f.StringVar(&o.base, "base", "", "base vectors (.fvecs) instead of generated data")
	f.StringVar(&o.query, "query", "", "query vectors (.fvecs), with --base (without: the last --queries base vectors)")
	f.StringVar(&o.images, "images", "", "real data at high dimension: the images of this folder as --side x --side grey pixels, the last --queries of them as queries")
	f.IntVar(&o.side, "side", 28, "with --images: pixels per side (28: 784 dimensions)")
	f.StringVar(&o.gt, "gt", "", "ground truth (.ivecs, 0-based positions); computed when absent")
	f.IntVar(&o.limit, "limit", 0, "read at most this many base vectors (ground truth is then recomputed)")
	f.IntVar(&o.opts.N, "n", 100_000, "base vectors")
	f.IntVar(&o.opts.Dim, "dim", 128, "dimension")
	f.IntVar(&o.opts.Queries, "queries", 1000, "queries")
	f.IntVar(&o.opts.M, "m", 16, "HNSW M")
	f.IntVar(&o.opts.EfConstruction, "ef-construction", 200, "HNSW efConstruction")
	f.IntSliceVar(&o.opts.Efs, "ef", []int{10, 20, 40, 80, 160}, "search ef values")
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per row")
	f.Float64SliceVar(&o.filtered, "filtered", nil, "also measure filtered queries admitting these shares of the items (e.g. 0.01,0.02,0.05,0.1): the filtered walk, the exact scan and post-filtering")
	return cmd
}

// data is the data sets to measure, in one run: the generated ones (the
// default when no file is named; with files only when --data is given), a
// folder of images as pixels, and a set read from files.
func (o *benchANNOptions) data(cmd *cobra.Command) ([]*bench.ANNData, error) {
	var data []*bench.ANNData
	if o.query != "" && o.base == "" {
		return nil, fmt.Errorf("--query needs --base")
	}
	if cmd.Flags().Changed("data") || (o.images == "" && o.base == "") {
		for _, kind := range o.sets {
			d, err := bench.Synthetic(kind, o.opts)
			if err != nil {
				return nil, err
			}
			data = append(data, d)
		}
	}
	if o.images != "" {
		d, err := bench.Pixels(cmd.Context(), o.images, o.side, o.opts.Queries)
		if err != nil {
			return nil, err
		}
		data = append(data, d)
	}
	if o.base != "" {
		d, err := bench.LoadVecs(o.base, o.query, o.gt, o.limit, o.opts.Queries)
		if err != nil {
			return nil, err
		}
		data = append(data, d)
	}
	return data, nil
}

func (o *benchANNOptions) run(cmd *cobra.Command) error {
	out := cmd.OutOrStdout()
	var tw *tabwriter.Writer
	if !o.asJSON {
		tw = bench.NewANNTable(out)
	}
	data, err := o.data(cmd)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rgunit-bench-ann-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	say := func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) }
	if slices.Contains(o.engines, "hnswlib") && !cmd.Flags().Changed("ef") {
		o.opts.Efs = bench.FineEfs // recall targets interpolate over a finer grid
	}
	if !testing.Testing() { // a test binary would run its tests, not the command
		o.opts.FreshReopen = reopenInChild
	}
	var all []bench.ANNRow
	var filtered []bench.FilteredRow
	for _, d := range data {
		rows, err := bench.ANN(cmd.Context(), d, o.opts, o.engines, dir, say)
		if err != nil {
			return err
		}
		for _, u := range o.remotes {
			rr, err := bench.ANNRemote(cmd.Context(), d, u, o.opts.Efs, func(f string, a ...any) { say(fmt.Sprintf(f, a...)) })
			if err != nil {
				return fmt.Errorf("--index %s: %w", u, err)
			}
			for i := range rr {
				rr[i].OverExact = rr[i].QPS / rows[0].QPS
			}
			rows = append(rows, rr...)
		}
		all = append(all, rows...)
		if err := o.filteredRows(cmd, d, &filtered); err != nil {
			return err
		}
		if tw != nil {
			bench.WriteANNRows(tw, rows)
			continue
		}
		for _, r := range rows {
			if err := cmdutil.WriteJSONLine(out, r); err != nil {
				return err
			}
		}
	}
	if tw == nil {
		return nil
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bench.WriteRecallTargets(out, all)
	if len(filtered) > 0 {
		return bench.WriteFiltered(out, filtered)
	}
	return nil
}

// filteredRows measures --filtered on d: printed as JSON lines at once,
// or kept in rows for a table after the main one.
func (o *benchANNOptions) filteredRows(cmd *cobra.Command, d *bench.ANNData, rows *[]bench.FilteredRow) error {
	if len(o.filtered) == 0 {
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: filtered queries at %v of the items admitted\n", d.Name, o.filtered)
	fr, err := bench.ANNFiltered(cmd.Context(), d, o.opts, o.filtered, 64)
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLines(cmd.OutOrStdout(), fr)
	}
	*rows = append(*rows, fr...)
	return nil
}

// newBenchANNReopenCmd is the hidden bench ann-reopen: it opens a stored
// index file and prints the seconds it took, for bench ann's reopen in a
// new process.
func newBenchANNReopenCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "ann-reopen FILE",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sec, err := bench.ReopenFile(args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%.6f\n", sec)
			return err
		},
	}
}

// reopenInChild runs bench ann-reopen in a new process of this binary.
func reopenInChild(ctx context.Context, path string) (float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, exe, "bench", "ann-reopen", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}
