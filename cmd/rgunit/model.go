package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/guided"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Export, import and describe model bundles (a retrieval model with the RG-UNIT model trained over it)"}
	cmd.AddCommand(newModelExportCmd(), newModelImportCmd(), newModelInfoCmd())
	return cmd
}

func newModelExportCmd() *cobra.Command {
	var (
		db                  dbFlag
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
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			b, err := guided.Export(st, guided.Provenance{Command: command, Data: data, Commit: note,
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
	db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "bundle file to write")
	f.StringVar(&command, "command", "", "the command that trained the models (recorded)")
	f.StringVar(&data, "data", "", "the data they were trained on (recorded)")
	f.StringVar(&note, "commit", "", "the rgunit commit that trained them (recorded)")
	return cmd
}

func newModelImportCmd() *cobra.Command {
	var (
		db    dbFlag
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|default",
		Short: "Use a bundle's models in the database and index every item with them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := rgunit.Bundle(args[0])
			if err != nil {
				return err
			}
			st, err := db.open(true, false, 0)
			if err != nil {
				return err
			}
			d := rgunit.New(st, nil)
			defer d.Close()
			_, xp := ingestProgress(cmd, quiet)
			imp, s, err := d.ImportBundle(cmd.Context(), b, xp.onIndex)
			xp.finish()
			if imp != nil && !imp.Already {
				p := imp.Provenance
				fmt.Fprintf(cmd.OutOrStdout(), "models: bundle %s (retrieval version %d, rg-unit version %d; trained by %q on %s at commit %s)\n",
					p.ID(), imp.RetrievalVersion, imp.RGVersion, p.Command, p.Data, p.Commit)
			}
			if err != nil {
				return err
			}
			printSync(cmd.OutOrStdout(), s)
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

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
				return writeJSONLine(cmd.OutOrStdout(), p)
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
