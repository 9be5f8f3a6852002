package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestMain(m *testing.M) {
	// Child mode for TestSecondWriterProcess: try to open the database for writing.
	if p := os.Getenv("RGUNIT_STORAGE_CHILD_OPEN"); p != "" {
		start := time.Now()
		st, err := Open(p, nil)
		if err == nil {
			st.Close()
			fmt.Println("opened")
			os.Exit(0)
		}
		fmt.Printf("%v after %v\n", err, time.Since(start).Round(10*time.Millisecond))
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func rec(i int, labels Labels) Record {
	data := []byte(fmt.Sprintf("image %d", i))
	return Record{Hash: sha256.Sum256(data), Path: fmt.Sprintf("/data/%06d.png", i), Width: 100 + i, Height: 80, Labels: labels, PNG: append([]byte("png:"), data...)}
}

func openTemp(t *testing.T, o *Options) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.db")
	st, err := Open(p, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, p
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	st, p := openTemp(t, &Options{ImageSize: 32})
	recs := []Record{rec(1, Labels{"Male": 1, "Young": -1}), rec(2, nil), rec(3, Labels{"Male": -1})}
	res, err := st.Add(recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Outcome != Added || r.ID != uint64(i+1) {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	check := func(st *Store) {
		t.Helper()
		if st.ImageSize() != 32 {
			t.Fatalf("image size %d", st.ImageSize())
		}
		var got []Item
		if err := st.ForEach(func(it Item) error { got = append(got, it); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d items", len(got))
		}
		for i, it := range got {
			r := recs[i]
			if it.ID != uint64(i+1) || it.Hash != r.Hash || it.Path != r.Path || it.Width != r.Width || it.Height != r.Height || !it.Labels.Equal(r.Labels) {
				t.Fatalf("item %d = %+v, want %+v", i, it, r)
			}
			if it.Added.IsZero() || time.Since(it.Added) > time.Minute {
				t.Fatalf("added time %v", it.Added)
			}
			png, err := st.Image(it.ID)
			if err != nil || !bytes.Equal(png, r.PNG) {
				t.Fatalf("image %d: %q %v", it.ID, png, err)
			}
			one, err := st.Get(it.ID)
			if err != nil || one.Path != it.Path {
				t.Fatalf("Get(%d) = %+v, %v", it.ID, one, err)
			}
		}
		s, err := st.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if s.Items != 3 || s.Labelled != 2 || s.Unlabelled != 1 || s.Attributes["Male"] != (AttrCount{1, 1}) || s.Attributes["Young"] != (AttrCount{0, 1}) {
			t.Fatalf("stats %+v", s)
		}
		if s.SizeBytes <= 0 || s.ImageBytes != int64(len(recs[0].PNG)+len(recs[1].PNG)+len(recs[2].PNG)) {
			t.Fatalf("sizes %d %d", s.SizeBytes, s.ImageBytes)
		}
	}
	check(st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil { // idempotent
		t.Fatalf("second Close: %v", err)
	}
	if _, err := st.Get(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	ro, err := Open(p, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	check(ro)
	if _, err := ro.Add([]Record{rec(9, nil)}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Add on read-only: %v", err)
	}
	if errs := ro.Check(); len(errs) != 0 {
		t.Fatalf("check: %v", errs)
	}
}

func TestDedupeAndRelabel(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	a, b := rec(1, nil), rec(2, Labels{"Male": 1})
	res, err := st.Add([]Record{a, b, a}) // duplicate inside one batch
	if err != nil {
		t.Fatal(err)
	}
	if res[2].Outcome != Duplicate || res[2].ID != res[0].ID {
		t.Fatalf("in-batch duplicate: %+v", res)
	}
	a2 := a
	a2.PNG = nil // a known duplicate needs no image
	a2.Labels = Labels{"Young": 1}
	b2 := b
	res, err = st.Add([]Record{a2, b2})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != Relabelled || res[1].Outcome != Duplicate {
		t.Fatalf("outcomes %v %v", res[0].Outcome, res[1].Outcome)
	}
	it, _ := st.Get(res[0].ID)
	if !it.Labels.Equal(Labels{"Young": 1}) {
		t.Fatalf("labels %v", it.Labels)
	}
	if n, _ := st.Len(); n != 2 {
		t.Fatalf("%d items", n)
	}
	// A record without an image that is not stored is an error, and the batch rolls back.
	c := rec(3, nil)
	c.PNG = nil
	if _, err := st.Add([]Record{rec(4, nil), c}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("imageless new record: %v", err)
	}
	if n, _ := st.Len(); n != 2 {
		t.Fatalf("failed batch left %d items", n)
	}
	if _, err := st.Add([]Record{rec(5, Labels{"Male": 2})}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("label value 2: %v", err)
	}
}

func TestIDsNotReused(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	res, _ := st.Add([]Record{rec(1, nil), rec(2, nil)})
	if err := st.Delete(res[1].ID); err != nil {
		t.Fatal(err)
	}
	res2, _ := st.Add([]Record{rec(2, nil)})
	if res2[0].ID != 3 || res2[0].Outcome != Added {
		t.Fatalf("re-added deleted content got %+v", res2[0])
	}
}

func TestDeleteAtomic(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	res, _ := st.Add([]Record{rec(1, nil), rec(2, nil), rec(3, nil)})
	if err := st.PutVectors("m1", []uint64{res[0].ID}, [][]float32{{1, 2}}); err != nil {
		t.Fatal(err)
	}
	err := st.Delete(res[0].ID, 999)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "999") {
		t.Fatalf("delete with unknown id: %v", err)
	}
	if n, _ := st.Len(); n != 3 {
		t.Fatalf("partial delete: %d items left", n)
	}
	if err := st.Delete(res[0].ID, res[2].ID, res[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(res[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted item: %v", err)
	}
	if _, err := st.Image(res[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted image: %v", err)
	}
	if _, err := st.Vector("m1", res[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted vector: %v", err)
	}
	if _, ok, _ := st.LookupHash(rec(1, nil).Hash); ok {
		t.Fatal("hash of deleted item still indexed")
	}
	if n, _ := st.Len(); n != 1 {
		t.Fatalf("%d items left", n)
	}
}

func TestModelsAndVectors(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	if _, _, err := st.Model("unit", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing model: %v", err)
	}
	v1, _ := st.PutModel("unit", []byte("weights-1"))
	v2, _ := st.PutModel("unit", []byte("weights-2"))
	if v1 != 1 || v2 != 2 {
		t.Fatalf("versions %d %d", v1, v2)
	}
	blob, ver, err := st.Model("unit", 0)
	if err != nil || ver != 2 || string(blob) != "weights-2" {
		t.Fatalf("latest: %q %d %v", blob, ver, err)
	}
	blob, _, _ = st.Model("unit", 1)
	if string(blob) != "weights-1" {
		t.Fatalf("v1: %q", blob)
	}
	st.PutModel("unit", []byte("weights-3"))
	if n, err := st.PruneModels("unit", 2); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	if _, _, err := st.Model("unit", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pruned version still there: %v", err)
	}
	if blob, ver, _ := st.Model("unit", 0); ver != 3 || string(blob) != "weights-3" {
		t.Fatalf("after prune: %q %d", blob, ver)
	}
	if v, _ := st.PutModel("unit", []byte("weights-4")); v != 4 {
		t.Fatalf("version after prune %d", v)
	}
	res, _ := st.Add([]Record{rec(1, nil)})
	want := []float32{1.5, -2, 3e-7}
	if err := st.PutVectors("emb@2", []uint64{res[0].ID}, [][]float32{want}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Vector("emb@2", res[0].ID)
	if err != nil || len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("vector %v %v", got, err)
	}
	if err := st.PutVectors("emb@2", []uint64{77}, [][]float32{want}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("vector for unknown id: %v", err)
	}
	s, _ := st.Stats()
	if s.Vectors["emb@2"] != 1 {
		t.Fatalf("stats vectors %v", s.Vectors)
	}
	var seen []uint64
	if err := st.ForEachVector("emb@2", func(id uint64, v []float32) error {
		seen = append(seen, id)
		if len(v) != 3 || v[1] != -2 {
			t.Fatalf("ForEachVector: %v", v)
		}
		return nil
	}); err != nil || len(seen) != 1 || seen[0] != res[0].ID {
		t.Fatalf("ForEachVector: %v %v", seen, err)
	}
	if err := st.ForEachVector("none", func(uint64, []float32) error { return errors.New("called") }); err != nil {
		t.Fatalf("ForEachVector of a missing model: %v", err)
	}
	if err := st.DropVectors("emb@2"); err != nil {
		t.Fatal(err)
	}
	if err := st.DropVectors("emb@2"); err != nil {
		t.Fatalf("dropping twice: %v", err)
	}
	if _, err := st.Vector("emb@2", res[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("vector after drop: %v", err)
	}
	// Indexes: the sub-buckets of IndexBucket.
	if err := st.Records().Update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketIndex).CreateBucket([]byte("idx-a"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if names, err := st.Indexes(); err != nil || len(names) != 1 || names[0] != "idx-a" {
		t.Fatalf("Indexes: %v %v", names, err)
	}
	if err := st.DropIndex("idx-a"); err != nil {
		t.Fatal(err)
	}
	if err := st.DropIndex("idx-a"); err != nil {
		t.Fatalf("dropping twice: %v", err)
	}
	if names, _ := st.Indexes(); len(names) != 0 {
		t.Fatalf("after drop: %v", names)
	}
}

// setSchema rewrites the stored schema version behind the store's back.
func setSchema(t *testing.T, p string, v uint32) {
	t.Helper()
	db, err := bolt.Open(p, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a.db")
	st, err := Open(p, &Options{ImageSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	st.Add([]Record{rec(1, nil)})
	st.Close()

	t.Run("image size", func(t *testing.T) {
		_, err := Open(p, &Options{ImageSize: 64})
		if !errors.Is(err, ErrImageSize) || !strings.Contains(err.Error(), "32x32") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("schema", func(t *testing.T) {
		q := filepath.Join(dir, "b.db")
		data, _ := os.ReadFile(p)
		os.WriteFile(q, data, 0o644)
		setSchema(t, q, 99)
		before, _ := os.ReadFile(q)
		for _, ro := range []bool{false, true} {
			_, err := Open(q, &Options{ReadOnly: ro})
			if !errors.Is(err, ErrSchemaVersion) || !strings.Contains(err.Error(), "version 99") {
				t.Fatalf("read-only=%v: %v", ro, err)
			}
		}
		after, _ := os.ReadFile(q)
		if !bytes.Equal(before, after) {
			t.Fatal("a refused open modified the file")
		}
	})
	t.Run("not a database", func(t *testing.T) {
		q := filepath.Join(dir, "notes.txt")
		content := bytes.Repeat([]byte("precious user data\n"), 1000)
		os.WriteFile(q, content, 0o644)
		if _, err := Open(q, nil); !errors.Is(err, ErrNotDatabase) {
			t.Fatalf("err %v", err)
		}
		if got, _ := os.ReadFile(q); !bytes.Equal(got, content) {
			t.Fatal("opening a non-database file changed it")
		}
	})
	t.Run("foreign bbolt file", func(t *testing.T) {
		q := filepath.Join(dir, "other.db")
		db, _ := bolt.Open(q, 0o644, nil)
		db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
		db.Close()
		if _, err := Open(q, nil); !errors.Is(err, ErrNotDatabase) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("missing read-only", func(t *testing.T) {
		q := filepath.Join(dir, "missing.db")
		if _, err := Open(q, &Options{ReadOnly: true}); !errors.Is(err, ErrNoDatabase) {
			t.Fatalf("err %v", err)
		}
		if _, err := os.Stat(q); !os.IsNotExist(err) {
			t.Fatal("read-only open created a file")
		}
	})
	t.Run("bad size option", func(t *testing.T) {
		if _, err := Open(filepath.Join(dir, "c.db"), &Options{ImageSize: 3}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("err %v", err)
		}
	})
}

// TestSecondWriterProcess: while this process holds the database for
// writing, another process's writable open fails within about 1 s with
// "database is in use by another process". Read-only opens share.
func TestSecondWriterProcess(t *testing.T) {
	t.Parallel()
	st, p := openTemp(t, nil)
	st.Add([]Record{rec(1, nil)})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RGUNIT_STORAGE_CHILD_OPEN="+p)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v, output %q", err, out)
	}
	// It names the writer (this test's process) and the way to read while
	// a long write runs.
	for _, want := range []string{"database is in use by another process", fmt.Sprintf("by pid %d (", os.Getpid()), "rgunit serve"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("child said %q, want %q in it", out, want)
		}
	}
	if took > 3*time.Second { // 1 s lock timeout plus process start-up
		t.Fatalf("second writer took %v to fail", took)
	}
	st.Close()
	if _, err := os.Stat(p + ".holder"); !os.IsNotExist(err) {
		t.Fatalf("the writer's record outlived Close: %v", err)
	}

	// Two read-only opens work together; a writer then waits for them.
	r1, err := Open(p, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(p, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()
	if _, err := Open(p, &Options{Timeout: 200 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("writer beside readers: %v", err)
	}
	r1.Close()
	r2.Close()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RGUNIT_STORAGE_CHILD_OPEN="+p)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "opened") {
		t.Fatalf("child after release: %v %q", err, out)
	}
}

func TestDecodeItemRejectsGarbage(t *testing.T) {
	t.Parallel()
	it := Item{Hash: sha256.Sum256([]byte("x")), Path: "a/b.png", Width: 3, Height: 4, Labels: Labels{"A": 1, "B": -1}, Added: time.Unix(5, 6).UTC()}
	b := encodeItem(&it)
	for i := 0; i < len(b); i++ {
		if _, err := decodeItem(1, b[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d bytes decoded: %v", i, err)
		}
	}
	if _, err := decodeItem(1, append(b, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzDecodeItem(f *testing.F) {
	for _, it := range []Item{
		{Path: "x.png", Width: 64, Height: 64},
		{Path: "/a/b/c.jpg", Width: 89, Height: 109, Labels: Labels{"Male": 1, "Young": -1}, Added: time.Unix(1700000000, 5)},
	} {
		f.Add(encodeItem(&it))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(7, b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		if again := encodeItem(&it); !bytes.Equal(again, b) {
			t.Fatalf("re-encode differs:\n%x\n%x", b, again)
		}
	})
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "rgunit-example-")
	defer os.RemoveAll(dir)
	st, err := Open(filepath.Join(dir, "faces.db"), &Options{ImageSize: 64})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	res, _ := st.Add([]Record{{Hash: sha256.Sum256([]byte("a")), Path: "a.png", Width: 64, Height: 64, Labels: Labels{"Male": -1}, PNG: []byte("...")}})
	it, _ := st.Get(res[0].ID)
	fmt.Println(it.ID, it.Path, it.Labels)
	// Output: 1 a.png -Male
}

// TestIDsAfter: the ids added after a last id, by a cursor, also when
// items were removed before (a count would be off).
func TestIDsAfter(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	if last, err := st.LastID(); err != nil || last != 0 {
		t.Fatalf("empty: %d %v", last, err)
	}
	st.Add([]Record{rec(1, nil), rec(2, nil), rec(3, nil)})
	if err := st.Delete(1); err != nil {
		t.Fatal(err)
	}
	last, err := st.LastID()
	if err != nil || last != 3 {
		t.Fatalf("last %d %v", last, err)
	}
	st.Add([]Record{rec(4, nil), rec(5, nil)})
	if ids, err := st.IDsAfter(last); err != nil || !slices.Equal(ids, []uint64{4, 5}) {
		t.Fatalf("after 3: %v %v", ids, err)
	}
	if ids, _ := st.IDsAfter(5); len(ids) != 0 {
		t.Fatalf("after the last: %v", ids)
	}
}
