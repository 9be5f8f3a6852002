// Package cmdutil holds what rgunit's commands share: their help files,
// the shared flags (--db and its View/Update, --json, --quiet), JSON lines
// and text results, warnings, progress and training displays, and the
// process's exit status. The product's rules live in package rgunit; this
// package only shapes command-line input and output.
package cmdutil

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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

// View runs fn on the database opened read-only (several readers can
// hold it at once), then closes it.
func (d *DB) View(fn func(*rgunit.DB) error) error { return d.With(ReadOnly, fn) }

// Update runs fn on the existing database opened for writing, then closes
// it.
func (d *DB) Update(fn func(*rgunit.DB) error) error { return d.With(Existing, fn) }

// With runs fn on the database opened with o, then closes it.
func (d *DB) With(o rgunit.Options, fn func(*rgunit.DB) error) error {
	db, err := d.Open(o)
	if err != nil {
		return err
	}
	return errors.Join(fn(db), db.Close())
}

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

// JSONFlag registers --json: print the result as JSON (usage says how).
func JSONFlag(cmd *cobra.Command, p *bool, usage string) {
	cmd.Flags().BoolVar(p, "json", false, usage)
}

// QuietFlag registers -q, --quiet: no progress output.
func QuietFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVarP(p, "quiet", "q", false, "no progress output")
}

// Texter is a result that prints itself as text.
type Texter interface{ WriteText(w io.Writer) error }

// Print prints v on the command's stdout: one JSON line with --json, else
// its text.
func Print(cmd *cobra.Command, asJSON bool, v Texter) error {
	if asJSON {
		return WriteJSONLine(cmd.OutOrStdout(), v)
	}
	return v.WriteText(cmd.OutOrStdout())
}

// ArgsFrom returns args and then the lines of file (--from: - is stdin;
// blank lines and # comments are skipped).
func ArgsFrom(cmd *cobra.Command, file string, args []string) ([]string, error) {
	if file == "" {
		return args, nil
	}
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		defer f.Close()
		r = f
	}
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); l != "" && !strings.HasPrefix(l, "#") {
			args = append(args, l)
		}
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("--from %s names no source", file)
	}
	return args, nil
}

// DomainWarning warns, once per command, of a source image far from the
// images the model was trained on.
type DomainWarning struct{ warned bool }

// Check checks src (a stored item was checked when it was ingested).
func (w *DomainWarning) Check(cmd *cobra.Command, db *rgunit.DB, src *rgunit.Source) {
	if w.warned || src.ID != 0 {
		return
	}
	c, _ := db.CheckSourceDomain(src)
	w.warned = c.Warning() != ""
	Warn(cmd, c.Warning())
}

// Create creates the file path, or with path "-" returns the command's
// stdout (which Close leaves open).
func Create(cmd *cobra.Command, path string) (io.WriteCloser, error) {
	if path == "-" {
		return nopCloser{cmd.OutOrStdout()}, nil
	}
	return os.Create(path)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// PrintAll prints each of vs as Print does.
func PrintAll[T Texter](cmd *cobra.Command, asJSON bool, vs []T) error {
	for _, v := range vs {
		if err := Print(cmd, asJSON, v); err != nil {
			return err
		}
	}
	return nil
}
