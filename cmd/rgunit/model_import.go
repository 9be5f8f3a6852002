package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type modelImportOptions struct {
	cmdutil.DB
	quiet bool
}

func (o *modelImportOptions) addFlags(cmd *cobra.Command) {
	cmdutil.QuietFlag(cmd, &o.quiet)
}

func (o *modelImportOptions) run(cmd *cobra.Command, args []string) error {
	b, err := rgunit.Bundle(args[0])
	if err != nil {
		return err
	}
	return o.Update(func(db *rgunit.DB) error {
		p := cmdutil.NewPhase(cmd, "index", "img", o.quiet)
		imp, s, err := db.ImportBundle(cmd.Context(), b, p.Steps)
		p.Finish()
		if imp != nil && !imp.Already {
			fmt.Fprintln(cmd.OutOrStdout(), imp)
		}
		if err == nil {
			_, err = fmt.Fprintln(cmd.OutOrStdout(), s)
		}
		return err
	})
}
