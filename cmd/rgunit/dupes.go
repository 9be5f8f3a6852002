package main

import (
	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type dupesOptions struct {
	cmdutil.DB
	o      rgunit.DupesOptions
	asJSON bool
}

func (o *dupesOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per group")
	f := cmd.Flags()
	f.Float64Var(&o.o.Threshold, "threshold", rgunit.DefaultDupeThreshold, "largest thumbnail distance of two copies")
	f.IntVar(&o.o.Candidates, "candidates", 8, "nearest items compared with each item")
}

func (o *dupesOptions) run(cmd *cobra.Command, _ []string) error {
	return o.View(func(db *rgunit.DB) error {
		groups, err := db.Dupes(cmd.Context(), o.o)
		if err != nil {
			return err
		}
		if o.asJSON {
			return cmdutil.WriteJSONLines(cmd.OutOrStdout(), groups)
		}
		return rgunit.WriteDupes(cmd.OutOrStdout(), groups)
	})
}
