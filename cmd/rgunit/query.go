package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/imageio"
	"rgunit/internal/cmdutil"
)

type queryOptions struct {
	cmdutil.DB
	to           []string
	sheetOut     string
	from         string
	k, ef        int
	filters      []string
	asJSON       bool
	allowPartial bool
	nearest      bool
}

func (o *queryOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per result")
	f := cmd.Flags()
	f.StringArrayVar(&o.to, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVar(&o.from, "from", "", "read more sources from this file, one per line (- for stdin)")
	f.IntVarP(&o.k, "k", "k", 10, "number of results")
	f.IntVar(&o.ef, "ef", 0, "search beam width (default: the index's)")
	f.StringArrayVar(&o.filters, "filter", nil, "Label=+1 or Label=-1: a model attribute or any stored label (repeatable, ANDed)")
	f.StringVar(&o.sheetOut, "sheet", "", "write a contact sheet PNG: the query, its target translation, the neighbours")
	f.BoolVar(&o.nearest, "nearest", false, "with IMG, the plain nearest items: do not require the values --to names of them")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, answer with the results marked partial instead of failing")
	cmd.MarkFlagRequired("to")
}

func (o *queryOptions) run(cmd *cobra.Command, args []string) error {
	srcs, err := cmdutil.ArgsFrom(cmd, o.from, args)
	switch {
	case err != nil:
		return err
	case o.k <= 0:
		return fmt.Errorf("-k must be positive (got %d)", o.k)
	case o.ef < 0:
		return fmt.Errorf("--ef must be positive (got %d)", o.ef)
	case o.sheetOut != "" && (len(srcs) != 1 || len(o.to) != 1):
		return fmt.Errorf("--sheet draws one query: one IMG and one --to")
	}
	// Read-only: queries run side by side, on read-only files too.
	return o.With(rgunit.Options{ReadOnly: true, AllowPartial: o.allowPartial}, func(db *rgunit.DB) error {
		if len(srcs) == 0 {
			return o.byAttrs(cmd, db, len(o.to) > 1)
		}
		var dw cmdutil.DomainWarning
		for _, name := range srcs {
			src, err := db.LoadQuerySource(name)
			if err != nil {
				return err
			}
			dw.Check(cmd, db, src)
			for _, to := range o.to {
				if err := o.one(cmd, db, src, to); err != nil {
					return fmt.Errorf("%s --to %s: %w", name, to, err)
				}
			}
		}
		return nil
	})
}

// byAttrs prints the items with the attributes of each --to.
func (o *queryOptions) byAttrs(cmd *cobra.Command, db *rgunit.DB, batch bool) error {
	for _, to := range o.to {
		res, err := db.QueryAttrs(cmd.Context(), to, o.k, o.filters...)
		if err != nil {
			return err
		}
		cmdutil.Warn(cmd, db.IndexWarning())
		out := cmd.OutOrStdout()
		switch {
		case o.asJSON:
			err = cmdutil.WriteJSONLines(out, rgunit.AttrHits(res, to))
		case batch:
			fmt.Fprintf(out, "items with %s:\n", to)
			fallthrough
		default:
			err = rgunit.WriteHits(out, res, true, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// one answers one source and target, and draws --sheet.
func (o *queryOptions) one(cmd *cobra.Command, db *rgunit.DB, src *rgunit.Source, to string) error {
	cmdutil.Warn(cmd, db.IndexWarning())
	res, err := db.QuerySource(cmd.Context(), src, rgunit.Query{Targets: to, K: o.k, Ef: o.ef, Filters: o.filters, Nearest: o.nearest})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		err = cmdutil.WriteJSONLines(out, rgunit.Hits(res, src.Name, to))
	} else {
		head, _ := db.QueryHeader(src, res)
		fmt.Fprintln(out, head)
		err = rgunit.WriteHits(out, res.Neighbours, false, res.Partial)
	}
	if err != nil || o.sheetOut == "" {
		return err
	}
	sheet, err := db.QuerySheet(src, res)
	if err == nil {
		err = imageio.WritePNG(o.sheetOut, sheet)
	}
	if err == nil && !o.asJSON {
		fmt.Fprintf(out, "sheet: %s\n", o.sheetOut)
	}
	return err
}
