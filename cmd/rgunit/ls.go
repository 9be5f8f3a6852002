package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"rgunit/storage"
)

// itemJSON is the --json form of an item.
type itemJSON struct {
	ID     uint64         `json:"id"`
	Path   string         `json:"path"`
	Width  int            `json:"width"`
	Height int            `json:"height"`
	Labels storage.Labels `json:"labels,omitempty"`
	SHA256 string         `json:"sha256"`
	Added  time.Time      `json:"added"`
}

func toJSON(it storage.Item) itemJSON {
	return itemJSON{ID: it.ID, Path: it.Path, Width: it.Width, Height: it.Height, Labels: it.Labels,
		SHA256: hex.EncodeToString(it.Hash[:]), Added: it.Added}
}

type lsOptions struct {
	db                   dbFlag
	asJSON               bool
	limit                int
	labelled, unlabelled bool
}

func newLsCmd() *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the items in the database",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per line")
	f.IntVarP(&o.limit, "limit", "n", 0, "list at most N items (0: all)")
	f.BoolVar(&o.labelled, "labelled", false, "only items with labels")
	f.BoolVar(&o.unlabelled, "unlabelled", false, "only items without labels")
	return cmd
}

func (o *lsOptions) run(cmd *cobra.Command) error {
	if o.labelled && o.unlabelled {
		return errors.New("--labelled and --unlabelled exclude each other")
	}
	if o.limit < 0 {
		return fmt.Errorf("-n %d: want a count (0: all)", o.limit)
	}
	st, err := o.db.open(false, false, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if !o.asJSON {
		fmt.Fprintln(tw, "ID\tSIZE\tLABELS\tPATH")
	}
	n := 0
	errStop := errors.New("stop")
	err = st.ForEach(func(it storage.Item) error {
		if (o.labelled && !it.Labelled()) || (o.unlabelled && it.Labelled()) {
			return nil
		}
		if o.limit > 0 && n >= o.limit {
			return errStop
		}
		n++
		if o.asJSON {
			return writeJSONLine(out, toJSON(it))
		}
		lab := it.Labels.String()
		if lab == "" {
			lab = "-"
		}
		fmt.Fprintf(tw, "%d\t%dx%d\t%s\t%s\n", it.ID, it.Width, it.Height, lab, printable(relPath(it.Path)))
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return tw.Flush()
}

// printable quotes a file name that holds control characters (a newline or
// a tab would break the listing's lines and columns); others print as they
// are.
func printable(name string) string {
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return strconv.Quote(name)
		}
	}
	return name
}
