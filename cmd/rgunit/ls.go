package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type lsOptions struct {
	db     cmdutil.DB
	asJSON bool
	f      rgunit.ItemFilter
}

func newLsCmd() *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the items in the database",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per line")
	f.IntVarP(&o.f.Limit, "limit", "n", 0, "list at most N items (0: all)")
	f.IntVar(&o.f.Offset, "offset", 0, "skip the first N items")
	f.BoolVar(&o.f.Labelled, "labelled", false, "only items with labels")
	f.BoolVar(&o.f.Unlabelled, "unlabelled", false, "only items without labels")
	f.BoolVar(&o.f.HeldBack, "held-back", false, "only the held-back tenth (items no training sees; the benches score them)")
	return cmd
}

func (o *lsOptions) run(cmd *cobra.Command) error {
	if o.f.Limit < 0 || o.f.Offset < 0 {
		return fmt.Errorf("-n %d --offset %d: want counts (-n 0: all)", o.f.Limit, o.f.Offset)
	}
	db, err := o.db.Open(cmdutil.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	out := cmd.OutOrStdout()
	if o.asJSON {
		return db.EachItem(cmd.Context(), o.f, func(it rgunit.Item) error { return cmdutil.WriteJSONLine(out, it) })
	}
	t := rgunit.NewItemTable(out)
	if err := db.EachItem(cmd.Context(), o.f, t.Add); err != nil {
		return err
	}
	return t.Flush()
}
