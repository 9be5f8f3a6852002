package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type rmOptions struct{ cmdutil.DB }

func (o *rmOptions) addFlags(*cobra.Command) {}

func (o *rmOptions) run(cmd *cobra.Command, args []string) error {
	ids := make([]uint64, len(args))
	for i, a := range args {
		id, err := rgunit.ParseID(a)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	return o.Update(func(db *rgunit.DB) error {
		if err := db.Remove(cmd.Context(), ids...); err != nil {
			return err
		}
		slices.Sort(ids)
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed %d items\n", len(slices.Compact(ids)))
		return err
	})
}
