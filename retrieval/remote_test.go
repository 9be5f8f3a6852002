package retrieval

import (
	"context"
	"errors"
	"testing"

	"rgunit/index/weaviate"
	"rgunit/storage"
)

// TestRemoteUnreachable: with the index on a cluster nobody serves, sync
// commits every embedding locally, leaves the items pending and says why;
// queries fail with ErrUnreachable; back to the embedded index, the stored
// embeddings are indexed without embedding anything again.
func TestRemoteUnreachable(t *testing.T) {
	t.Parallel()
	p := newPipeline(t) // trained and saved as version p.ver
	if _, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	const url = "weaviate://127.0.0.1:1/Nobody?grpc=2&timeout=2s"
	if err := SetIndex(p.st, "http://nope"); !errors.Is(err, weaviate.ErrURL) {
		t.Fatalf("SetIndex with a bad URL: %v", err)
	}
	if err := SetIndex(p.st, url); err != nil {
		t.Fatal(err)
	}
	// Moving to a cluster: every embedded item is pending, nothing embedded again.
	if n, err := PendingCount(p.st); err != nil || n != 300 {
		t.Fatalf("pending after SetIndex: %d %v", n, err)
	}
	s, err := Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote != url || s.Unreachable == "" || s.Added != 0 || s.Pushed != 0 || s.Pending != 300 {
		t.Fatalf("sync to an unreachable cluster: %+v", s)
	}
	if names, _ := p.st.Indexes(); len(names) != 0 {
		t.Fatalf("embedded indexes kept with a remote index: %v", names)
	}
	if _, err := Open(p.st); !errors.Is(err, weaviate.ErrUnreachable) {
		t.Fatalf("open for queries: %v", err)
	}
	// Removing items records pending deletions, in the transaction that
	// deletes them.
	if err := Remove(context.Background(), p.st, []uint64{1}); err != nil {
		t.Fatal(err)
	}
	adds, dels, err := p.st.Pending(indexName(p.ver))
	if err != nil || len(adds) != 299 || len(dels) != 1 || dels[0] != 1 {
		t.Fatalf("pending after rm: %d adds, deletes %v %v", len(adds), dels, err)
	}
	if _, err := p.st.Get(1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("item 1 after rm: %v", err)
	}
	// Back into the file.
	if err := SetIndex(p.st, ""); err != nil {
		t.Fatal(err)
	}
	s, err = Sync(context.Background(), p.st, p.m, p.ver, SyncOptions{})
	if err != nil || s.Added != 0 || s.Indexed != 299 || s.Remote != "" {
		t.Fatalf("back to the embedded index: %+v %v", s, err)
	}
	if n, _ := PendingCount(p.st); n != 0 {
		t.Fatalf("%d pending with the embedded index", n)
	}
}

func TestObjectAttrs(t *testing.T) {
	t.Parallel()
	p := newPipeline(t)
	// Schema: Black_Hair, Blond_Hair, Brown_Hair, Male, Young.
	got := objectAttrs(p.m, storage.Labels{"Male": -1, "Young": 1}, []float32{0.9, 0.1, 0.5, 0.99, 0.01})
	want := []int8{1, -1, 0, -1, 1} // known labels win over predictions
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("objectAttrs %v, want %v", got, want)
		}
	}
}
