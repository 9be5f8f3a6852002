package main

import (
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Export, import and describe model bundles (a retrieval model with the RG-UNIT model trained over it)"}
	cmd.AddCommand(newModelExportCmd(), newModelImportCmd(), newModelInfoCmd(), newModelListCmd())
	return cmd
}
