package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

func newModelImportCmd() *cobra.Command {
	var (
		db    cmdutil.DB
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|default",
		Short: "Use a bundle's models in the database and index every item with them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := rgunit.Bundle(args[0])
			if err != nil {
				return err
			}
			d, err := db.Open(cmdutil.Existing)
			if err != nil {
				return err
			}
			defer d.Close()
			_, xp := ingestProgress(cmd, quiet)
			imp, s, err := d.ImportBundle(cmd.Context(), b, xp.onIndex)
			xp.finish()
			if imp != nil && !imp.Already {
				p := imp.Provenance
				fmt.Fprintf(cmd.OutOrStdout(), "models: bundle %s (retrieval version %d, rg-unit version %d; trained by %q on %s at commit %s)\n",
					p.ID(), imp.RetrievalVersion, imp.RGVersion, p.Command, p.Data, p.Commit)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), s)
			return nil
		},
	}
	db.Register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}
