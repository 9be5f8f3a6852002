package main

import (
	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type modelListOptions struct{ asJSON bool }

func (o *modelListOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per model")
}

func (o *modelListOptions) run(cmd *cobra.Command, _ []string) error {
	ms, err := rgunit.ShippedModels()
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLines(cmd.OutOrStdout(), ms)
	}
	return rgunit.WriteModels(cmd.OutOrStdout(), ms)
}
