package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/guided"
	"rgunit/internal/cmdutil"
)

func newModelExportCmd() *cobra.Command {
	var (
		db                  cmdutil.DB
		out                 string
		command, data, note string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the database's retrieval and RG-UNIT models to a bundle file",
		Long: `Writes the latest retrieval model and the RG-UNIT model trained over it, without
optimizer state, with a record of what made them: --command (the command
that trained them), --data and --commit, which other databases show after
importing the bundle.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			d, err := db.Open(cmdutil.ReadOnly)
			if err != nil {
				return err
			}
			defer d.Close()
			b, err := d.ExportBundle(guided.Provenance{Command: command, Data: data, Commit: note,
				Created: time.Now().UTC().Format(time.RFC3339)})
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			bd, err := guided.DecodeBundle(b)
			if err != nil {
				return err
			}
			p := bd.Provenance
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, bundle %s (stage 1 step %d, retrieval step %d, rg-unit step %d, k %d)\n",
				out, rgunit.FormatBytes(int64(len(b))), p.ID(), p.Stage1Step, p.RetrievalStep, p.RGStep, p.K)
			return nil
		},
	}
	db.Register(cmd)
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "bundle file to write")
	f.StringVar(&command, "command", "", "the command that trained the models (recorded)")
	f.StringVar(&data, "data", "", "the data they were trained on (recorded)")
	f.StringVar(&note, "commit", "", "the rgunit commit that trained them (recorded)")
	return cmd
}
