package retrieval

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"rgunit/imageio"
	"rgunit/index"
	"rgunit/storage"
)

// Problem is one kind of damage Check found, with the items it concerns
// (the first few).
type Problem struct {
	What       string   `json:"what"`
	Count      int      `json:"count"`
	IDs        []uint64 `json:"ids,omitempty"`
	Derivable  bool     `json:"derivable"` // rgunit check --repair rebuilds it
	firstError string
}

// CheckReport is what Check found.
type CheckReport struct {
	Items    int       `json:"items"`
	Version  uint64    `json:"retrieval_version,omitempty"` // 0: no retrieval model
	Indexed  int       `json:"indexed"`
	Problems []Problem `json:"problems"`
}

// OK reports whether nothing is damaged.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// maxListed is how many ids a problem lists.
const maxListed = 20

func (r *CheckReport) add(what string, derivable bool, id uint64, err error) {
	i := slices.IndexFunc(r.Problems, func(p Problem) bool { return p.What == what })
	if i < 0 {
		r.Problems = append(r.Problems, Problem{What: what, Derivable: derivable})
		i = len(r.Problems) - 1
		if err != nil {
			r.Problems[i].firstError = err.Error()
		}
	}
	p := &r.Problems[i]
	p.Count++
	if id != 0 && len(p.IDs) < maxListed {
		p.IDs = append(p.IDs, id)
	}
}

// Check reads the whole database: bbolt's page consistency, every item
// and its image (decoded), and, under the latest retrieval model, that
// every item has an embedding, attribute posteriors and an index entry and
// that the index has no entry without an item and reaches every entry.
func Check(st *storage.Store) (*CheckReport, error) {
	r := &CheckReport{}
	for _, err := range st.Check() {
		// bbolt reports its recovered assertions as "panic: ...".
		r.add("bbolt page problems", false, 0, errors.New(strings.TrimPrefix(err.Error(), "panic: ")))
	}
	ids := r.checkItems(st)
	r.checkModels(st)
	m, ver, err := Load(st)
	if errors.Is(err, ErrNoModel) {
		return r, nil
	}
	if err != nil {
		r.add("a retrieval model that does not decode", false, 0, err)
		return r, nil
	}
	r.Version = ver
	has := func(set string) map[uint64]bool {
		out := map[uint64]bool{}
		if err := st.ForEachVector(set, func(id uint64, v []float32) error {
			out[id] = len(v) > 0
			return nil
		}); err != nil {
			r.add("vectors that do not decode ("+set+")", true, 0, err)
		}
		return out
	}
	embs, attrs := has(vectorName(ver)), has(attrsName(ver))
	url, err := st.IndexURL()
	if err != nil {
		return nil, err
	}
	var indexed map[uint64]bool // nil: a remote index, or none that opens
	if url == "" {
		indexed = r.checkIndex(st, m, ver, ids)
	}
	for _, id := range ids {
		if !embs[id] {
			r.add("items without an embedding", true, id, nil)
		}
		if !attrs[id] {
			r.add("items without attribute posteriors", true, id, nil)
		}
		if indexed != nil && !indexed[id] {
			r.add("items not in the index", true, id, nil)
		}
	}
	return r, nil
}

// checkItems decodes every item and its image, and returns the ids.
func (r *CheckReport) checkItems(st *storage.Store) []uint64 {
	var ids []uint64
	if err := st.ForEach(func(it storage.Item) error {
		ids = append(ids, it.ID)
		return nil
	}); err != nil {
		r.add("items that do not decode", false, 0, err)
	}
	r.Items = len(ids)
	for _, id := range ids {
		png, err := st.Image(id)
		if err == nil {
			_, err = imageio.DecodePNG(png)
		}
		if err != nil {
			r.add("images missing or not decoding", false, id, err)
		}
	}
	return ids
}

// checkModels reads every stored model version (each read checks its
// checksum).
func (r *CheckReport) checkModels(st *storage.Store) {
	vers, err := st.ModelVersions()
	if err != nil {
		r.add("models that cannot be listed", false, 0, err)
	}
	for _, name := range slices.Sorted(maps.Keys(vers)) {
		for _, v := range vers[name] {
			if _, _, err := st.Model(name, v); err != nil {
				r.add("model versions damaged (train or import them again)", false, 0, err)
			}
		}
	}
}

// checkIndex opens the embedded index of version ver, checks that every
// entry is reachable and has an item among ids, and returns its ids (nil
// when it does not open).
func (r *CheckReport) checkIndex(st *storage.Store, m *Model, ver uint64, ids []uint64) map[uint64]bool {
	idx, err := openIndex(st, m, ver, false)
	if err != nil {
		r.add("an index that does not open", true, 0, err)
		return nil
	}
	defer idx.Close()
	r.Indexed = idx.Len()
	for _, id := range idx.Check().Unreachable {
		r.add("index entries no search reaches", true, id, nil)
	}
	stored := map[uint64]bool{}
	for _, id := range ids {
		stored[id] = true
	}
	indexed := map[uint64]bool{}
	for _, id := range idx.IDs() {
		indexed[id] = true
		if !stored[id] {
			r.add("index entries without an item", true, id, nil)
		}
	}
	return indexed
}

// String describes a problem in one line.
func (p Problem) String() string {
	s := fmt.Sprintf("%d %s", p.Count, p.What)
	if len(p.IDs) > 0 {
		s += fmt.Sprintf(" (ids %v", p.IDs)
		if p.Count > len(p.IDs) {
			s += " ..."
		}
		s += ")"
	}
	if p.firstError != "" {
		s += ": " + p.firstError
	}
	return s
}

// EmbeddedIndex describes the embedded index of the latest retrieval
// version: Items is -1 when there is none (no model, a remote index, not
// built yet).
type EmbeddedIndex struct {
	Items    int    `json:"items"`
	Quantize string `json:"quantize,omitempty"` // "sq8"; "" for float
	// MemoryBytes is what the index holds in memory once open.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
}

// Embedded describes the embedded index (see EmbeddedIndex).
func Embedded(st *storage.Store) (EmbeddedIndex, error) {
	none := EmbeddedIndex{Items: -1}
	m, ver, err := Load(st)
	if errors.Is(err, ErrNoModel) {
		return none, nil
	}
	if err != nil {
		return none, err
	}
	if url, err := st.IndexURL(); err != nil || url != "" {
		return none, err
	}
	names, err := st.Indexes()
	if err != nil || !slices.Contains(names, indexName(ver)) {
		return none, err
	}
	idx, err := openIndex(st, m, ver, false)
	if err != nil {
		return none, err
	}
	defer idx.Close()
	e := EmbeddedIndex{Items: idx.Len(), MemoryBytes: idx.MemoryBytes()}
	if q := idx.Quantization(); q != index.Float {
		e.Quantize = q.String()
	}
	return e, nil
}
