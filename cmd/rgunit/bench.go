package main

import (
	"os"

	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure rgunit on real data (tables with same-run baselines)",
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchANNCmd(), newBenchTranslateCmd(), newBenchRetrievalCmd(), newBenchTrainCmd(), newBenchServeCmd(), newBenchDupesCmd(), newBenchCalibrationCmd(), newBenchUnlabelledCmd())
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
