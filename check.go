package rgunit

import (
	"context"
	"fmt"
	"io"

	"rgunit/retrieval"
)

// CheckResult is what Check found, and what its repair rebuilt.
type CheckResult struct {
	*retrieval.CheckReport
	Path     string `json:"path"`
	Repaired int    `json:"repaired,omitempty"` // items embedded and indexed again
}

// Check reads the whole database (see retrieval.Check). With repair (a
// database opened for writing) it rebuilds what is derivable from the
// items (embeddings, attribute posteriors, the index) and checks again;
// damaged items and images are not derivable.
func (d *DB) Check(ctx context.Context, repair bool) (*CheckResult, error) {
	r, err := retrieval.Check(d.st)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{CheckReport: r, Path: d.st.Path()}
	derivable := false
	for _, p := range r.Problems {
		derivable = derivable || p.Derivable
	}
	if !repair || !derivable || r.Version == 0 {
		return res, nil
	}
	s, err := d.Sync(ctx, true, nil)
	if err != nil {
		return res, fmt.Errorf("repair: %w", err)
	}
	res.Repaired = s.Indexed
	res.CheckReport, err = retrieval.Check(d.st)
	return res, err
}

// WriteText writes the result as rgunit check prints it.
func (r *CheckResult) WriteText(out io.Writer) error {
	if r.Repaired > 0 {
		fmt.Fprintf(out, "repair: %d items embedded and indexed again\n", r.Repaired)
	}
	fmt.Fprintf(out, "%s: %d items, %d indexed", r.Path, r.Items, r.Indexed)
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
		_, err := fmt.Fprintln(out, "no damage found")
		return err
	}
	return nil
}
