package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"rgunit/ingest"
)

func newDemoCmd() *cobra.Command {
	var (
		data string
		dbp  string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Ingest the shipped sample faces into a fresh database and print its stats",
		Long: `demo runs rgunit's main job on the data shipped in the repository: it creates
a fresh database, ingests testdata/faces with its labels, and prints the
database's statistics. Nothing outside the repository is read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := &ingest.Options{}
			if lf := filepath.Join(data, "list_attr.txt"); fileExists(lf) {
				t, err := ingest.LoadLabels(lf)
				if err != nil {
					return err
				}
				opts.Labels = t
			}
			if err := os.MkdirAll(filepath.Dir(dbp), 0o755); err != nil {
				return err
			}
			if err := os.Remove(dbp); err != nil && !os.IsNotExist(err) {
				return err
			}
			db := dbFlag{path: dbp}
			st, err := db.open(true, true, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "== rgunit ingest %s --labels %s --db %s\n", data, filepath.Join(data, "list_attr.txt"), dbp)
			sum, err := runIngest(cmd, st, []string{data}, opts, false)
			if err != nil {
				return err
			}
			printIngestSummary(out, st, sum)
			if sum.Interrupted {
				return errInterrupted
			}
			fmt.Fprintf(out, "\n== rgunit stats --db %s\n", dbp)
			return printStats(out, st, false)
		},
	}
	cmd.Flags().StringVar(&data, "data", "testdata/faces", "folder of sample images")
	cmd.Flags().StringVar(&dbp, "db", filepath.Join("rgunit-demo", "demo.db"), "database to create (replaced if present)")
	return cmd
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
