package main

import (
	"os"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type showOptions struct {
	db     cmdutil.DB
	out    string
	asJSON bool
}

func newShowCmd() *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print an item's metadata; --out writes its normalized image as PNG",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.db.Register(cmd)
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write the normalized image to this PNG file (- for stdout)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the metadata as JSON")
	return cmd
}

func (o *showOptions) run(cmd *cobra.Command, arg string) error {
	id, err := rgunit.ParseID(arg)
	if err != nil {
		return err
	}
	db, err := o.db.Open(cmdutil.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	it, err := db.Item(id)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.out != "" {
		png, err := db.Image(id)
		switch {
		case err != nil:
			return err
		case o.out == "-":
			_, err = w.Write(png)
			return err
		}
		if err := os.WriteFile(o.out, png, 0o644); err != nil {
			return err
		}
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(w, it)
	}
	return it.WriteText(w, db.Store().ImageSize(), o.out)
}
