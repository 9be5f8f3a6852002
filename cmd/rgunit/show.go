package main

import (
	"errors"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type showOptions struct {
	cmdutil.DB
	out    string
	asJSON bool
}

func (o *showOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the metadata as JSON")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write the normalized image to this PNG file (- for stdout)")
}

func (o *showOptions) run(cmd *cobra.Command, args []string) error {
	id, err := rgunit.ParseID(args[0])
	if err != nil {
		return err
	}
	return o.View(func(db *rgunit.DB) error {
		it, err := db.Item(id)
		if err != nil {
			return err
		}
		if err := o.writeImage(cmd, db, id); err != nil || o.out == "-" {
			return err
		}
		if o.asJSON {
			return cmdutil.WriteJSONLine(cmd.OutOrStdout(), it)
		}
		return it.WriteText(cmd.OutOrStdout(), db.Store().ImageSize(), o.out)
	})
}

// writeImage writes the item's normalized image to --out, if given.
func (o *showOptions) writeImage(cmd *cobra.Command, db *rgunit.DB, id uint64) error {
	if o.out == "" {
		return nil
	}
	png, err := db.Image(id)
	if err != nil {
		return err
	}
	w, err := cmdutil.Create(cmd, o.out)
	if err != nil {
		return err
	}
	_, err = w.Write(png)
	return errors.Join(err, w.Close())
}
