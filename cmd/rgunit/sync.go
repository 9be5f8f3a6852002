package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/index"
	"rgunit/index/weaviate"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
	"rgunit/storage"
)

// syncIndex embeds and indexes the items missing from the index (all of
// them with rebuild), with a progress display.
func syncIndex(cmd *cobra.Command, db *rgunit.DB, rebuild, quiet bool) error {
	_, xp := ingestProgress(cmd, quiet)
	s, err := db.Sync(cmd.Context(), rebuild, xp.onIndex)
	xp.finish()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w after indexing %d items; run rgunit reindex to finish", errInterrupted, s.Added)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), s)
	return nil
}

// indexFlag is --index and --quantize: where a database keeps its
// retrieval index, and on which vectors.
type indexFlag struct{ url, quantize string }

func (f *indexFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "index", "", "keep the retrieval index on a Weaviate cluster (weaviate://HOST:PORT[/Prefix][?grpc=PORT]), or 'embedded' (in the database file); recorded in the database (default: its setting)")
	cmd.Flags().StringVar(&f.quantize, "quantize", "", "the embedded index's vectors: float, or sq8 (a byte per dimension: under half the memory); recorded in the database, an index on other vectors built again from the stored embeddings (default: its setting)")
}

// check validates the flags before anything is written.
func (f *indexFlag) check() error {
	if f.quantize != "" {
		if _, err := index.ParseQuantization(f.quantize); err != nil {
			return fmt.Errorf("--quantize: %w", err)
		}
	}
	if f.url == "" || f.url == "embedded" {
		return nil
	}
	_, err := weaviate.ParseURL(f.url)
	return err
}

// apply records the flags in st (every embedded item becomes pending for a
// new remote index; the next sync converts an index on other vectors).
func (f *indexFlag) apply(st *storage.Store) error {
	if f.quantize != "" {
		if err := retrieval.SetQuantize(st, f.quantize); err != nil {
			return err
		}
	}
	switch f.url {
	case "":
		return nil
	case "embedded":
		return retrieval.SetIndex(st, "")
	}
	return retrieval.SetIndex(st, f.url)
}

// moveAndSync records --index and --quantize in the database, then syncs
// its index.
func moveAndSync(cmd *cobra.Command, db *cmdutil.DB, idx *indexFlag, rebuild, quiet bool) error {
	if err := idx.check(); err != nil {
		return err
	}
	d, err := db.Open(cmdutil.Existing)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := idx.apply(d.Store()); err != nil {
		return err
	}
	return syncIndex(cmd, d, rebuild, quiet)
}

func newSyncCmd() *cobra.Command {
	var (
		db    cmdutil.DB
		idx   indexFlag
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push pending items to the remote index (and embed items not yet embedded)",
		Long: `With the index on a Weaviate cluster, ingest commits items to the database
file first and pushes their embeddings after; what the cluster has not
acknowledged (it was unreachable, or the command was stopped) is pending.
sync pushes the pending additions and deletions and embeds any item that has
no embedding yet. --index moves the index: to a cluster (every embedding is
pushed, nothing is embedded again) or back into the file ('embedded').`,
		Example: `  rgunit sync --db faces.db
  rgunit sync --db faces.db --index weaviate://127.0.0.1:8080/Faces?grpc=50051`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return moveAndSync(cmd, &db, &idx, false, quiet)
		},
	}
	db.Register(cmd)
	idx.register(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}
