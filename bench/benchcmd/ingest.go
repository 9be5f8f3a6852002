package benchcmd

import (
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/cmdutil"
)

func newBenchIngestCmd() *cobra.Command {
	var (
		opts    bench.IngestOptions
		asJSON  bool
		noModel bool
	)
	cmd := &cobra.Command{
		Use:   "ingest [DIR...]",
		Short: "Ingest throughput vs raw decode+resize of the same files, and bytes per image",
		Long: `For each folder: raw read+decode+normalize throughput on all cores, then a
full ingest of the same files into a scratch database (labels from
list_attr.txt in the folder or its parent when present), then a re-ingest
(all duplicates), then (unless --no-model) an ingest into another database
with the shipped default model, whose images are embedded and indexed as
rgunit ingest does: the whole run's rate and the indexing's share. Default
folders: ../shared/data/faces12k_64 and
../shared/data/celeba10k/images when present, else samples/faces.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = defaultBenchData()
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "dataset\tfiles\tworkers\traw img/s\tingest img/s\tingest/raw\tre-ingest img/s\twith model img/s\tindexing share\tdb B/img\tpng B/img\t")
			}
			if !noModel {
				opts.WithModel = ingestWithModel
			}
			for _, dir := range args {
				r, err := bench.Ingest(cmd.Context(), dir, opts)
				if err != nil {
					return err
				}
				if asJSON {
					if err := cmdutil.WriteJSONLine(out, r); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%.2f\t%.0f\t%.0f\t%.0f%%\t%.0f\t%.0f\t\n", filepath.Base(filepath.Dir(dir))+"/"+r.Dataset,
					r.Files, r.Workers, r.RawPerSec, r.IngestPerSec, r.Ratio, r.ReingestPerSec, r.ModelPerSec, 100*r.IndexShare, r.BytesPerImage, r.PNGBytesPerImg)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Limit, "limit", 0, "at most this many files per folder (0: all)")
	f.IntVar(&opts.ImageSize, "size", 64, "normalized image size")
	f.IntVar(&opts.Workers, "workers", 0, "goroutines (default: all cores)")
	cmdutil.JSONFlag(cmd, &asJSON, "one JSON object per folder")
	f.BoolVar(&noModel, "no-model", false, "leave out the ingest with the default model")
	return cmd
}

// ingestWithModel ingests files into a new database with the shipped
// model (bench.IngestOptions.WithModel).
func ingestWithModel(ctx context.Context, files []string, path string) (float64, float64, error) {
	db, err := rgunit.Open(path, nil)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	res, err := db.Ingest(ctx, files, rgunit.IngestOptions{})
	if err != nil {
		return 0, 0, err
	}
	return res.TotalPerSecond, res.IndexSeconds / max(res.TotalSeconds, 1e-9), nil
}
