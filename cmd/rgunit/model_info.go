package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/guided"
	"rgunit/internal/cmdutil"
)

type modelInfoOptions struct{ asJSON bool }

func (o *modelInfoOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the provenance as JSON")
}

func (o *modelInfoOptions) run(cmd *cobra.Command, args []string) error {
	b, err := rgunit.Bundle(args[0])
	if err != nil {
		return err
	}
	bd, err := guided.DecodeBundle(b)
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), bd.Provenance)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "bundle %s, %s\n", bd.Provenance.ID(), rgunit.FormatBytes(int64(len(b))))
	return bd.Provenance.WriteText(cmd.OutOrStdout())
}
