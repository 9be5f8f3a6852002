package main

import (
	"errors"
	"io"

	"rgunit/bench/benchcmd"
	"rgunit/internal/cmdutil"

	"github.com/spf13/cobra"

	"rgunit"
)

var errInterrupted = errors.New("interrupted")

// dbFlag is the --db value shared by the commands.
type dbFlag = cmdutil.DB

// Ways commands open the database.
var (
	readOnly = cmdutil.ReadOnly
	existing = cmdutil.Existing
)

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

var (
	writeJSONLine = cmdutil.WriteJSONLine
	warn          = cmdutil.Warn
)

// writeJSONLines writes each element of vs as a JSON line.
func writeJSONLines[T any](w io.Writer, vs []T) error { return cmdutil.WriteJSONLines(w, vs) }
