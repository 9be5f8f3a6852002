package rgunit

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Export formats.
const (
	FormatNpy     = "npy"     // embeddings.npy (float32, rows x dim) + items.jsonl
	FormatFvecs   = "fvecs"   // embeddings.fvecs + items.jsonl
	FormatParquet = "parquet" // items.parquet: the metadata and the embedding in one row per item
)

// ExportRow is one item as Export writes it: its metadata (items.jsonl or
// the parquet columns) and, in parquet, its embedding.
type ExportRow struct {
	ID        uint64             `json:"id" parquet:"id"`
	Path      string             `json:"path" parquet:"path"`
	SHA256    string             `json:"sha256" parquet:"sha256"`
	Labels    map[string]int32   `json:"labels,omitempty" parquet:"labels"`
	Predicted map[string]float32 `json:"predicted,omitempty" parquet:"predicted"` // P(attribute = +1) by E_a
	Embedding []float32          `json:"-" parquet:"embedding"`
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Format    string   `json:"format"`
	Rows      int      `json:"rows"`
	Dim       int      `json:"dim"`
	Files     []string `json:"files"`
	Unindexed int      `json:"unindexed"` // items without an embedding yet (rgunit reindex --update), left out
}

// WriteText writes r as rgunit export prints it.
func (r *ExportResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%d items x %d dimensions (%s): %v\n", r.Rows, r.Dim, r.Format, r.Files)
	return err
}

// Export writes every embedded item's retrieval embedding (float32, one
// row per item, in id order) with a metadata table (id, path, sha256,
// labels, predicted attributes) into dir, in format: npy, fvecs or
// parquet.
func (d *DB) Export(ctx context.Context, dir, format string) (*ExportResult, error) {
	if format != FormatNpy && format != FormatFvecs && format != FormatParquet {
		return nil, badRequest("format %q: want npy, fvecs or parquet", format)
	}
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	n, err := idx.Embedded()
	if err != nil {
		return nil, err
	}
	items, err := d.st.Len()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &ExportResult{Format: format, Dim: idx.Model.Config.Dim, Unindexed: max(items-n, 0)}
	var w exportWriter
	switch format {
	case FormatParquet:
		w = &parquetWriter{path: filepath.Join(dir, "items.parquet")}
	default:
		w, err = newVectorWriter(dir, format, n, res.Dim)
		if err != nil {
			return nil, err
		}
	}
	err = idx.EachEmbedding(func(id uint64, v []float32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := d.st.Get(id)
		if err != nil {
			return err
		}
		row := ExportRow{ID: id, Path: it.Path, SHA256: fmt.Sprintf("%x", it.Hash), Labels: map[string]int32{}, Embedding: v}
		for k, x := range it.Labels {
			row.Labels[k] = int32(x)
		}
		if row.Predicted, err = idx.Predicted(id); err != nil {
			return err
		}
		res.Rows++
		return w.add(row)
	})
	if err == nil && res.Rows != n {
		err = fmt.Errorf("rgunit: export: %d embeddings read, %d counted", res.Rows, n)
	}
	files, cerr := w.close()
	if err == nil {
		err = cerr
	}
	res.Files = files
	return res, err
}

type exportWriter interface {
	add(ExportRow) error
	close() (files []string, err error)
}

// parquetWriter collects the rows and writes them in one file.
type parquetWriter struct {
	path string
	rows []ExportRow
}

func (p *parquetWriter) add(r ExportRow) error { p.rows = append(p.rows, r); return nil }

func (p *parquetWriter) close() ([]string, error) {
	return []string{p.path}, parquet.WriteFile(p.path, p.rows)
}

// vectorWriter streams the embeddings into embeddings.npy or .fvecs and
// the metadata into items.jsonl.
type vectorWriter struct {
	vecPath, metaPath string
	vf, mf            *os.File
	vw, mw            *bufio.Writer
	fvecs             bool
	dim               int
}

func newVectorWriter(dir, format string, rows, dim int) (*vectorWriter, error) {
	v := &vectorWriter{vecPath: filepath.Join(dir, "embeddings."+format), metaPath: filepath.Join(dir, "items.jsonl"),
		fvecs: format == FormatFvecs, dim: dim}
	var err error
	if v.vf, err = os.Create(v.vecPath); err != nil {
		return nil, err
	}
	if v.mf, err = os.Create(v.metaPath); err != nil {
		v.vf.Close()
		return nil, err
	}
	v.vw, v.mw = bufio.NewWriter(v.vf), bufio.NewWriter(v.mf)
	if !v.fvecs {
		_, err = v.vw.Write(npyHeader(rows, dim))
	}
	return v, err
}

// npyHeader is the NPY 1.0 header of a C-ordered little-endian float32
// array of rows x dim, padded to 64 bytes.
func npyHeader(rows, dim int) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, dim)
	pad := 64 - (10+len(dict)+1)%64
	dict += strings.Repeat(" ", pad%64) + "\n"
	h := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(h[8:], uint16(len(dict)))
	return append(h, dict...)
}

func (v *vectorWriter) add(r ExportRow) error {
	if len(r.Embedding) != v.dim {
		return fmt.Errorf("rgunit: export: item %d's embedding has %d values, the model %d", r.ID, len(r.Embedding), v.dim)
	}
	var buf [4]byte
	if v.fvecs {
		binary.LittleEndian.PutUint32(buf[:], uint32(v.dim))
		v.vw.Write(buf[:])
	}
	for _, x := range r.Embedding {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
		v.vw.Write(buf[:])
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	v.mw.Write(b)
	return v.mw.WriteByte('\n')
}

func (v *vectorWriter) close() ([]string, error) {
	var errs []error
	for _, c := range []interface{ Flush() error }{v.vw, v.mw} {
		errs = append(errs, c.Flush())
	}
	for _, f := range []io.Closer{v.vf, v.mf} {
		errs = append(errs, f.Close())
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return []string{v.vecPath, v.metaPath}, nil
}
