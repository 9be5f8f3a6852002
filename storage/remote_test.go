package storage

import (
	"errors"
	"slices"
	"testing"
)

func TestPendingAndIndexURL(t *testing.T) {
	t.Parallel()
	st, path := openTemp(t, nil)
	if u, err := st.IndexURL(); err != nil || u != "" {
		t.Fatalf("new database: index %q %v", u, err)
	}
	// A database that never had a remote index reads as nothing pending.
	if n, err := st.PendingCount("retrieval-1"); err != nil || n != 0 {
		t.Fatalf("pending on a fresh file: %d %v", n, err)
	}
	if err := st.SetIndexURL("weaviate://h:1/X"); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkPending("retrieval-1", PendingAdd, []uint64{3, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkPending("retrieval-1", PendingDelete, []uint64{2, 9}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkPending("retrieval-2", PendingAdd, []uint64{5}); err != nil {
		t.Fatal(err)
	}
	adds, dels, err := st.Pending("retrieval-1")
	if err != nil || !slices.Equal(adds, []uint64{1, 3}) || !slices.Equal(dels, []uint64{2, 9}) {
		t.Fatalf("pending: adds %v deletes %v %v", adds, dels, err)
	}
	if err := st.ClearPending("retrieval-1", []uint64{1, 9, 77}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want int
	}{{"retrieval-1", 2}, {"retrieval-2", 1}, {"retrieval-3", 0}} {
		if n, err := st.PendingCount(c.name); err != nil || n != c.want {
			t.Errorf("%s: %d pending %v, want %d", c.name, n, err, c.want)
		}
	}
	for _, bad := range []struct {
		name string
		op   byte
	}{{"", PendingAdd}, {"x", 'z'}} {
		if err := st.MarkPending(bad.name, bad.op, []uint64{1}); !errors.Is(err, ErrInvalid) {
			t.Errorf("MarkPending(%q, %q): %v", bad.name, bad.op, err)
		}
	}
	if err := st.SetIndexURL(string(make([]byte, 5000))); !errors.Is(err, ErrInvalid) {
		t.Errorf("a 5000-byte URL: %v", err)
	}
	st.Close()

	// Kept across opens, readable read-only.
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := ro.IndexURL()
	n, _ := ro.PendingCount("retrieval-1")
	if u != "weaviate://h:1/X" || n != 2 {
		t.Fatalf("reopened read-only: %q, %d pending", u, n)
	}
	if err := ro.MarkPending("retrieval-1", PendingAdd, []uint64{4}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("MarkPending read-only: %v", err)
	}
	ro.Close()
	st, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DropPending("retrieval-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.DropPending("never"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetIndexURL(""); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.PendingCount("retrieval-1"); n != 0 {
		t.Fatalf("after DropPending: %d", n)
	}
	if u, _ := st.IndexURL(); u != "" {
		t.Fatalf("after SetIndexURL(\"\"): %q", u)
	}
}
