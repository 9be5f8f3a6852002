package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type exportOptions struct {
	cmdutil.DB
	out, format string
	asJSON      bool
}

func (o *exportOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print what was written as one JSON object")
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "folder to write into")
	f.StringVar(&o.format, "format", rgunit.FormatNpy, "npy, fvecs or parquet")
	cmd.MarkFlagRequired("out")
}

func (o *exportOptions) run(cmd *cobra.Command, _ []string) error {
	return o.View(func(db *rgunit.DB) error {
		res, err := db.Export(cmd.Context(), o.out, o.format)
		if err != nil {
			return err
		}
		if res.Unindexed > 0 {
			cmdutil.Warn(cmd, fmt.Sprintf("%d items have no embedding yet and were left out (run rgunit reindex --update)", res.Unindexed))
		}
		return cmdutil.Print(cmd, o.asJSON, res)
	})
}
