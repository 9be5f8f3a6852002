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

type modelExportOptions struct {
	cmdutil.DB
	out string
	p   guided.Provenance
}

func (o *modelExportOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "bundle file to write")
	f.StringVar(&o.p.Command, "command", "", "the command that trained the models (recorded)")
	f.StringVar(&o.p.Data, "data", "", "the data they were trained on (recorded)")
	f.StringVar(&o.p.Commit, "commit", "", "the rgunit commit that trained them (recorded)")
}

func (o *modelExportOptions) run(cmd *cobra.Command, _ []string) error {
	if o.out == "" {
		return fmt.Errorf("--out is required")
	}
	o.p.Created = time.Now().UTC().Format(time.RFC3339)
	return o.View(func(db *rgunit.DB) error {
		b, err := db.ExportBundle(o.p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, b, 0o644); err != nil {
			return err
		}
		bd, err := guided.DecodeBundle(b)
		if err != nil {
			return err
		}
		p := bd.Provenance
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, bundle %s (stage 1 step %d, retrieval step %d, rg-unit step %d, k %d)\n",
			o.out, rgunit.FormatBytes(int64(len(b))), p.ID(), p.Stage1Step, p.RetrievalStep, p.RGStep, p.K)
		return err
	})
}
