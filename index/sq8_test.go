package index

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"rgunit/internal/vecgen"
)

// TestSQ8Kernels: the code kernels (assembly where the CPU has it) agree
// with the pure-Go loops and with decoding the codes first, at every
// length around the unrolled widths.
func TestSQ8Kernels(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		a, s, c := make([]float32, n), make([]float32, n), make([]byte, n)
		for j := range n {
			a[j], s[j], c[j] = rng.Float32()*4-2, rng.Float32()/50, byte(rng.IntN(256))
		}
		var l2, dot float64
		for j := range n {
			d := float64(a[j]) - float64(s[j])*float64(c[j])
			l2 += d * d
			dot += float64(a[j]) * float64(c[j])
		}
		for _, k := range []struct {
			name      string
			got, want float64
		}{
			{"sq8L2", float64(sq8L2(a, s, c)), l2},
			{"goSQ8L2", float64(goSQ8L2(a, s, c)), l2},
			{"sq8Dot", float64(sq8Dot(a, c)), dot},
			{"goSQ8Dot", float64(goSQ8Dot(a, c)), dot},
		} {
			if math.Abs(k.got-k.want) > 1e-4*(1+math.Abs(k.want)) {
				t.Fatalf("n=%d %s = %v, want %v", n, k.name, k.got, k.want)
			}
		}
	}
}

// TestSQ8Quantizer: codes decode to within half a step of the vector
// inside the fitted range, and clamp outside it.
func TestSQ8Quantizer(t *testing.T) {
	t.Parallel()
	data := vecgen.Gaussian(500, 16, 3)
	q := fitQuantizer(data, 16)
	if err := q.check(16); err != nil {
		t.Fatal(err)
	}
	c, v := make([]byte, 16), make([]float32, 16)
	for _, x := range data {
		q.encode(x, c)
		q.decode(c, v)
		for j := range x {
			if d := math.Abs(float64(x[j] - v[j])); d > float64(q.Step[j])/2+1e-6 {
				t.Fatalf("dimension %d: %v decodes to %v (step %v)", j, x[j], v[j], q.Step[j])
			}
		}
	}
	far := make([]float32, 16)
	for j := range far {
		far[j] = 1e6 * float32(1-2*(j%2))
	}
	q.encode(far, c)
	for j, b := range c {
		if want := byte(255 * (1 - j%2)); b != want {
			t.Fatalf("dimension %d of a far vector: code %d, want %d", j, b, want)
		}
	}
}

// TestSQ8Recall: an SQ8 index finds the float index's neighbours, for
// every metric, with exact (re-ranked) distances, in a third of the
// memory of the vectors' graph records.
var quant = SQ8

func TestSQ8Recall(t *testing.T) {
	t.Parallel()
	for _, m := range []Metric{L2, Cosine, InnerProduct} {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			data, cents := vecgen.Clustered(5000, 64, 50, 0.1, 42)
			qs := vecgen.ClusteredQueries(200, cents, 0.1, 43)
			ids := make([]uint64, len(data))
			for i := range ids {
				ids[i] = uint64(i + 1)
			}
			h, err := NewHNSW(64, &Options{Metric: m, Quantize: quant})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.AddBatch(context.Background(), ids, data, 0); err != nil {
				t.Fatal(err)
			}
			ex, _ := NewExact(64, m)
			for i, v := range data {
				ex.Add(context.Background(), ids[i], v)
			}
			var res [][]Result
			var truth [][]uint64
			for _, q := range qs {
				r, err := h.Search(context.Background(), q, 10, &SearchOptions{Ef: 64})
				if err != nil {
					t.Fatal(err)
				}
				e, _ := ex.Search(context.Background(), q, 10, nil)
				var want []uint64
				for _, x := range e {
					want = append(want, x.ID)
				}
				for j, x := range r {
					i := x.ID - 1
					pv, _ := Prepare(data[i], 64, m)
					pq, _ := Prepare(q, 64, m)
					if d := m.Distance()(pq, pv); math.Abs(float64(d-x.Distance)) > 1e-5 {
						t.Fatalf("result %d: distance %v, the float vectors' %v", j, x.Distance, d)
					}
				}
				res, truth = append(res, r), append(truth, want)
			}
			r := vecgen.Recall(res, resultID, truth, 10)
			t.Logf("%s recall@10 %.4f", m, r)
			if r < 0.95 {
				t.Fatalf("%s recall@10 %.4f, want >= 0.95", m, r)
			}
		})
	}
}

