package index

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rgunit/internal/vecgen"
	"rgunit/storage"
)

// Child mode for the crash test: build a stored index chunk by chunk,
// printing the number of committed vectors after each commit, until killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("RGUNIT_INDEX_CRASH_CHILD"); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

const crashN, crashDim, crashChunk = 6000, 16, 250

func crashChild(path string) int {
	data, _ := vecgen.Clustered(crashN, crashDim, 60, 0.1, 5)
	quant, _ := ParseQuantization(os.Getenv("RGUNIT_INDEX_CRASH_QUANTIZE"))
	s, err := OpenFile(path, &StoredOptions{Dim: crashDim, Options: Options{EfConstruction: 100, Quantize: quant}, CommitEvery: crashChunk})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	for lo := s.Len(); lo < crashN; lo += crashChunk {
		ids, vecs := idsFor(lo, lo+crashChunk), data[lo:lo+crashChunk]
		if err := s.AddBatch(context.Background(), ids, vecs, 2); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("committed", lo+crashChunk)
	}
	return 0
}

func idsFor(lo, hi int) []uint64 {
	ids := make([]uint64, 0, hi-lo)
	for i := lo; i < hi; i++ {
		ids = append(ids, uint64(i+1))
	}
	return ids
}

func searchAll(t testing.TB, ix Index, qs [][]float32, k int) [][]Result {
	t.Helper()
	out := make([][]Result, len(qs))
	for i, q := range qs {
		rs, err := ix.Search(context.Background(), q, k, &SearchOptions{Ef: 64})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = rs
	}
	return out
}

