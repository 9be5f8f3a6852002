package main

import (
	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type dupesOptions struct {
	db     cmdutil.DB
	o      rgunit.DupesOptions
	asJSON bool
}

func newDupesCmd() *cobra.Command {
	o := &dupesOptions{}
	cmd := &cobra.Command{
		Use:   "dupes",
		Short: "List groups of near-identical images (re-encoded, resized copies)",
		Long: `Ingest stores each file content once (by SHA-256); dupes finds the copies that
differ in their bytes: re-encoded or resized (crops that move the picture by
more than about 1% are not found). The index
proposes each item's nearest items (--candidates), and two are copies when
their 16x16 grey thumbnails differ by at most --threshold (mean absolute
difference, 0 to 1). Groups are the connected sets of copies.`,
		Example: `  rgunit dupes --db photos.db
  rgunit dupes --db photos.db --threshold 0.03 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.Float64Var(&o.o.Threshold, "threshold", rgunit.DefaultDupeThreshold, "largest thumbnail distance of two copies")
	f.IntVar(&o.o.Candidates, "candidates", 8, "nearest items compared with each item")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per group")
	return cmd
}

func (o *dupesOptions) run(cmd *cobra.Command) error {
	db, err := o.db.Open(cmdutil.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	groups, err := db.Dupes(cmd.Context(), o.o)
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLines(cmd.OutOrStdout(), groups)
	}
	return rgunit.WriteDupes(cmd.OutOrStdout(), groups)
}
