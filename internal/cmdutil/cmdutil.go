// Package cmdutil holds what rgunit's commands share: the --db flag, JSON
// lines, warnings and progress output. The product's rules live in
// package rgunit; this package only shapes command-line input and output.
package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/storage"
)

// DB is the --db value shared by the commands.
type DB struct{ Path string }

// DefaultDB is $RGUNIT_DB, else ./rgunit.db.
func DefaultDB() string {
	if p := os.Getenv("RGUNIT_DB"); p != "" {
		return p
	}
	return "rgunit.db"
}

// Register adds --db to cmd.
func (d *DB) Register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.Path, "db", DefaultDB(), "database file (default: $RGUNIT_DB, else ./rgunit.db)")
	cmd.Flags().Lookup("db").DefValue = "" // the usage says the default once
}

// Open opens the database with o (the library refuses to create one
// with o.Existing or o.ReadOnly: only ingest creates databases).
func (d *DB) Open(o rgunit.Options) (*rgunit.DB, error) { return rgunit.Open(d.Path, &o) }

// Store opens an existing database's store alone, for the benches.
func (d *DB) Store(write bool) (*storage.Store, error) {
	db, err := d.Open(rgunit.Options{ReadOnly: !write, Existing: true})
	if err != nil {
		return nil, err
	}
	return db.Store(), nil
}

// Ways commands open the database.
var (
	ReadOnly = rgunit.Options{ReadOnly: true}
	Existing = rgunit.Options{Existing: true}
)

// WriteJSONLine writes v as one JSON line.
func WriteJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// WriteJSONLines writes each element of vs as a JSON line.
func WriteJSONLines[T any](w io.Writer, vs []T) error {
	for _, v := range vs {
		if err := WriteJSONLine(w, v); err != nil {
			return err
		}
	}
	return nil
}

// Warn prints a warning, if any, on the command's stderr.
func Warn(cmd *cobra.Command, msg string) {
	if msg != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", msg)
	}
}
