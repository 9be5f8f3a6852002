package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/storage"
)

var errInterrupted = errors.New("interrupted")

// dbFlag is the --db value shared by the commands.
type dbFlag struct{ path string }

func defaultDB() string {
	if p := os.Getenv("RGUNIT_DB"); p != "" {
		return p
	}
	return "rgunit.db"
}

func (d *dbFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.path, "db", defaultDB(), "database file (default: $RGUNIT_DB, else ./rgunit.db)")
	cmd.Flags().Lookup("db").DefValue = "" // the usage says the default once
}

// open opens the database with o (the library refuses to create one
// with o.Existing or o.ReadOnly: only ingest creates databases).
func (d *dbFlag) open(o rgunit.Options) (*rgunit.DB, error) { return rgunit.Open(d.path, &o) }

// store opens the database's store alone, for the benches.
func (d *dbFlag) store(write bool) (*storage.Store, error) {
	db, err := d.open(rgunit.Options{ReadOnly: !write, Existing: true})
	if err != nil {
		return nil, err
	}
	return db.Store(), nil
}

// Ways commands open the database.
var (
	readOnly = rgunit.Options{ReadOnly: true}
	existing = rgunit.Options{Existing: true}
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rgunit",
		Short: "Retrieval-guided multi-domain image translation (RG-UNIT)",
		Long: `rgunit turns an image collection into a searchable, persistent retrieval
database and uses it to translate images between attribute domains.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       rgunit.Version().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newIngestCmd(), newLsCmd(), newStatsCmd(), newShowCmd(), newRmCmd(), newBenchCmd(), newDemoCmd(), newTrainCmd(), newTranslateCmd(), newReindexCmd(), newSyncCmd(), newQueryCmd(), newModelCmd(), newCheckCmd(), newServeCmd(), newVersionCmd(), newDupesCmd(), newExportCmd(), newPlotCmd())
	return root
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeJSONLines writes each element of vs as a JSON line.
func writeJSONLines[T any](w io.Writer, vs []T) error {
	for _, v := range vs {
		if err := writeJSONLine(w, v); err != nil {
			return err
		}
	}
	return nil
}

// warn prints a warning, if any, on stderr.
func warn(cmd *cobra.Command, msg string) {
	if msg != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", msg)
	}
}
