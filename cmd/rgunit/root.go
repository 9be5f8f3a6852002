package main

import (
	"errors"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench/benchcmd"
)

var errInterrupted = errors.New("interrupted")

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rgunit",
		Short: "Retrieval-guided multi-domain image translation (RG-UNIT)",
		Long: `rgunit turns an image collection into a searchable, persistent retrieval
database and uses it to translate images between attribute domains.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       rgunit.Version().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newIngestCmd(), newLsCmd(), newStatsCmd(), newShowCmd(), newRmCmd(), benchcmd.New(), newDemoCmd(), newTrainCmd(), newTranslateCmd(), newReindexCmd(), newSyncCmd(), newQueryCmd(), newModelCmd(), newCheckCmd(), newServeCmd(), newVersionCmd(), newDupesCmd(), newExportCmd(), newPlotCmd())
	return root
}
