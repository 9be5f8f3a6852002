package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/imageio"
	"rgunit/internal/cmdutil"
)

type queryOptions struct {
	db           cmdutil.DB
	to           []string
	sheetOut     string
	from         string
	k, ef        int
	filters      []string
	asJSON       bool
	allowPartial bool
	nearest      bool
}

func newQueryCmd() *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query [IMG...]",
		Short: "Find the items nearest to images translated to target attributes, or items with given attributes",
		Long: `With IMG (an image file, or id:N for a stored item), prints the k items
nearest to emb(E_c(IMG), target code), nearest first: the content of IMG with
the attributes of --to (Blond_Hair,Young,-Male: a name sets +1, -name sets -1;
unnamed attributes keep IMG's values, known labels for a labelled item, else
estimated by the attribute encoder). The values --to names are required of
the neighbours (a known label, else the predicted value); --nearest returns
the plain nearest items instead (the paper's retrieval). --filter Attr=+1 keeps only items with
that value: for the model's attributes a known label, else the predicted one;
any other stored label (all 40 of CelebA's when they were ingested) must be
known. Several filters are ANDed.

Several IMGs, or --from FILE (one per line, - for stdin), make a batch: every
source is queried with every --to (repeat it for several targets), and each
JSON line names the query and the target it answers.

Without IMG, lists the items whose attributes match --to: items whose known
labels match first, then unlabelled items whose predicted attributes match,
most probable first.`,
		Example: `  rgunit query face.png --to Blond_Hair,-Male --db faces.db
  rgunit query id:42 --to Young -k 5 --sheet out.png --db faces.db
  rgunit query id:1 id:2 id:3 --to Blond_Hair --to -Young --json --db faces.db
  rgunit query --from ids.txt --to Black_Hair --json --db faces.db
  rgunit query --to Young --filter Male=-1 --filter Eyeglasses=+1 --db celeba.db`,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *queryOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.to, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVar(&o.from, "from", "", "read more sources from this file, one per line (- for stdin)")
	f.IntVarP(&o.k, "k", "k", 10, "number of results")
	f.IntVar(&o.ef, "ef", 0, "search beam width (default: the index's)")
	f.StringArrayVar(&o.filters, "filter", nil, "Label=+1 or Label=-1: a model attribute or any stored label (repeatable, ANDed)")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per result")
	f.StringVar(&o.sheetOut, "sheet", "", "write a contact sheet PNG: the query, its target translation, the neighbours")
	f.BoolVar(&o.nearest, "nearest", false, "with IMG, the plain nearest items: do not require the values --to names of them")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, answer with the results marked partial instead of failing")
	cmd.MarkFlagRequired("to")
}

// sources are the arguments and the lines of --from.
func (o *queryOptions) sources(cmd *cobra.Command, args []string) ([]string, error) {
	if o.from == "" {
		return args, nil
	}
	var r io.Reader = cmd.InOrStdin()
	if o.from != "-" {
		f, err := os.Open(o.from)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		defer f.Close()
		r = f
	}
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); l != "" && !strings.HasPrefix(l, "#") {
			args = append(args, l)
		}
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("--from %s names no source", o.from)
	}
	return args, nil
}

func (o *queryOptions) run(cmd *cobra.Command, args []string) error {
	srcs, err := o.sources(cmd, args)
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
	db, err := o.db.Open(rgunit.Options{ReadOnly: true, AllowPartial: o.allowPartial})
	if err != nil {
		return err
	}
	defer db.Close()
	batch := len(srcs) > 1 || len(o.to) > 1
	if len(srcs) == 0 {
		for _, to := range o.to {
			if err := o.byAttrs(cmd, db, to, batch); err != nil {
				return err
			}
		}
		return nil
	}
	warned := false
	for _, name := range srcs {
		src, err := db.LoadQuerySource(name)
		if err != nil {
			return err
		}
		if !warned && src.ID == 0 { // a stored item was checked when it was ingested
			c, _ := db.CheckSourceDomain(src)
			warned = c.Warning() != ""
			cmdutil.Warn(cmd, c.Warning())
		}
		for _, to := range o.to {
			if err := o.one(cmd, db, src, to); err != nil {
				return fmt.Errorf("%s --to %s: %w", name, to, err)
			}
		}
	}
	return nil
}

// byAttrs prints the items with the attributes of to.
func (o *queryOptions) byAttrs(cmd *cobra.Command, db *rgunit.DB, to string, batch bool) error {
	res, err := db.QueryAttrs(cmd.Context(), to, o.k, o.filters...)
	if err != nil {
		return err
	}
	cmdutil.Warn(cmd, db.IndexWarning())
	out := cmd.OutOrStdout()
	if o.asJSON {
		hits := rgunit.AttrHits(res)
		for i := range hits {
			hits[i].To = to
		}
		return cmdutil.WriteJSONLines(out, hits)
	}
	if batch {
		fmt.Fprintf(out, "items with %s:\n", to)
	}
	return rgunit.WriteHits(out, res, true, false)
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
		hits := rgunit.Hits(res.Neighbours, res.Partial)
		for i := range hits {
			hits[i].Query, hits[i].To = src.Name, to
		}
		err = cmdutil.WriteJSONLines(out, hits)
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