// TestStoredRoundTrip: build, delete, close, reopen: identical results,
// nothing rebuilt, consistent.
// TestStoredRoundTrip: batches, single adds and deletes, closed and
// reopened, give the same answers, float and SQ8 (whose float vectors are
// read from the file, and whose memory is a fraction of the float one's).
func TestStoredRoundTrip(t *testing.T) {
	t.Parallel()
	mem := map[Quantization]int64{}
	var mu sync.Mutex
	t.Run("kinds", func(t *testing.T) {
		for _, quant := range []Quantization{Float, SQ8} {
			t.Run(quant.String(), func(t *testing.T) {
				t.Parallel()
				b := storedRoundTrip(t, quant)
				mu.Lock()
				mem[quant] = b
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	if ratio := float64(mem[SQ8]) / float64(mem[Float]); ratio > 0.9 {
		t.Fatalf("SQ8 index holds %d bytes, float %d (%.2fx): want at most 0.9x at dimension 16 (its records are 40 words against 52: the float vectors stay in the file)", mem[SQ8], mem[Float], ratio)
	}
}

// storedRoundTrip runs the round trip and returns the reopened index's
// memory before the last batch.
func storedRoundTrip(t *testing.T, quant Quantization) int64 {
	path := filepath.Join(t.TempDir(), "ix.db")
	data, cents := vecgen.Clustered(5000, 16, 50, 0.1, 3)
	qs := vecgen.ClusteredQueries(100, cents, 0.1, 4)
	s, err := OpenFile(path, &StoredOptions{Dim: 16, Options: Options{EfConstruction: 100, Quantize: quant}, CommitEvery: 700})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Opened().Created {
		t.Fatal("a new file should report Created")
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 4000), data[:4000], 0); err != nil {
		t.Fatal(err)
	}
	for i := 4000; i < 4100; i++ { // single adds commit one by one
		if err := s.Add(context.Background(), uint64(i+1), data[i]); err != nil {
			t.Fatal(err)
		}
	}
	for id := uint64(1); id <= 4100; id += 10 {
		if err := s.Delete(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	before := searchAll(t, s, qs, 10)
	wantLen := s.Len()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	r, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Opened()
	if info.Created || info.Relinked != 0 || info.Nodes != 4100 || info.Live != wantLen {
		t.Fatalf("reopen: %+v, want 4100 nodes, %d live, nothing relinked", info, wantLen)
	}
	if after := searchAll(t, r, qs, 10); !reflect.DeepEqual(before, after) {
		t.Fatal("results differ after reopen")
	}
	if rep := r.Check(); len(rep.Unreachable) != 0 || rep.Live != wantLen || rep.Deleted != 410 {
		t.Fatalf("check: %+v", rep)
	}
	keep := func(id uint64) bool { return id <= 4100 && id%10 != 1 }
	if rec := vecgen.Recall(before, resultID, exactTruth(t, data, qs, 10, keep), 10); rec < 0.95 {
		t.Fatalf("recall@10 %.4f after deletes, want >= 0.95", rec)
	}
	mem := r.MemoryBytes()
	// The reopened index keeps working: add the rest, then find them.
	if err := r.AddBatch(context.Background(), idsFor(4100, 5000), data[4100:], 0); err != nil {
		t.Fatal(err)
	}
	if rs, _ := r.Search(context.Background(), data[4500], 1, nil); len(rs) != 1 || rs[0].ID != 4501 || rs[0].Distance != 0 {
		t.Fatalf("own vector: %v", rs)
	}
	return mem
}

func TestStoredBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ix.db")
	s, err := OpenFile(path, &StoredOptions{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	// A batch with one bad vector changes nothing.
	vecs := [][]float32{{1, 2, 3, 4}, {1, 2, 3}, {0, 0, 0, 1}}
	if err := s.AddBatch(context.Background(), []uint64{1, 2, 3}, vecs, 0); !errors.Is(err, ErrDimension) {
		t.Fatalf("bad batch: %v", err)
	}
	if err := s.AddBatch(context.Background(), []uint64{1, 1}, vecs[:1:1], 0); !errors.Is(err, ErrOptions) {
		t.Fatalf("ids/vectors mismatch: %v", err)
	}
	if err := s.AddBatch(context.Background(), []uint64{1, 1}, [][]float32{vecs[0], vecs[2]}, 0); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate in batch: %v", err)
	}
	if s.Len() != 0 {
		t.Fatalf("bad batches left %d vectors", s.Len())
	}
	if rs, err := s.Search(context.Background(), vecs[0], 3, nil); err != nil || len(rs) != 0 {
		t.Fatalf("empty search: %v %v", rs, err)
	}
	if err := s.Add(context.Background(), 7, vecs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), 8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown delete: %v", err)
	}
	s.Close()
	if err := s.Add(context.Background(), 9, vecs[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("add after close: %v", err)
	}
	if _, err := OpenFile(path, &StoredOptions{Dim: 5}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("dimension mismatch: %v", err)
	}
	// Read-only: searches work, writes are refused.
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := OpenStored(db, []string{"index"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := ro.Search(context.Background(), vecs[0], 1, nil); err != nil || len(rs) != 1 || rs[0].ID != 7 {
		t.Fatalf("read-only search: %v %v", rs, err)
	}
	if err := ro.Add(context.Background(), 10, vecs[0]); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only add: %v", err)
	}
	if _, err := OpenStored(db, []string{"other"}, nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("creating in a read-only db: %v", err)
	}
	db.Close()
	// A damaged record is refused with ErrCorrupt, never a panic.
	for name, damage := range map[string]func(b *bolt.Bucket) error{
		"neighbour out of range": func(b *bolt.Bucket) error {
			rec := []byte{1, 1, 0, 99, 0, 0, 0} // live, layer 0: one neighbour, id 99
			return b.Bucket(bucketLinks).Put(nodeKey(0), rec)
		},
		"short vector": func(b *bolt.Bucket) error { return b.Bucket(bucketVectors).Put(nodeKey(0), []byte{1, 2, 3}) },
		"gap in ids":   func(b *bolt.Bucket) error { return b.Bucket(bucketVectors).Put(nodeKey(5), make([]byte, 9+16)) },
		"bad header":   func(b *bolt.Bucket) error { return b.Put(keyMeta, []byte("{")) },
		"bad state":    func(b *bolt.Bucket) error { return b.Bucket(bucketLinks).Put(nodeKey(0), []byte{7, 0, 0}) },
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".db")
			copyFile(t, path, p)
			db, err := bolt.Open(p, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error { return damage(tx.Bucket([]byte("index"))) }); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if _, err := OpenFile(p, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStoredRelinksOnOpen: a vector stored without its links record (what
// an interrupted writer without transactions would leave) is flagged and
// inserted again on open.
func TestStoredRelinksOnOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ix.db")
	data, _ := vecgen.Clustered(2000, 8, 20, 0.1, 7)
	s, err := OpenFile(path, &StoredOptions{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 2000), data, 0); err != nil {
		t.Fatal(err)
	}
	ep, _ := s.h.Load().entry()
	s.Close()
	victim := (ep + 1) % 2000
	db, _ := bolt.Open(path, 0o644, nil)
	db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("index")).Bucket(bucketLinks).Delete(nodeKey(victim))
	})
	db.Close()
	r, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Opened().Relinked < 1 {
		t.Fatalf("relinked %d, want >= 1", r.Opened().Relinked)
	}
	if rep := r.Check(); len(rep.Unreachable) != 0 || rep.Live != 2000 {
		t.Fatalf("check after relink: %+v", rep)
	}
	id := uint64(victim) + 1
	if rs, _ := r.Search(context.Background(), data[victim], 1, nil); len(rs) != 1 || rs[0].ID != id {
		t.Fatalf("relinked vector not found: %v", rs)
	}
	r.Close()
	// The repair was committed: the next open has nothing to do.
	r, err = OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Opened().Relinked != 0 {
		t.Fatalf("second open relinked %d", r.Opened().Relinked)
	}
}

// TestStoredCrash kills a building child with SIGKILL at several points;
// after each kill the index opens, is consistent, holds exactly the
// committed vectors, and the build resumes to full recall.
// TestStoredCrash kills a build mid-commit, float and SQ8: every reopen
// finds the last commit, consistent, and a resumed build finds the
// neighbours.
func TestStoredCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	for _, quant := range []Quantization{Float, SQ8} {
		t.Run(quant.String(), func(t *testing.T) {
			t.Parallel()
			storedCrash(t, quant)
		})
	}
}

func storedCrash(t *testing.T, quant Quantization) {
	path := filepath.Join(t.TempDir(), "crash.db")
	data, cents := vecgen.Clustered(crashN, crashDim, 60, 0.1, 5)
	qs := vecgen.ClusteredQueries(200, cents, 0.1, 6)
	last := 0
	for kill := 0; kill < 4; kill++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "RGUNIT_INDEX_CRASH_CHILD="+path, "RGUNIT_INDEX_CRASH_QUANTIZE="+quant.String())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		committed := 0
		for sc.Scan() { // let it commit one more chunk, then kill it mid-chunk
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatal(line)
			}
			committed, _ = strconv.Atoi(strings.TrimPrefix(line, "committed "))
			if committed > last {
				time.Sleep(time.Duration(5+15*kill) * time.Millisecond)
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		s, err := OpenFile(path, nil)
		if err != nil {
			t.Fatalf("kill %d: open: %v", kill, err)
		}
		rep := s.Check()
		n := s.Len()
		s.Close()
		if n%crashChunk != 0 || n < committed || len(rep.Unreachable) != 0 || s.Opened().Relinked != 0 {
			t.Fatalf("kill %d: %d live (saw %d committed), report %+v, opened %+v", kill, n, committed, rep, s.Opened())
		}
		t.Logf("kill %d after %d committed: %d vectors, consistent", kill, committed, n)
		last = n
	}
	// Resume to the end in this process; recall matches a clean build.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RGUNIT_INDEX_CRASH_CHILD="+path, "RGUNIT_INDEX_CRASH_QUANTIZE="+quant.String())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	s, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	truth := exactTruth(t, data, qs, 10, nil)
	res := searchAll(t, s, qs, 10)
	if r := vecgen.Recall(res, resultID, truth, 10); s.Len() != crashN || r < 0.95 {
		t.Fatalf("after resume: %d vectors, recall %.4f", s.Len(), r)
	}
}

// TestStoredInStore: the index lives in the store's own file, next to the
// items, and survives reopening the store.
func TestStoredInStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rg.db")
	st, err := storage.Open(path, &storage.Options{ImageSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := vecgen.Clustered(500, 8, 10, 0.1, 1)
	s, err := OpenStored(st.Records(), []string{storage.IndexBucket, "model-1"}, &StoredOptions{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, 500), data, 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if errs := st.Check(); len(errs) != 0 {
		t.Fatal(errs)
	}
	st.Close()
	st, err = storage.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err = OpenStored(st.Records(), []string{storage.IndexBucket, "model-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 500 || s.Dim() != 8 {
		t.Fatalf("reopened: %d vectors of dim %d", s.Len(), s.Dim())
	}
}

// TestReachability: on data of high intrinsic dimension the heuristic
// leaves some nodes with no in-edge; EnsureReachable links them again, and
// a stored index (which runs it before every commit) reopens with nothing to
// repair and identical results.
func TestReachability(t *testing.T) {
	t.Parallel()
	data := vecgen.Gaussian(10000, 64, 3)
	qs := vecgen.Gaussian(50, 64, 4)
	h, _ := NewHNSW(64, &Options{EfConstruction: 100})
	for i, v := range data {
		h.Add(context.Background(), uint64(i+1), v)
	}
	before := len(h.Check().Unreachable)
	fixed := h.EnsureReachable()
	if after := h.Check().Unreachable; len(after) != 0 || fixed < before {
		t.Fatalf("unreachable: %d before, %d relinked, %d after", before, fixed, len(after))
	}
	t.Logf("serial build: %d of 10000 unreachable, all relinked", before)
	path := filepath.Join(t.TempDir(), "g.db")
	s, err := OpenFile(path, &StoredOptions{Dim: 64, Options: Options{EfConstruction: 100}, CommitEvery: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddBatch(context.Background(), idsFor(0, len(data)), data, 0); err != nil {
		t.Fatal(err)
	}
	if u := s.Check().Unreachable; len(u) != 0 {
		t.Fatalf("stored build left %d unreachable", len(u))
	}
	want := searchAll(t, s, qs, 10)
	s.Close()
	r, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Opened().Relinked != 0 {
		t.Fatalf("reopen relinked %d nodes", r.Opened().Relinked)
	}
	if got := searchAll(t, r, qs, 10); !reflect.DeepEqual(got, want) {
		t.Fatal("results differ after reopen")
	}
	// Deletes prune lists too: their commits make the graph reachable
	// again, as a reopen (which trusts the header's flag and does not
	// walk) relies on.
	var gone []uint64
	for id := uint64(1); id <= uint64(len(data)); id += 4 {
		gone = append(gone, id)
	}
	if err := r.DeleteBatch(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r2, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if u := r2.Check().Unreachable; len(u) != 0 || r2.Opened().Relinked != 0 {
		t.Fatalf("after deleting a quarter: %d unreachable on disk, %d relinked", len(u), r2.Opened().Relinked)
	}
}

// TestStoredFlipDetected: a new stored index checksums its records: any
// one-bit flip in a vector or links record makes the open fail with
// ErrCorrupt (before, a flip inside a vector changed search results
// silently).
func TestStoredFlipDetected(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.db")
	s, err := OpenFile(path, &StoredOptions{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := s.Add(context.Background(), uint64(i+1), []float32{float32(i), 1, -1, float32(i % 3)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range [][]byte{bucketVectors, bucketLinks} {
		var orig []byte
		key := nodeKey(3)
		get := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket([]byte("index")).Bucket(sub) }
		db.View(func(tx *bolt.Tx) error { orig = append([]byte(nil), get(tx).Get(key)...); return nil })
		for i := range orig {
			bad := append([]byte(nil), orig...)
			bad[i] ^= 0x10
			db.Update(func(tx *bolt.Tx) error { return get(tx).Put(key, bad) })
			if _, err := OpenStored(db, []string{"index"}, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s record, byte %d flipped: %v", sub, i, err)
			}
		}
		db.Update(func(tx *bolt.Tx) error { return get(tx).Put(key, orig) })
	}
	// A vector key damaged into a huge id (keys carry no checksum) must
	// not size the arrays: the open refuses it instead of allocating.
	vecs := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket([]byte("index")).Bucket(bucketVectors) }
	var last []byte
	db.View(func(tx *bolt.Tx) error { last = append([]byte(nil), vecs(tx).Get(nodeKey(19))...); return nil })
	for _, k := range []uint32{1 << 30, 1<<32 - 1} {
		db.Update(func(tx *bolt.Tx) error { return vecs(tx).Put(nodeKey(k), last) })
		if _, err := OpenStored(db, []string{"index"}, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "beyond") {
			t.Fatalf("vector key %d: %v", k, err)
		}
		db.Update(func(tx *bolt.Tx) error { return vecs(tx).Delete(nodeKey(k)) })
	}
	r, err := OpenStored(db, []string{"index"}, nil)
	if err != nil || r.Len() != 20 {
		t.Fatalf("restored: %v", err)
	}
	db.Close()
}

// TestCommitSize: by default a transaction takes 4096 inserts or an eighth
// of the index, so a large build commits O(log n) times beyond its first
// 32k vectors; a CommitEvery given is kept.
func TestCommitSize(t *testing.T) {
	t.Parallel()
	data := vecgen.Gaussian(40_000, 4, 9)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "ix.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counted := &updateCounter{DB: db}
	s, err := OpenStored(counted, []string{"index"}, &StoredOptions{Dim: 4, Options: Options{EfConstruction: 20, M: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.commitSize(); got != 4096 {
		t.Fatalf("empty index: %d per commit", got)
	}
	before := counted.n
	if err := s.AddBatch(context.Background(), idsFor(0, len(data)), data, 2); err != nil {
		t.Fatal(err)
	}
	// 4096 x 8 = 32768 in 8 commits, then 4096 (32768/8), then the rest.
	if commits := counted.n - before; commits != 10 {
		t.Errorf("40,000 inserts in %d commits, want 10", commits)
	}
	if got := s.commitSize(); got != 5000 {
		t.Errorf("40,000 nodes: %d per commit, want 5000", got)
	}
	fixed, err := OpenFile(filepath.Join(t.TempDir(), "f.db"), &StoredOptions{Dim: 4, CommitEvery: 700})
	if err != nil {
		t.Fatal(err)
	}
	defer fixed.Close()
	if got := fixed.commitSize(); got != 700 {
		t.Errorf("CommitEvery 700: %d", got)
	}
}

// updateCounter counts a database's read-write transactions.
type updateCounter struct {
	*bolt.DB
	n int
}

func (u *updateCounter) Update(fn func(*bolt.Tx) error) error {
	u.n++
	return u.DB.Update(fn)
}