// TestSQ8FloatFile: the float file beside an SQ8 stored index is a cache
// of its vectors bucket. A damaged record, a file cut short (a crash
// between a commit and its append), another index's file or none at all
// (read-only) still give exact distances, and a writable open repairs it.
func TestSQ8FloatFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ix.db")
	floats := path + ".index.floats"
	data := vecgen.Gaussian(600, 8, 9)
	s, err := OpenFile(path, &StoredOptions{Dim: 8, Options: Options{Quantize: SQ8}, CommitEvery: 200})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 600), data, 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rec := int64(4*8 + 4)
	st, err := os.Stat(floats)
	if err != nil || st.Size() != floatHeader+600*rec {
		t.Fatalf("float file: %v %v, want %d bytes", st, err, floatHeader+600*rec)
	}
	exact := func(t *testing.T, readOnly bool) { t.Helper(); findsItself(t, path, readOnly, data, 7) }
	flip := func(off int64) {
		f, err := os.OpenFile(floats, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := []byte{0}
		f.ReadAt(b, off)
		b[0] ^= 0x40
		f.WriteAt(b, off)
	}
	for i := 0; i < 600; i += 7 { // damage every searched record
		flip(floatHeader + int64(i)*rec + 5)
	}
	exact(t, true)
	if err := os.Truncate(floats, floatHeader+100*rec+3); err != nil {
		t.Fatal(err)
	}
	exact(t, true) // read-only: the bucket answers past the cut
	exact(t, false)
	if st, _ := os.Stat(floats); st.Size() != floatHeader+600*rec {
		t.Fatalf("a writable open left the float file at %d bytes, want %d", st.Size(), floatHeader+600*rec)
	}
	flip(9) // another index's token: started again
	exact(t, false)
	if st, _ := os.Stat(floats); st.Size() != floatHeader+600*rec {
		t.Fatalf("a foreign float file was not rebuilt: %d bytes", st.Size())
	}
	os.Remove(floats)
	exact(t, true)
}

// FuzzFloatFile: whatever follows a valid header in an SQ8 index's float
// file, a read-only open answers with the float vectors' distances (a
// record failing its CRC, or missing, is read from the bucket).
func FuzzFloatFile(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "ix.db")
	data := vecgen.Gaussian(60, 4, 11)
	s, err := OpenFile(path, &StoredOptions{Dim: 4, Options: Options{Quantize: SQ8}})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 60), data, 1); err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(path + ".index.floats")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[floatHeader:])
	f.Add(good[floatHeader : floatHeader+50])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := os.WriteFile(path+".index.floats", append(good[:floatHeader:floatHeader], body...), 0o644); err != nil {
			t.Fatal(err)
		}
		findsItself(t, path, true, data, 3)
	})
}

// findsItself opens the stored index in the bbolt file at path and checks
// that every step-th vector of data (ids from 1) finds itself at distance
// 0: its float vector, not its codes, re-ranked it.
func findsItself(t *testing.T, path string, readOnly bool, data [][]float32, step int) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := OpenStored(db, []string{"index"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < len(data); i += step {
		rs, err := r.Search(context.Background(), data[i], 1, nil)
		if err != nil || len(rs) != 1 || rs[0].ID != uint64(i+1) || rs[0].Distance != 0 {
			t.Fatalf("vector %d: %v %v", i, rs, err)
		}
	}
}

// TestSQ8NoFloatFile: where the float file cannot be made (here a folder
// holds its name), an SQ8 stored index still opens, writes and answers
// with the float vectors' distances, from its bucket, and says why.
func TestSQ8NoFloatFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ix.db")
	if err := os.Mkdir(path+".index.floats", 0o755); err != nil {
		t.Fatal(err)
	}
	data := vecgen.Gaussian(300, 8, 12)
	s, err := OpenFile(path, &StoredOptions{Dim: 8, Options: Options{Quantize: SQ8}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 300), data, 0); err != nil {
		t.Fatal(err)
	}
	if s.Opened().FloatFile == "" {
		t.Fatal("Opened does not say why the float file is missing")
	}
	s.Close()
	findsItself(t, path, false, data, 5)
}

// TestSQ8FloatFileAhead: a database put back from an older copy beside a
// float file written later: the records past the index are never read,
// and new vectors under the same internal ids overwrite them.
func TestSQ8FloatFileAhead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ix.db")
	data := vecgen.Gaussian(700, 8, 13)
	s, err := OpenFile(path, &StoredOptions{Dim: 8, Options: Options{Quantize: SQ8}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 400), data[:400], 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = OpenFile(path, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(400, 600), data[400:600], 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.WriteFile(path, old, 0o644); err != nil { // the older copy, the newer float file
		t.Fatal(err)
	}
	if s, err = OpenFile(path, nil); err != nil {
		t.Fatal(err)
	}
	// Internal ids 400..499 now hold data[600:700] under ids 601..700.
	if err := s.AddBatch(context.Background(), idsFor(600, 700), data[600:], 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for i := 600; i < 700; i += 3 {
		findsItselfAt(t, path, data[i], uint64(i+1))
	}
	findsItselfAt(t, path, data[0], 1)
}

// findsItselfAt checks that v's nearest item in the stored index at path
// is id, at distance 0.
func findsItselfAt(t *testing.T, path string, v []float32, id uint64) {
	t.Helper()
	r, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rs, err := r.Search(context.Background(), v, 1, nil)
	if err != nil || len(rs) != 1 || rs[0].ID != id || rs[0].Distance != 0 {
		t.Fatalf("id %d: %v %v", id, rs, err)
	}
}
