package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"rgunit/retrieval"
)

// errDamaged makes check exit with status 1 when it found damage.
var errDamaged = errors.New("the database is damaged")

// checkOptions are the flags of rgunit check.
type checkOptions struct {
	db     dbFlag
	repair bool
	asJSON bool
}

func (o *checkOptions) addFlags(cmd *cobra.Command) {
	o.db.register(cmd)
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
	st, err := o.db.open(o.repair, false, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := retrieval.Check(st)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.repair && !r.OK() && r.Version != 0 {
		derivable := false
		for _, p := range r.Problems {
			derivable = derivable || p.Derivable
		}
		if derivable {
			m, ver, err := retrieval.Load(st)
			if err != nil {
				return err
			}
			s, err := retrieval.Sync(cmd.Context(), st, m, ver, retrieval.SyncOptions{Rebuild: true})
			if err != nil {
				return fmt.Errorf("repair: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "repair: %d items embedded and indexed again\n", s.Indexed)
			if r, err = retrieval.Check(st); err != nil {
				return err
			}
		}
	}
	if o.asJSON {
		if err := writeJSONLine(out, r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "%s: %d items, %d indexed", st.Path(), r.Items, r.Indexed)
		if r.Version != 0 {
			fmt.Fprintf(out, " (retrieval version %d)", r.Version)
		}
		fmt.Fprintln(out)
		for _, p := range r.Problems {
			how := "not derivable: restore a backup"
			if p.Derivable {
				how = "derivable: rgunit check --repair rebuilds it"
			}
			fmt.Fprintf(out, "  %s [%s]\n", p, how)
		}
		if r.OK() {
			fmt.Fprintln(out, "no damage found")
		}
	}
	if !r.OK() {
		return fmt.Errorf("%w: %s (%d problems)", errDamaged, st.Path(), len(r.Problems))
	}
	return nil
}
