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

type checkOptions struct {
	cmdutil.DB
	repair, asJSON bool
}

func (o *checkOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the report as JSON")
	cmd.Flags().BoolVar(&o.repair, "repair", false, "rebuild what is derivable (embeddings, attribute posteriors, the index) and say what is not")
}

func (o *checkOptions) run(cmd *cobra.Command, _ []string) error {
	return o.With(rgunit.Options{ReadOnly: !o.repair, Existing: true}, func(db *rgunit.DB) error {
		r, err := db.Check(cmd.Context(), o.repair)
		if err != nil {
			return err
		}
		if err := cmdutil.Print(cmd, o.asJSON, r); err != nil || r.OK() {
			return err
		}
		return fmt.Errorf("%w: %s (%d problems)", errDamaged, r.Path, len(r.Problems))
	})
}
