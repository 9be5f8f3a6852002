package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/guided"
	"rgunit/internal/cmdutil"
)

func newModelInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE|default",
		Short: "Describe a bundle: what trained it, on what, its steps and checksums",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := rgunit.Bundle(args[0])
			if err != nil {
				return err
			}
			bd, err := guided.DecodeBundle(b)
			if err != nil {
				return err
			}
			p := bd.Provenance
			if asJSON {
				return cmdutil.WriteJSONLine(cmd.OutOrStdout(), p)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "bundle %s, %s\n", p.ID(), rgunit.FormatBytes(int64(len(b))))
			fmt.Fprintf(w, "command:    %s\ndata:       %s\ncommit:     %s\ncreated:    %s\n", p.Command, p.Data, p.Commit, p.Created)
			fmt.Fprintf(w, "model:      %d px, attributes %s, k %d\n", p.Size, strings.Join(p.Attrs, ","), p.K)
			fmt.Fprintf(w, "steps:      stage 1 %d, retrieval %d, rg-unit %d\n", p.Stage1Step, p.RetrievalStep, p.RGStep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the provenance as JSON")
	return cmd
}
