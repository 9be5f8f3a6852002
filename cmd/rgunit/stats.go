package main

import (
	"io"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/storage"
)

func newStatsCmd() *cobra.Command {
	var (
		db     dbFlag
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarize the database: items, labels, size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			return printStats(cmd.OutOrStdout(), st, asJSON)
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// printStats prints the database summary, as text or one JSON object.
func printStats(out io.Writer, st *storage.Store, asJSON bool) error {
	s, err := rgunit.New(st, nil).Stats()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSONLine(out, s)
	}
	return s.WriteText(out)
}
