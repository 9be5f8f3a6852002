package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

// errDamaged makes check exit with status 1 when it found damage.
var errDamaged = errors.New("the database is damaged")

// checkOptions are the flags of rgunit check.
type checkOptions struct {
	db     cmdutil.DB
	repair bool
	asJSON bool
}

func (o *checkOptions) addFlags(cmd *cobra.Command) {
	o.db.Register(cmd)
	cmd.Flags().BoolVar(&o.repair, "repair", false, "rebuild what is derivable (embeddings, attribute posteriors, the index) and say what is not")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
}

func newCheckCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check a database for damage: pages, items, images, embeddings, attributes and the index",
		Long: `Reads the whole database: bbolt's page consistency, every item and its
image, and, under the retrieval model, that every item has an embedding,
attribute posteriors and an index entry, and that the index has no entry
without an item. Exits with status 1 when anything is damaged. --repair
rebuilds what can be derived from the items (embeddings, attributes, the
index); damaged items and images cannot be: restore a backup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *checkOptions) run(cmd *cobra.Command) error {
	db, err := o.db.Open(rgunit.Options{ReadOnly: !o.repair, Existing: true})
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.Check(cmd.Context(), o.repair)
	if err != nil {
		return err
	}
	if o.asJSON {
		err = cmdutil.WriteJSONLine(cmd.OutOrStdout(), r)
	} else {
		err = r.WriteText(cmd.OutOrStdout())
	}
	if err == nil && !r.OK() {
		err = fmt.Errorf("%w: %s (%d problems)", errDamaged, r.Path, len(r.Problems))
	}
	return err
}
