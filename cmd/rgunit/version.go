package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type versionOptions struct{ asJSON bool }

func (o *versionOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print one JSON object")
}

func (o *versionOptions) run(cmd *cobra.Command, _ []string) error {
	v := rgunit.Version()
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), v)
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), v)
	return err
}
