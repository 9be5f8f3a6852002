package main

import (
	"io"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

func newStatsCmd() *cobra.Command {
	var (
		db     cmdutil.DB
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarize the database: items, labels, size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := db.Open(cmdutil.ReadOnly)
			if err != nil {
				return err
			}
			defer d.Close()
			return printStats(cmd.OutOrStdout(), d, asJSON)
		},
	}
	db.Register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// printStats prints the database summary, as text or one JSON object.
func printStats(out io.Writer, d *rgunit.DB, asJSON bool) error {
	s, err := d.Stats()
	if err != nil {
		return err
	}
	if asJSON {
		return cmdutil.WriteJSONLine(out, s)
	}
	return s.WriteText(out)
}
