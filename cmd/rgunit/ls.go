package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type lsOptions struct {
	cmdutil.DB
	asJSON bool
	f      rgunit.ItemFilter
}

func (o *lsOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per line")
	f := cmd.Flags()
	f.IntVarP(&o.f.Limit, "limit", "n", 0, "list at most N items (0: all)")
	f.IntVar(&o.f.Offset, "offset", 0, "skip the first N items")
	f.BoolVar(&o.f.Labelled, "labelled", false, "only items with labels")
	f.BoolVar(&o.f.Unlabelled, "unlabelled", false, "only items without labels")
	f.BoolVar(&o.f.HeldBack, "held-back", false, "only the held-back tenth (items no training sees; the benches score them)")
}

func (o *lsOptions) run(cmd *cobra.Command, _ []string) error {
	if o.f.Limit < 0 || o.f.Offset < 0 {
		return fmt.Errorf("-n %d --offset %d: want counts (-n 0: all)", o.f.Limit, o.f.Offset)
	}
	return o.View(func(db *rgunit.DB) error {
		out := cmd.OutOrStdout()
		if o.asJSON {
			return db.EachItem(cmd.Context(), o.f, func(it rgunit.Item) error { return cmdutil.WriteJSONLine(out, it) })
		}
		t := rgunit.NewItemTable(out)
		return errors.Join(db.EachItem(cmd.Context(), o.f, t.Add), t.Flush())
	})
}
