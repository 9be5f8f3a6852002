package bench

import (
	"fmt"
	"slices"

	"rgunit/generator"
	"rgunit/ingest"
	"rgunit/storage"
)

// RetrievalItems loads the labelled items with their non-domain attributes
// (from the content file, else the items' other labels) and returns the
// content attribute names, for Retrieval.
func RetrievalItems(st *storage.Store, u *generator.UNIT, contentFile string) ([]RetrievalItem, []string, error) {
	s := u.Config.Schema
	d, err := generator.LoadDataset(st, s, u.Config.Arch.Size, 0)
	if err != nil {
		return nil, nil, err
	}
	var table *ingest.LabelTable
	var attrs []string
	if contentFile != "" {
		if table, err = ingest.LoadLabels(contentFile); err != nil {
			return nil, nil, err
		}
		attrs = table.Attrs
	} else {
		stats, err := st.Stats()
		if err != nil {
			return nil, nil, err
		}
		for a := range stats.Attributes {
			if s.Index(a) < 0 {
				attrs = append(attrs, a)
			}
		}
		slices.Sort(attrs)
		if len(attrs) == 0 {
			return nil, nil, fmt.Errorf("%s has no labels outside the model's attributes: pass --content", st.Path())
		}
	}
	items := make([]RetrievalItem, len(d.IDs))
	for i, id := range d.IDs {
		var labels storage.Labels
		if table != nil {
			key, ok := table.Match(d.Names[i], d.Names[i])
			if !ok {
				return nil, nil, fmt.Errorf("%s has no row for %s", contentFile, d.Names[i])
			}
			labels, _ = table.Row(key)
		} else {
			it, err := st.Get(id)
			if err != nil {
				return nil, nil, err
			}
			labels = it.Labels
		}
		c := make([]int8, len(attrs))
		for j, a := range attrs {
			c[j] = labels[a]
		}
		items[i] = RetrievalItem{ID: id, X: d.X[i], Labels: d.Labels[i], Content: c}
	}
	return items, attrs, nil
}
