package main

import (
	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type statsOptions struct {
	cmdutil.DB
	asJSON bool
}

func (o *statsOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print one JSON object")
}

func (o *statsOptions) run(cmd *cobra.Command, _ []string) error {
	return o.View(func(db *rgunit.DB) error {
		s, err := db.Stats()
		if err != nil {
			return err
		}
		return cmdutil.Print(cmd, o.asJSON, s)
	})
}
