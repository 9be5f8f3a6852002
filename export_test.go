package rgunit_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/testenv"
)

// readNpy reads a 2-D little-endian float32 NPY file.
func readNpy(t *testing.T, path string) (rows, dim int, data []float32) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:6]) != "\x93NUMPY" || b[6] != 1 {
		t.Fatalf("not NPY 1.0: %q", b[:8])
	}
	hl := int(binary.LittleEndian.Uint16(b[8:]))
	header := string(b[10 : 10+hl])
	if (10+hl)%64 != 0 || !strings.Contains(header, "'descr': '<f4'") || !strings.HasSuffix(header, "\n") {
		t.Fatalf("header %q", header)
	}
	shape := header[strings.Index(header, "(")+1 : strings.Index(header, ")")]
	var r, d int
	if _, err := fmt.Sscanf(shape, "%d, %d", &r, &d); err != nil {
		t.Fatalf("shape %q: %v", shape, err)
	}
	body := b[10+hl:]
	if len(body) != 4*r*d {
		t.Fatalf("%d bytes for %dx%d", len(body), r, d)
	}
	data = make([]float32, r*d)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return r, d, data
}

// TestExport: each format round-trips: the embeddings are the stored
// ones, in id order, with one metadata row per embedding.
func TestExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.OpenShipped(t)
	idx, err := db.Index()
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float32
	var ids []uint64
	idx.EachEmbedding(func(id uint64, v []float32) error {
		ids = append(ids, id)
		want = append(want, slices.Clone(v))
		return nil
	})
	if len(want) != 300 {
		t.Fatalf("%d embeddings", len(want))
	}
	dim := len(want[0])
	equal := func(what string, got [][]float32) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
		}
		for i := range got {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("%s: row %d differs", what, i)
			}
		}
	}
	meta := func(what, path string) {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		i := 0
		for ; sc.Scan(); i++ {
			var r rgunit.ExportRow
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.ID != ids[i] || len(r.SHA256) != 64 || len(r.Labels) != 5 || len(r.Predicted) != 5 {
				t.Fatalf("%s: metadata row %d: %+v %v", what, i, r, err)
			}
		}
		if i != len(ids) {
			t.Fatalf("%s: %d metadata rows", what, i)
		}
	}
	dir := t.TempDir()
	for _, format := range []string{rgunit.FormatNpy, rgunit.FormatFvecs, rgunit.FormatParquet} {
		out := filepath.Join(dir, format)
		res, err := db.Export(ctx, out, format)
		if err != nil || res.Rows != 300 || res.Dim != dim {
			t.Fatalf("%s: %+v %v", format, res, err)
		}
		switch format {
		case rgunit.FormatNpy:
			r, d, data := readNpy(t, filepath.Join(out, "embeddings.npy"))
			var got [][]float32
			for i := range r {
				got = append(got, data[i*d:(i+1)*d])
			}
			equal("npy", got)
			meta("npy", filepath.Join(out, "items.jsonl"))
		case rgunit.FormatFvecs:
			f, err := os.Open(filepath.Join(out, "embeddings.fvecs"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := bench.ReadFvecs(f, 0)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			equal("fvecs", got)
			meta("fvecs", filepath.Join(out, "items.jsonl"))
		case rgunit.FormatParquet:
			rows, err := parquet.ReadFile[rgunit.ExportRow](filepath.Join(out, "items.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			var got [][]float32
			for i, r := range rows {
				if r.ID != ids[i] || r.Labels["Male"] == 0 || len(r.Predicted) != 5 {
					t.Fatalf("parquet row %d: %+v", i, r)
				}
				got = append(got, r.Embedding)
			}
			equal("parquet", got)
		}
	}
	if _, err := db.Export(ctx, dir, "csv"); err == nil {
		t.Fatal("format csv accepted")
	}
}
