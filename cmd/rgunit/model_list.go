package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

func newModelListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the shipped models: the embedded default and NAME.rgm files rgunit finds (--model NAME)",
		Long: `Lists the model embedded in the binary (default) and every NAME.rgm in the
models folders (rgunit looks in $RGUNIT_MODELS, then models/ beside the
executable and above it, then models/ in the working directory and above it),
with the data they were trained on, their resolution, attributes and licence
note. Any of them is given to a database by name: rgunit ingest --model NAME.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ms, err := rgunit.ShippedModels()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return cmdutil.WriteJSONLines(out, ms)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tBUNDLE\tSIZE\tATTRIBUTES\tDATA\tLICENCE")
			for _, m := range ms {
				p, where := m.Bundle, m.Path
				if m.Embedded {
					where = "embedded"
				}
				fmt.Fprintf(tw, "%s\t%s (%s)\t%d px, %s\t%s\t%s\t%s\n", m.Name, p.ID(), where, p.Size, rgunit.FormatBytes(m.Size),
					strings.Join(p.Attrs, ","), p.Data, m.Licence)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per model")
	return cmd
}
