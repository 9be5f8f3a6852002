package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/imageio"
	"rgunit/index/weaviate"
	"rgunit/retrieval"
	"rgunit/storage"
)

// syncIndex embeds and indexes the items missing from the index (all of
// them with rebuild), with a progress display.
func syncIndex(cmd *cobra.Command, db *rgunit.DB, rebuild, quiet bool) error {
	_, xp := ingestProgress(cmd, quiet)
	s, err := db.Sync(cmd.Context(), rebuild, xp.onIndex)
	xp.finish()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w after indexing %d items; run rgunit reindex to finish", errInterrupted, s.Added)
	}
	if err != nil {
		return err
	}
	printSync(cmd.OutOrStdout(), s)
	return nil
}

// printSync prints what an indexing did.
func printSync(out io.Writer, s retrieval.SyncStats) {
	ver := s.Version
	switch {
	case s.Remote == "":
		fmt.Fprintf(out, "index: retrieval version %d, %d items embedded, %d indexed\n", ver, s.Added, s.Indexed)
	case s.Unreachable != "":
		fmt.Fprintf(out, "index: %s unreachable; retrieval version %d, %d items embedded and committed here, %d pushed, %d pending (run rgunit sync when the cluster is back)\n  %s\n",
			s.Remote, ver, s.Added, s.Pushed, s.Pending, s.Unreachable)
	default:
		fmt.Fprintf(out, "index: %s, retrieval version %d, %d items embedded, %d pushed, %d indexed, %d pending\n", s.Remote, ver, s.Added, s.Pushed, s.Indexed, s.Pending)
	}
}

// indexFlag is --index: where a database keeps its retrieval index.
type indexFlag struct{ url string }

func (f *indexFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "index", "", "keep the retrieval index on a Weaviate cluster (weaviate://HOST:PORT[/Prefix][?grpc=PORT]), or 'embedded' (in the database file); recorded in the database (default: its setting)")
}

// check validates the flag before anything is written.
func (f *indexFlag) check() error {
	if f.url == "" || f.url == "embedded" {
		return nil
	}
	_, err := weaviate.ParseURL(f.url)
	return err
}

// apply records the flag in st (every embedded item becomes pending for a
// new remote index).
func (f *indexFlag) apply(st *storage.Store) error {
	switch f.url {
	case "":
		return nil
	case "embedded":
		return retrieval.SetIndex(st, "")
	}
	return retrieval.SetIndex(st, f.url)
}

// moveAndSync records --index in the database, then syncs its index.
func moveAndSync(cmd *cobra.Command, db *dbFlag, idx *indexFlag, rebuild, quiet bool) error {
	if err := idx.check(); err != nil {
		return err
	}
	st, err := db.open(true, false, 0)
	if err != nil {
		return err
	}
	if err := idx.apply(st); err != nil {
		st.Close()
		return err
	}
	d := rgunit.New(st)
	defer d.Close()
	return syncIndex(cmd, d, rebuild, quiet)
}

