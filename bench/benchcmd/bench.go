// Package benchcmd is the rgunit bench command: the experiments of package
// bench (Tables 1-3, the index against hnswlib, ingest, training speed, the
// server, duplicates, calibration and unlabelled collections) behind flags;
// and rgunit plot, which draws figures from training logs.
package benchcmd

import (
	"os"

	"github.com/spf13/cobra"
)

// New returns the rgunit bench command and its subcommands: measurements
// of rgunit on real data, each against a baseline measured in the same run.
func New() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure rgunit on real data (tables with same-run baselines)",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchANNCmd(), newBenchTranslateCmd(), newBenchRetrievalCmd(), newBenchTrainCmd(), newBenchServeCmd(), newBenchDupesCmd(), newBenchCalibrationCmd(), newBenchUnlabelledCmd(), newBenchANNReopenCmd())
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
		dirs = []string{"samples/faces"}
	}
	return dirs
}
