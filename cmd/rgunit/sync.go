package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

// indexFlags are --index and --quantize: where a database keeps its
// retrieval index, and on which vectors.
type indexFlags struct{ rgunit.IndexSettings }

func (f *indexFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.URL, "index", "", "keep the retrieval index on a Weaviate cluster (weaviate://HOST:PORT[/Prefix][?grpc=PORT]), or 'embedded' (in the database file); recorded in the database (default: its setting)")
	cmd.Flags().StringVar(&f.Quantize, "quantize", "", "the embedded index's vectors: float, or sq8 (a byte per dimension: under half the memory); recorded in the database, an index on other vectors built again from the stored embeddings (default: its setting)")
}

// syncOptions are rgunit sync's, and rgunit reindex's with reindex set:
// reindex rebuilds the index, unless --update (only what is missing) or
// --quantize (the stored embeddings are converted, nothing is embedded
// again).
type syncOptions struct {
	cmdutil.DB
	idx                    indexFlags
	quiet, reindex, update bool
}

func (o *syncOptions) addFlags(cmd *cobra.Command) {
	o.idx.register(cmd)
	cmdutil.QuietFlag(cmd, &o.quiet)
	if o.reindex {
		cmd.Flags().BoolVar(&o.update, "update", false, "only add the items missing from the index")
	}
}

// run records --index and --quantize in the database, then syncs its
// index.
func (o *syncOptions) run(cmd *cobra.Command, _ []string) error {
	if err := o.idx.Check(); err != nil {
		return err
	}
	return o.Update(func(db *rgunit.DB) error {
		if err := db.SetIndex(o.idx.IndexSettings); err != nil {
			return err
		}
		return syncIndex(cmd, db, o.reindex && !o.update && o.idx.Quantize == "", o.quiet)
	})
}

// syncIndex embeds and indexes the items missing from the index (all of
// them with rebuild), with a progress display.
func syncIndex(cmd *cobra.Command, db *rgunit.DB, rebuild, quiet bool) error {
	p := cmdutil.NewPhase(cmd, "index", "img", quiet)
	s, err := db.Sync(cmd.Context(), rebuild, p.Steps)
	p.Finish()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w after indexing %d items; run rgunit reindex to finish", cmdutil.ErrInterrupted, s.Added)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), s)
	return err
}
