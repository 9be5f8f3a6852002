package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
)

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
