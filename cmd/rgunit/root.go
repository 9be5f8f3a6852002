package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

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
	cmd.Flags().StringVar(&d.path, "db", defaultDB(), "database file (default $RGUNIT_DB or ./rgunit.db)")
}

// open opens the database for reading, or for writing when write is set;
// only create makes a new file.
func (d *dbFlag) open(write, create bool, size int) (*storage.Store, error) {
	if !create {
		fi, err := os.Stat(d.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: %s (create one with rgunit ingest)", storage.ErrNoDatabase, d.path)
		case err == nil && fi.Mode().IsRegular() && fi.Size() == 0:
			// bbolt would make an empty file a new database: only ingest
			// creates databases.
			return nil, fmt.Errorf("%w: %s is an empty file, not an rgunit database (create one with rgunit ingest)", storage.ErrNoDatabase, d.path)
		}
	}
	return storage.Open(d.path, &storage.Options{ReadOnly: !write, ImageSize: size})
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rgunit",
		Short: "Retrieval-guided multi-domain image translation (RG-UNIT)",
		Long: `rgunit turns an image collection into a searchable, persistent retrieval
database and uses it to translate images between attribute domains.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newIngestCmd(), newLsCmd(), newStatsCmd(), newShowCmd(), newRmCmd(), newBenchCmd(), newDemoCmd(), newTrainCmd(), newTranslateCmd(), newReindexCmd(), newSyncCmd(), newQueryCmd(), newModelCmd(), newCheckCmd())
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
