package rgunit

import (
	"context"
	"fmt"

	"rgunit/guided"
	"rgunit/index"
	"rgunit/index/weaviate"
	"rgunit/retrieval"
)

// Sync embeds and indexes every item the retrieval index lacks (all of
// them with rebuild: the index and embeddings are made again), as ingest
// does after adding files; with a remote index, what is pending is pushed.
func (d *DB) Sync(ctx context.Context, rebuild bool, progress func(done, total int)) (retrieval.SyncStats, error) {
	m, ver, err := retrieval.Load(d.st)
	if err != nil {
		return retrieval.SyncStats{}, err
	}
	temps, err := d.temperatures()
	if err != nil {
		return retrieval.SyncStats{}, err
	}
	d.forget()
	defer d.forget()
	return retrieval.Sync(ctx, d.st, m, ver, retrieval.SyncOptions{Rebuild: rebuild, OnProgress: progress, Temperatures: temps})
}

// IndexSettings say where a database keeps its retrieval index and on
// which vectors; a field left "" keeps the database's setting.
type IndexSettings struct {
	// URL is a Weaviate cluster (weaviate://HOST:PORT[/Prefix][?grpc=PORT])
	// or "embedded" (in the database file).
	URL string
	// Quantize is the embedded index's vectors: "float", or "sq8" (a byte
	// per dimension: under half the memory, see index.SQ8). An index
	// already built keeps its own until Sync rebuilds it.
	Quantize string
}

// Check refuses bad settings before anything is opened or written.
func (s IndexSettings) Check() error {
	if s.Quantize != "" {
		if _, err := index.ParseQuantization(s.Quantize); err != nil {
			return badRequest("--quantize: %v", err)
		}
	}
	if s.URL == "" || s.URL == "embedded" {
		return nil
	}
	_, err := weaviate.ParseURL(s.URL)
	return err
}

// SetIndex records s in the database: a new remote index gets every
// embedded item as pending; the next Sync pushes them, or rebuilds an
// embedded index on other vectors from the stored embeddings.
func (d *DB) SetIndex(s IndexSettings) error {
	if err := s.Check(); err != nil {
		return err
	}
	if s.Quantize != "" {
		if err := retrieval.SetQuantize(d.st, s.Quantize); err != nil {
			return err
		}
	}
	switch s.URL {
	case "":
		return nil
	case "embedded":
		return retrieval.SetIndex(d.st, "") // the database file
	}
	return retrieval.SetIndex(d.st, s.URL)
}

// ImportBundle gives the database a bundle's models (see guided.Import:
// refused with ErrModels over models of its own) and indexes every item
// with them.
func (d *DB) ImportBundle(ctx context.Context, bundle []byte, progress func(done, total int)) (*guided.Imported, retrieval.SyncStats, error) {
	d.forget()
	imp, err := guided.Import(d.st, bundle)
	d.forget()
	if err != nil {
		return nil, retrieval.SyncStats{}, fmt.Errorf("%w: %w", ErrModels, err)
	}
	s, err := d.Sync(ctx, false, progress)
	return imp, s, err
}

// ExportBundle encodes the database's retrieval model and the RG-UNIT
// model trained over it, with p's record of what made them.
func (d *DB) ExportBundle(p guided.Provenance) ([]byte, error) { return guided.Export(d.st, p) }

// temperatures calibrate the latest retrieval model's attribute
// posteriors: its bundle's, else fitted on the database's labelled items
// (none: the raw log-odds); see info.
func (d *DB) temperatures() ([]float64, error) {
	in, err := d.info()
	if err != nil || in == nil {
		return nil, err
	}
	return in.temps, nil
}
