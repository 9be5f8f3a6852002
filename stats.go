package rgunit

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/guided"
	"rgunit/retrieval"
	"rgunit/storage"
)

// Stats summarizes a database: its items and labels, size, models and
// index (what rgunit stats prints).
type Stats struct {
	storage.Stats
	Path          string  `json:"path"`
	BytesPerImage float64 `json:"bytes_per_image"`
	// Items whose attributes (for the retrieval model's schema) are
	// partly or wholly predicted by E_a rather than known labels.
	PredictedAttributes int `json:"predicted_attributes"`
	// WithPredicted is the items that have predicted attributes stored.
	WithPredicted int `json:"-"`
	// Latest version of each model (0: none) and, when they came from a
	// bundle, its provenance.
	Models map[string]uint64  `json:"models"`
	Bundle *guided.Provenance `json:"bundle,omitempty"`
	// Index is the remote index ("" for the embedded one); Pending, the
	// items it has not acknowledged (rgunit sync pushes them).
	Index   string `json:"index,omitempty"`
	Pending int    `json:"pending"`
	// Indexed is the items in the embedded index (-1: none): fewer than
	// Items after an interrupted indexing (rgunit reindex --update).
	Indexed int `json:"indexed"`
	// IndexVectors is how the embedded index keeps its vectors ("sq8";
	// "" for float), IndexMemory what it holds in memory once open.
	IndexVectors string `json:"index_vectors,omitempty"`
	IndexMemory  int64  `json:"index_memory_bytes,omitempty"`
}

// Stats summarizes the database.
func (d *DB) Stats() (*Stats, error) {
	st := d.st
	s, err := st.Stats()
	if err != nil {
		return nil, err
	}
	sj := &Stats{Stats: s, Path: st.Path()}
	pred, withPred, err := retrieval.PredictedCount(st)
	if err != nil {
		return nil, err
	}
	sj.PredictedAttributes, sj.WithPredicted = pred, withPred
	sj.Models = map[string]uint64{}
	for _, name := range []string{generator.ModelName, retrieval.ModelName, rg.ModelName} {
		_, ver, err := st.Model(name, 0)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		sj.Models[name] = ver
	}
	if sj.Bundle, err = guided.ImportedProvenance(st); err != nil {
		return nil, err
	}
	if sj.Index, err = retrieval.IndexURL(st); err != nil {
		return nil, err
	}
	if sj.Pending, err = retrieval.PendingCount(st); err != nil {
		return nil, err
	}
	e, err := retrieval.Embedded(st)
	if err != nil {
		return nil, err
	}
	sj.Indexed, sj.IndexVectors, sj.IndexMemory = e.Items, e.Quantize, e.MemoryBytes
	if s.Items > 0 {
		sj.BytesPerImage = float64(max(s.SizeBytes-s.ModelBytes, 0)) / float64(s.Items) // the models are not the images' cost
	}
	return sj, nil
}

// WriteText writes the summary as rgunit stats prints it.
func (sj *Stats) WriteText(out io.Writer) error {
	s := sj.Stats
	fmt.Fprintf(out, "database   %s (schema %d, %dx%d images)\n", sj.Path, s.Schema, s.ImageSize, s.ImageSize)
	fmt.Fprintf(out, "items      %d (%d labelled, %d unlabelled)\n", s.Items, s.Labelled, s.Unlabelled)
	fmt.Fprintf(out, "size       %s (%s per image without the models; images %s, models %s)\n", FormatBytes(s.SizeBytes), FormatBytes(int64(sj.BytesPerImage)), FormatBytes(s.ImageBytes), FormatBytes(s.ModelBytes))
	if len(s.Attributes) > 0 {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "attribute\t+1\t-1\tunknown\t")
		names := make([]string, 0, len(s.Attributes))
		for n := range s.Attributes {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			c := s.Attributes[n]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", n, c.Pos, c.Neg, s.Items-c.Pos-c.Neg)
		}
		tw.Flush()
	}
	if sj.WithPredicted > 0 {
		fmt.Fprintf(out, "attributes %d items with predicted attributes (E_a), %d with known labels only\n", sj.PredictedAttributes, sj.WithPredicted-sj.PredictedAttributes)
	}
	for _, m := range slices.Sorted(maps.Keys(s.Vectors)) {
		fmt.Fprintf(out, "vectors    %s: %d\n", m, s.Vectors[m])
	}
	var ms []string
	for _, name := range []string{generator.ModelName, retrieval.ModelName, rg.ModelName} {
		if v := sj.Models[name]; v > 0 {
			ms = append(ms, fmt.Sprintf("%s v%d", name, v))
		} else {
			ms = append(ms, name+" none")
		}
	}
	fmt.Fprintf(out, "models     %s\n", strings.Join(ms, ", "))
	if b := sj.Bundle; b != nil {
		fmt.Fprintf(out, "bundle     %s: %s on %s, commit %s\n", b.ID(), b.Command, b.Data, b.Commit)
	}
	switch {
	case sj.Indexed >= 0 && sj.Indexed < s.Items:
		fmt.Fprintf(out, "index      %d of %d items indexed: %d not searchable (run rgunit reindex --update)\n", sj.Indexed, s.Items, s.Items-sj.Indexed)
	case sj.Indexed >= 0:
		fmt.Fprintf(out, "index      all %d items indexed\n", sj.Indexed)
	}
	if sj.Indexed >= 0 {
		vec := "float vectors"
		if sj.IndexVectors != "" {
			vec = sj.IndexVectors + " vectors (rgunit reindex --quantize float goes back)"
		}
		fmt.Fprintf(out, "           %s, %.1f MiB in memory\n", vec, float64(sj.IndexMemory)/(1<<20))
	}
	switch {
	case sj.Index != "" && sj.Pending > 0:
		fmt.Fprintf(out, "index      %s: %d items pending (not searchable until rgunit sync)\n", sj.Index, sj.Pending)
	case sj.Index != "":
		fmt.Fprintf(out, "index      %s: nothing pending\n", sj.Index)
	}
	return nil
}

// FormatBytes writes a size as people read it (12.3 MiB).
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
