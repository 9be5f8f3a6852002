package main

import (
	"github.com/spf13/cobra"

	"rgunit/internal/cmdutil"
)

func newReindexCmd() *cobra.Command {
	var (
		db     cmdutil.DB
		idx    indexFlag
		quiet  bool
		update bool
	)
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the retrieval index with the latest retrieval model",
		Long: `Embeds every item (labelled or not) with the latest retrieval model and
rebuilds the index, dropping indexes built with other model versions.
--update only adds the items missing from the current index. --quantize sq8
builds the embedded index again on int8 vectors from the stored embeddings
(nothing is embedded again; under half the memory, the float vectors it
re-ranks with in a file beside the database); --quantize float goes back.
The setting is recorded and kept by later rebuilds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if idx.quantize != "" {
				update = true // the stored embeddings are converted, not made again
			}
			return moveAndSync(cmd, &db, &idx, !update, quiet)
		},
	}
	db.Register(cmd)
	idx.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	cmd.Flags().BoolVar(&update, "update", false, "only add the items missing from the index")
	return cmd
}
