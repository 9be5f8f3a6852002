package rgunit

import (
	"context"
	"fmt"

	"rgunit/retrieval"
)

// Query asks for the items that look like Source translated to Targets.
type Query struct {
	Source  string          // "face.png" or "id:42"
	Targets string          // "Blond_Hair,-Male": named attributes change, the others keep the source's values
	K       int             // results (0: 10)
	Ef      int             // search beam (0: the index's default)
	Filter  map[string]int8 // attribute -> required value (known label, else predicted)
}

// Query returns the K items nearest to the embedding of (Source's
// content, the target attributes), never Source itself.
func (d *DB) Query(ctx context.Context, q Query) (*retrieval.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tr, err := d.translator()
	if err != nil {
		return nil, err
	}
	m := tr.DB.Model
	src, err := LoadSource(d.st, q.Source, m.Schema(), m.Size())
	if err != nil {
		return nil, err
	}
	if q.K == 0 {
		q.K = 10
	}
	return tr.DB.Query(retrieval.Query{Image: src.X, Source: src.Labels, Targets: q.Targets, K: q.K, Ef: q.Ef,
		Filter: q.Filter, Exclude: src.ID})
}

// QueryAttrs returns up to k items with the target attributes: known
// labels first, then unlabelled items whose predicted attributes match,
// most probable first.
func (d *DB) QueryAttrs(ctx context.Context, targets string, k int) ([]retrieval.Neighbour, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w: k must be positive (got %d)", retrieval.ErrQuery, k)
	}
	tr, err := d.translator()
	if err != nil {
		return nil, err
	}
	return tr.DB.QueryAttrs(targets, k)
}
