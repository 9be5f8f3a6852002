package main

import (
	"fmt"

	"rgunit/imageio"

	"github.com/spf13/cobra"

	"rgunit"
)

type queryOptions struct {
	db           dbFlag
	to, sheetOut string
	k, ef        int
	filters      []string
	asJSON       bool
	allowPartial bool
}

func newQueryCmd() *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query [IMG]",
		Short: "Find the items nearest to an image translated to target attributes, or items with given attributes",
		Long: `With IMG (an image file, or id:N for a stored item), prints the k items
nearest to emb(E_c(IMG), target code), nearest first: the content of IMG with
the attributes of --to (Blond_Hair,Young,-Male: a name sets +1, -name sets -1;
unnamed attributes keep IMG's values, known labels for a labelled item, else
estimated by the attribute encoder). --filter Attr=+1 keeps only items with
that value: for the model's attributes a known label, else the predicted one;
any other stored label (all 40 of CelebA's when they were ingested) must be
known. Several filters are ANDed.

Without IMG, lists the items whose attributes match --to: items whose known
labels match first, then unlabelled items whose predicted attributes match,
most probable first.`,
		Example: `  rgunit query face.png --to Blond_Hair,-Male --db faces.db
  rgunit query id:42 --to Young -k 5 --sheet out.png --db faces.db
  rgunit query --to Blond_Hair,Young --json --db faces.db`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *queryOptions) addFlags(cmd *cobra.Command) {
	o.db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "target attributes, e.g. Blond_Hair,Young,-Male")
	f.IntVarP(&o.k, "k", "k", 10, "number of results")
	f.IntVar(&o.ef, "ef", 0, "search beam width (default: the index's)")
	f.StringArrayVar(&o.filters, "filter", nil, "Label=+1 or Label=-1: a model attribute or any stored label (repeatable, ANDed)")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per result")
	f.StringVar(&o.sheetOut, "sheet", "", "write a contact sheet PNG: the query, its target translation, the neighbours")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, answer with the results marked partial instead of failing")
	cmd.MarkFlagRequired("to")
}

func (o *queryOptions) run(cmd *cobra.Command, args []string) error {
	switch {
	case o.k <= 0:
		return fmt.Errorf("-k must be positive (got %d)", o.k)
	case o.ef < 0:
		return fmt.Errorf("--ef must be positive (got %d)", o.ef)
	case len(args) == 0 && o.sheetOut != "":
		return fmt.Errorf("--sheet needs an IMG")
	}
	// Read-only: queries run side by side, on read-only files too.
	db, err := o.db.open(rgunit.Options{ReadOnly: true, AllowPartial: o.allowPartial})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	if len(args) == 0 {
		res, err := db.QueryAttrs(ctx, o.to, o.k, o.filters...)
		if err != nil {
			return err
		}
		warn(cmd, db.IndexWarning())
		if o.asJSON {
			return writeJSONLines(out, rgunit.AttrHits(res))
		}
		return rgunit.WriteHits(out, res, true, false)
	}
	src, err := db.LoadQuerySource(args[0])
	if err != nil {
		return err
	}
	warn(cmd, db.IndexWarning())
	res, err := db.QuerySource(ctx, src, rgunit.Query{Targets: o.to, K: o.k, Ef: o.ef, Filters: o.filters})
	if err != nil {
		return err
	}
	if o.asJSON {
		err = writeJSONLines(out, rgunit.Hits(res.Neighbours, res.Partial))
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
