package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

func newRmCmd() *cobra.Command {
	var db cmdutil.DB
	cmd := &cobra.Command{
		Use:   "rm ID...",
		Short: "Remove items (all or none: an unknown id removes nothing)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids := make([]uint64, len(args))
			for i, a := range args {
				id, err := rgunit.ParseID(a)
				if err != nil {
					return err
				}
				ids[i] = id
			}
			d, err := db.Open(cmdutil.Existing)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.Remove(cmd.Context(), ids...); err != nil {
				return err
			}
			slices.Sort(ids)
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d items\n", len(slices.Compact(ids)))
			return nil
		},
	}
	db.Register(cmd)
	return cmd
}
