package rgunit

import (
	"context"
	"fmt"
	"image"
	"os"
	"strings"

	"rgunit/generator"
	"rgunit/imageio"
	"rgunit/retrieval"
)

// Query asks for the items that look like Source translated to Targets.
type Query struct {
	Source  string          // "face.png" or "id:42"
	Targets string          // "Blond_Hair,-Male": named attributes change, the others keep the source's values
	K       int             // results (0: 10)
	Ef      int             // search beam (0: the index's default)
	Filter  map[string]int8 // attribute -> required value (known label, else predicted)
	// Filters are filters as a user writes them ("Male=-1", ANDed): on
	// the model's attributes (a known label, else the prediction) or on
	// any other stored label (a known label), read with
	// retrieval.Session.ParseFilters.
	Filters []string
	// Image is an image file's bytes (an upload), the source instead of
	// Source, which then only names it.
	Image []byte
	// Nearest returns the plain nearest items, without requiring the
	// values Targets names (retrieval.Query.Nearest).
	Nearest bool
}

// Query returns the K items nearest to the embedding of (Source's
// content, the target attributes), never Source itself.
func (d *DB) Query(ctx context.Context, q Query) (*retrieval.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var src *Source
	var err error
	if q.Image != nil {
		src, err = d.loadQuerySource(q.Source, q.Image)
	} else {
		src, err = d.LoadQuerySource(q.Source)
	}
	if err != nil {
		return nil, err
	}
	return d.QuerySource(ctx, src, q)
}

// Index is the retrieval model and its index, opened on first use, for
// what this package does not cover (its state: Len, Pending, URL).
func (d *DB) Index() (*retrieval.Session, error) { return d.index() }

// LoadQuerySource reads a source ("face.png" or "id:42") as Query reads
// it, for QuerySource and QuerySheet.
func (d *DB) LoadQuerySource(spec string) (*Source, error) {
	if strings.HasPrefix(spec, "id:") {
		return d.loadQuerySource(spec, nil)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	return d.loadQuerySource(spec, data)
}

// LoadUpload reads an image file's bytes (an upload named name) as Query
// reads a source, for QuerySource and CheckSourceDomain.
func (d *DB) LoadUpload(name string, data []byte) (*Source, error) {
	return d.loadQuerySource(name, data)
}

func (d *DB) loadQuerySource(name string, data []byte) (*Source, error) {
	if err := d.needItems("add some with rgunit ingest"); err != nil {
		return nil, err
	}
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	return loadSource(d.st, name, data, idx.Model.Schema(), idx.Model.Size())
}

// QuerySource is Query with the source read already (q.Source is
// ignored).
func (d *DB) QuerySource(ctx context.Context, src *Source, q Query) (*retrieval.Result, error) {
	defer d.reading()()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	if q.K == 0 {
		q.K = 10
	}
	f, labels, err := idx.ParseFilters(q.Filters)
	if err != nil {
		return nil, err
	}
	for name, v := range q.Filter {
		f[name] = v
	}
	return idx.Query(ctx, retrieval.Query{Image: src.X, Source: src.Labels, Targets: q.Targets, K: q.K, Ef: q.Ef,
		Filter: f, Labels: labels, Exclude: src.ID, Nearest: q.Nearest})
}

// QuerySheet draws a query's answer in one captioned row: the source, its
// stage-1 translation to the target (what the query looks for) and the
// neighbours, nearest first, with their ids.
func (d *DB) QuerySheet(src *Source, res *retrieval.Result) (*image.RGBA, error) {
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	m := idx.Model
	codes, err := m.Stage1.TranslationCodes(generator.CodeEncoder, src.X, [][]int8{res.Source}, [][]int8{res.Target}, nil, nil)
	if err != nil {
		return nil, err
	}
	tr, err := m.Stage1.Translate(src.X, codes)
	if err != nil {
		return nil, err
	}
	pair := []imageio.Tile{{Image: src.Image, Caption: "query"}, {Image: generator.TensorImage(tr[0], m.Size()), Caption: "translated"}}
	ids := make([]uint64, len(res.Neighbours))
	for i, n := range res.Neighbours {
		ids[i] = n.ID
	}
	nbs, err := d.tiles(ids, "")
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("neighbours for %s, nearest first", m.Schema().Format(res.Target))
	return imageio.DrawSheet([]imageio.SheetRow{{Title: title, Groups: [][]imageio.Tile{pair, nbs}}}, d.st.ImageSize()), nil
}

// QueryAttrs returns up to k items with the target attributes: known
// labels first, then unlabelled items whose predicted attributes match,
// most probable first. Filters ("Male=-1", ANDed) may name the model's
// attributes or any stored label (see Query.Filters).
func (d *DB) QueryAttrs(ctx context.Context, targets string, k int, filters ...string) ([]retrieval.Neighbour, error) {
	defer d.reading()()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w: k must be positive (got %d)", retrieval.ErrQuery, k)
	}
	if err := d.needItems("add some with rgunit ingest"); err != nil {
		return nil, err
	}
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	f, labels, err := idx.ParseFilters(filters)
	if err != nil {
		return nil, err
	}
	return idx.QueryAttrs(targets, k, f, labels)
}

// needItems refuses an empty database with retrieval.ErrEmpty, saying
// what to do.
func (d *DB) needItems(todo string) error {
	n, err := d.st.Len()
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %s has no items (%s)", retrieval.ErrEmpty, d.st.Path(), todo)
	}
	return err
}
