package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type demoOptions struct{ o rgunit.DemoOptions }

func (o *demoOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.o.Data, "data", "", "folder of sample images (default: the faces embedded in the binary)")
	cmd.Flags().StringVar(&o.o.DB, "db", filepath.Join("rgunit-demo", "demo.db"), "database to create (replaced if present)")
}

func (o *demoOptions) run(cmd *cobra.Command, _ []string) error {
	files, index := cmdutil.NewPhase(cmd, "ingest", "img", false), cmdutil.NewPhase(cmd, "index", "img", false)
	o.o.Out, o.o.OnIngest, o.o.OnIndex = cmd.OutOrStdout(), files.Ingest, index.Steps
	sheet, err := rgunit.Demo(cmd.Context(), o.o)
	files.Finish()
	index.Finish()
	if errors.Is(err, rgunit.ErrDemoInterrupted) {
		return fmt.Errorf("%w: %w", cmdutil.ErrInterrupted, err)
	}
	if err == nil {
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "sheet (input | neighbours | output, one row per target): %s\n", sheet)
	}
	return err
}
