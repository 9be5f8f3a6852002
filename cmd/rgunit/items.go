package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
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

func newLsCmd() *cobra.Command {
	var (
		db         dbFlag
		asJSON     bool
		limit      int
		labelled   bool
		unlabelled bool
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the items in the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if labelled && unlabelled {
				return errors.New("--labelled and --unlabelled exclude each other")
			}
			if limit < 0 {
				return fmt.Errorf("-n %d: want a count (0: all)", limit)
			}
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, "ID\tSIZE\tLABELS\tPATH")
			}
			n := 0
			errStop := errors.New("stop")
			err = st.ForEach(func(it storage.Item) error {
				if (labelled && !it.Labelled()) || (unlabelled && it.Labelled()) {
					return nil
				}
				if limit > 0 && n >= limit {
					return errStop
				}
				n++
				if asJSON {
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
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.Flags().IntVarP(&limit, "limit", "n", 0, "list at most N items (0: all)")
	cmd.Flags().BoolVar(&labelled, "labelled", false, "only items with labels")
	cmd.Flags().BoolVar(&unlabelled, "unlabelled", false, "only items without labels")
	return cmd
}

func newStatsCmd() *cobra.Command {
	var (
		db     dbFlag
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarize the database: items, labels, size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			return printStats(cmd.OutOrStdout(), st, asJSON)
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// printStats prints the database summary, as text or one JSON object.
func printStats(out io.Writer, st *storage.Store, asJSON bool) error {
	s, err := rgunit.New(st, nil).Stats()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSONLine(out, s)
	}
	return s.WriteText(out)
}

func newShowCmd() *cobra.Command {
	var (
		db     dbFlag
		out    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print an item's metadata; --out writes its normalized image as PNG",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := rgunit.ParseID(args[0])
			if err != nil {
				return err
			}
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			it, err := st.Get(id)
			if err != nil {
				return err
			}
			if out != "" {
				png, err := st.Image(id)
				if err != nil {
					return err
				}
				if out == "-" {
					_, err = cmd.OutOrStdout().Write(png)
					return err
				}
				if err := os.WriteFile(out, png, 0o644); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONLine(w, toJSON(it))
			}
			lab := it.Labels.String()
			if lab == "" {
				lab = "(unlabelled)"
			}
			fmt.Fprintf(w, "id       %d\npath     %s\nsize     %dx%d (stored %dx%d)\nlabels   %s\nsha256   %x\nadded    %s\n",
				it.ID, it.Path, it.Width, it.Height, st.ImageSize(), st.ImageSize(), lab, it.Hash, it.Added.Local().Format(time.RFC3339))
			if out != "" {
				fmt.Fprintf(w, "image    %s\n", out)
			}
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the normalized image to this PNG file (- for stdout)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metadata as JSON")
	return cmd
}

func newRmCmd() *cobra.Command {
	var db dbFlag
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
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			d := rgunit.New(st, nil)
			defer d.Close()
			if err := d.Remove(cmd.Context(), ids...); err != nil {
				return err
			}
			slices.Sort(ids)
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d items\n", len(slices.Compact(ids)))
			return nil
		},
	}
	db.register(cmd)
	return cmd
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