func newSyncCmd() *cobra.Command {
	var (
		db    dbFlag
		idx   indexFlag
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push pending items to the remote index (and embed items not yet embedded)",
		Long: `With the index on a Weaviate cluster, ingest commits items to the database
file first and pushes their embeddings after; what the cluster has not
acknowledged (it was unreachable, or the command was stopped) is pending.
sync pushes the pending additions and deletions and embeds any item that has
no embedding yet. --index moves the index: to a cluster (every embedding is
pushed, nothing is embedded again) or back into the file ('embedded').`,
		Example: `  rgunit sync --db faces.db
  rgunit sync --db faces.db --index weaviate://127.0.0.1:8080/Faces?grpc=50051`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return moveAndSync(cmd, &db, &idx, false, quiet)
		},
	}
	db.register(cmd)
	idx.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func newReindexCmd() *cobra.Command {
	var (
		db     dbFlag
		idx    indexFlag
		quiet  bool
		update bool
	)
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the retrieval index with the latest retrieval model",
		Long: `Embeds every item (labelled or not) with the latest retrieval model and
rebuilds the index, dropping indexes built with other model versions.
--update only adds the items missing from the current index.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return moveAndSync(cmd, &db, &idx, !update, quiet)
		},
	}
	db.register(cmd)
	idx.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	cmd.Flags().BoolVar(&update, "update", false, "only add the items missing from the index")
	return cmd
}

// attrLine is one result of a query by attributes.
type attrLine struct {
	ID          uint64         `json:"id"`
	Path        string         `json:"path"`
	Labels      storage.Labels `json:"labels,omitempty"`
	Predicted   bool           `json:"predicted"`
	Probability float32        `json:"probability"`
	Rank        int            `json:"rank"`
}

type queryLine struct {
	retrieval.Neighbour
	Rank int `json:"rank"`
	// Partial: the remote index answered without some shard (--allow-partial).
	Partial bool `json:"partial,omitempty"`
}

func newQueryCmd() *cobra.Command {
	var (
		db       dbFlag
		to       string
		k, ef    int
		filters  []string
		asJSON   bool
		sheetOut string

		allowPartial bool
	)
	cmd := &cobra.Command{
		Use:   "query [IMG]",
		Short: "Find the items nearest to an image translated to target attributes, or items with given attributes",
		Long: `With IMG (an image file, or id:N for a stored item), prints the k items
nearest to emb(E_c(IMG), target code), nearest first: the content of IMG with
the attributes of --to (Blond_Hair,Young,-Male: a name sets +1, -name sets -1;
unnamed attributes keep IMG's values, known labels for a labelled item, else
estimated by the attribute encoder). --filter Attr=+1 keeps only items with
that value (known label, else predicted).

Without IMG, lists the items whose attributes match --to: items whose known
labels match first, then unlabelled items whose predicted attributes match,
most probable first.`,
		Example: `  rgunit query face.png --to Blond_Hair,-Male --db faces.db
  rgunit query id:42 --to Young -k 5 --sheet out.png --db faces.db
  rgunit query --to Blond_Hair,Young --json --db faces.db`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if k <= 0 {
				return fmt.Errorf("-k must be positive (got %d)", k)
			}
			if ef < 0 {
				return fmt.Errorf("--ef must be positive (got %d)", ef)
			}
			st, err := db.open(false, false, 0) // read-only: queries run side by side, on read-only files too
			if err != nil {
				return err
			}
			defer st.Close()
			if n, err := st.Len(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: %s has no items (add some with rgunit ingest)", retrieval.ErrEmpty, st.Path())
			}
			d, err := retrieval.OpenWith(st, &retrieval.OpenOptions{AllowPartial: allowPartial})
			if err != nil {
				return err
			}
			defer d.Close()
			warnPending(cmd, d)
			s := d.Model.Schema()
			out := cmd.OutOrStdout()
			if len(args) == 0 {
				if len(filters) > 0 || sheetOut != "" {
					return fmt.Errorf("--filter and --sheet need an IMG")
				}
				res, err := d.QueryAttrs(to, k)
				if err != nil {
					return err
				}
				return printNeighbours(out, res, asJSON, true, false)
			}
			q := retrieval.Query{Targets: to, K: k, Ef: ef, Filter: map[string]int8{}}
			for _, f := range filters {
				name, v, err := retrieval.ParseFilter(s, f)
				if err != nil {
					return err
				}
				if _, dup := q.Filter[name]; dup {
					return fmt.Errorf("--filter names %s twice (each attribute once; filters are ANDed)", name)
				}
				q.Filter[name] = v
			}
			src, err := rgunit.LoadSource(st, args[0], s, d.Model.Size())
			if err != nil {
				return err
			}
			q.Image, q.Source, q.Exclude = src.X, src.Labels, src.ID
			res, err := d.Query(q)
			if err != nil {
				return err
			}
			if !asJSON {
				how := "known"
				if res.Estimated {
					how = "estimated"
				}
				fmt.Fprintf(out, "query %s: source %s (%s) -> target %s\n", src.Name, s.Format(res.Source), how, s.Format(res.Target))
			}
			if err := printNeighbours(out, res.Neighbours, asJSON, false, res.Partial); err != nil {
				return err
			}
			if sheetOut != "" {
				if err := writeSheet(st, sheetOut, src.Image, d.Model, res); err != nil {
					return err
				}
				if !asJSON {
					fmt.Fprintf(out, "sheet: %s\n", sheetOut)
				}
			}
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "target attributes, e.g. Blond_Hair,Young,-Male")
	f.IntVarP(&k, "k", "k", 10, "number of results")
	f.IntVar(&ef, "ef", 0, "search beam width (default: the index's)")
	f.StringArrayVar(&filters, "filter", nil, "Attr=+1 or Attr=-1 (repeatable)")
	f.BoolVar(&asJSON, "json", false, "one JSON object per result")
	f.StringVar(&sheetOut, "sheet", "", "write a contact sheet PNG: the query, its target translation, the neighbours")
	f.BoolVar(&allowPartial, "allow-partial", false, "with a remote index missing a shard, answer with the results marked partial instead of failing")
	cmd.MarkFlagRequired("to")
	return cmd
}

func printNeighbours(w interface{ Write([]byte) (int, error) }, ns []retrieval.Neighbour, asJSON, byAttrs, partial bool) error {
	if asJSON {
		for i, n := range ns {
			var v any = queryLine{Neighbour: n, Rank: i + 1, Partial: partial}
			if byAttrs { // no distance
				v = attrLine{ID: n.ID, Path: n.Path, Labels: n.Labels, Predicted: n.Predicted, Probability: n.Probability, Rank: i + 1}
			}
			if err := writeJSONLine(w, v); err != nil {
				return err
			}
		}
		return nil
	}
	if partial {
		fmt.Fprintln(w, "PARTIAL: some shard of the remote index was unreachable; these results may miss items (--allow-partial)")
	}
	if len(ns) == 0 {
		fmt.Fprintln(w, "no matching items")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if byAttrs {
		fmt.Fprintln(tw, "rank\tid\tmatch\tpath\tlabels")
	} else {
		fmt.Fprintln(tw, "rank\tid\tdistance\tpath\tlabels")
	}
	for i, n := range ns {
		col := fmt.Sprintf("%.4f", n.Distance)
		if byAttrs {
			col = "known"
			if n.Predicted {
				col = fmt.Sprintf("predicted %.3f", n.Probability)
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", i+1, n.ID, col, relPath(n.Path), formatLabels(n.Labels))
	}
	return tw.Flush()
}

func formatLabels(l storage.Labels) string {
	if len(l) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if l[k] > 0 {
			parts = append(parts, k)
		}
	}
	if len(parts) == 0 {
		return "(all -1)"
	}
	return strings.Join(parts, ",")
}

// writeSheet draws the query, its stage-1 translation to the target and
// the neighbours in one captioned row.
func writeSheet(st *storage.Store, path string, query *image.RGBA, m *retrieval.Model, res *retrieval.Result) error {
	x, err := generator.RGBATensor(query, m.Size())
	if err != nil {
		return err
	}
	codes, err := m.Stage1.TranslationCodes(generator.CodeEncoder, x, [][]int8{res.Source}, [][]int8{res.Target}, nil, nil)
	if err != nil {
		return err
	}
	tr, err := m.Stage1.Translate(x, codes)
	if err != nil {
		return err
	}
	pair := []imageio.Tile{{Image: query, Caption: "query"}, {Image: generator.TensorImage(tr[0], m.Size()), Caption: "translated"}}
	nbs, err := storedTiles(st, res.Neighbours)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("neighbours for %s, nearest first", m.Schema().Format(res.Target))
	return writePNG(path, imageio.DrawSheet([]imageio.SheetRow{{Title: title, Groups: [][]imageio.Tile{pair, nbs}}}, st.ImageSize()))
}

// storedTiles are the stored images of neighbours, captioned with their ids.
func storedTiles(st *storage.Store, nbs []retrieval.Neighbour) ([]imageio.Tile, error) {
	var tiles []imageio.Tile
	for _, n := range nbs {
		png, err := st.Image(n.ID)
		if err != nil {
			return nil, err
		}
		img, err := imageio.DecodePNG(png)
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, imageio.Tile{Image: img, Caption: fmt.Sprintf("id:%d", n.ID)})
	}
	return tiles, nil
}

// warnPending says on stderr that a remote index lacks some items.
func warnPending(cmd *cobra.Command, d *retrieval.DB) {
	if d.URL != "" && d.Pending > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d items are pending for %s and cannot be found yet (run rgunit sync)\n", d.Pending, d.URL)
	}
	if n, err := d.St.Len(); d.URL == "" && err == nil && d.Len() < n {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: only %d of the %d items are indexed and can be found (run rgunit reindex --update)\n", d.Len(), n)
	}
}
