package ingest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"rgunit/storage"
)

const facesDir = "../samples/faces"

func TestMain(m *testing.M) {
	// Child mode for TestKill9: ingest a folder into a database, printing a
	// line after every committed batch, until killed.
	if db := os.Getenv("RGUNIT_INGEST_CHILD_DB"); db != "" {
		st, err := storage.Open(db, &storage.Options{ImageSize: 32})
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(2)
		}
		tb, err := LoadLabels(os.Getenv("RGUNIT_INGEST_CHILD_LABELS"))
		if err != nil {
			fmt.Println("labels:", err)
			os.Exit(2)
		}
		fmt.Println("started")
		_, err = Run(context.Background(), st, []string{os.Getenv("RGUNIT_INGEST_CHILD_SRC")}, &Options{
			Labels: tb, BatchSize: 8, Workers: 1,
			Committed: func(n int, _ Summary) { fmt.Printf("batch %d\n", n) },
		})
		if err != nil {
			fmt.Println("run:", err)
			os.Exit(2)
		}
		st.Close()
		fmt.Println("done")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// faceFixture copies the first n shipped faces into a new folder, with their
// labels file, and returns the folder.
func faceFixture(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	lines := []string{fmt.Sprint(n), "Black_Hair Blond_Hair Brown_Hair Male Young"}
	all, err := os.ReadFile(filepath.Join(facesDir, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(all)), "\n")[2:]
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%06d.png", i)
		copyFile(t, filepath.Join(facesDir, name), filepath.Join(dir, name))
		lines = append(lines, rows[i-1])
	}
	if err := os.WriteFile(filepath.Join(dir, "list_attr.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t testing.TB, from, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func openStore(t *testing.T, p string) *storage.Store {
	t.Helper()
	st, err := storage.Open(p, &storage.Options{ImageSize: 32, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// snapshot lists a store's items as "id hash path labels" lines.
func snapshot(t *testing.T, st *storage.Store) []string {
	t.Helper()
	var out []string
	err := st.ForEach(func(it storage.Item) error {
		out = append(out, fmt.Sprintf("%d %x %s %s", it.ID, it.Hash[:6], filepath.Base(it.Path), it.Labels))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIngestShippedFaces(t *testing.T) {
	tb, err := LoadLabels(filepath.Join(facesDir, "list_attr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "f.db"))
	sum, err := Run(context.Background(), st, []string{facesDir}, &Options{Labels: tb})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 300 || sum.Labelled != 300 || sum.Duplicates != 0 || sum.Skipped != 0 || sum.Ignored != 3 || sum.Unmatched != 0 {
		t.Fatalf("summary %+v", sum)
	}
	s, _ := st.Stats()
	if s.Attributes["Male"] != (storage.AttrCount{Pos: 150, Neg: 150}) || s.Attributes["Blond_Hair"] != (storage.AttrCount{Pos: 100, Neg: 200}) {
		t.Fatalf("attributes %v", s.Attributes)
	}
	first := snapshot(t, st)
	again, err := Run(context.Background(), st, []string{facesDir}, &Options{Labels: tb})
	if err != nil {
		t.Fatal(err)
	}
	if again.Added != 0 || again.Duplicates != 300 || again.Relabelled != 0 {
		t.Fatalf("re-ingest added something: %+v", again)
	}
	if !slices.Equal(first, snapshot(t, st)) {
		t.Fatal("re-ingest changed the store")
	}
}

func TestIngestBadFiles(t *testing.T) {
	dir := faceFixture(t, 10)
	face := copyFile(t, filepath.Join(dir, "000001.png"), filepath.Join(dir, "copy-of-1.png"))
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.png", nil)
	write("truncated.png", face[:len(face)/2])
	write("notimage.png", []byte("just some text\n"))
	write("big.jpg", make([]byte, 300<<10))
	write("notes.txt", []byte("not an image, ignored"))
	write(".hidden.png", []byte("hidden files are not even considered"))
	write("noext", face[:len(face)-1]) // an image signature without extension: tried, found truncated
	copyFile(t, "testdata/bomb.png", filepath.Join(dir, "bomb.png"))
	copyFile(t, "testdata/photo.heic", filepath.Join(dir, "photo.heic"))
	st := openStore(t, filepath.Join(t.TempDir(), "b.db"))
	start := time.Now()
	sum, err := Run(context.Background(), st, []string{dir}, &Options{MaxFileBytes: 200 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("bad files made ingest slow (was the bomb decoded?)")
	}
	if sum.Added != 10 || sum.Duplicates != 1 || sum.Skipped != 7 || sum.Ignored != 2 {
		t.Fatalf("summary %+v", sum)
	}
	want := map[string]string{
		"empty.png": "empty file", "truncated.png": "corrupt or truncated", "notimage.png": "not an image",
		"big.jpg": "file too large", "bomb.png": "image too large: 20000x20000", "photo.heic": "unsupported format: heic", "noext": "corrupt or truncated",
	}
	for _, sk := range sum.SkippedFiles {
		w, ok := want[filepath.Base(sk.Path)]
		if !ok || !strings.Contains(sk.Reason, strings.TrimPrefix(w, "unsupported format: ")) {
			t.Errorf("skipped %s: %q (want %q)", filepath.Base(sk.Path), sk.Reason, w)
		}
		delete(want, filepath.Base(sk.Path))
	}
	if len(want) != 0 {
		t.Errorf("not skipped: %v", want)
	}
	if n := sum.SkipReasons["corrupt or truncated"]; n != 2 {
		t.Errorf("skip reasons %v", sum.SkipReasons)
	}
	if errs := st.Check(); len(errs) != 0 {
		t.Fatalf("store check: %v", errs)
	}
	if n, _ := st.Len(); n != 10 {
		t.Fatalf("%d items", n)
	}
}

func TestIngestExplicitFilesAndMissingPath(t *testing.T) {
	dir := faceFixture(t, 3)
	st := openStore(t, filepath.Join(t.TempDir(), "e.db"))
	notes := filepath.Join(dir, "list_attr.txt")
	sum, err := Run(context.Background(), st, []string{filepath.Join(dir, "000001.png"), notes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A file named on the command line is never silently ignored.
	if sum.Added != 1 || sum.Skipped != 1 || sum.Ignored != 0 {
		t.Fatalf("summary %+v", sum)
	}
	_, err = Run(context.Background(), st, []string{dir, filepath.Join(dir, "nope")}, nil)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing path: %v", err)
	}
	if n, _ := st.Len(); n != 1 {
		t.Fatalf("a run with a missing path wrote %d items", n)
	}
}

func TestIngestMixedAndCollidingLabels(t *testing.T) {
	root := t.TempDir()
	for _, sub := range []string{"a", "b", "c"} {
		os.MkdirAll(filepath.Join(root, sub), 0o755)
	}
	copyFile(t, filepath.Join(facesDir, "000001.png"), filepath.Join(root, "a", "x.png"))
	copyFile(t, filepath.Join(facesDir, "000002.png"), filepath.Join(root, "b", "x.png"))
	copyFile(t, filepath.Join(facesDir, "000003.png"), filepath.Join(root, "c", "unlabelled.png"))
	tb, err := ParseLabels(strings.NewReader("Male\na/x.png 1\nb/x.png -1\nmissing.png 1\n"), "l")
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "m.db"))
	sum, err := Run(context.Background(), st, []string{root}, &Options{Labels: tb})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 3 || sum.Labelled != 2 || sum.Unlabelled != 1 || sum.Unmatched != 1 {
		t.Fatalf("summary %+v", sum)
	}
	got := snapshot(t, st)
	if !strings.HasSuffix(got[0], "x.png Male") || !strings.HasSuffix(got[1], "x.png -Male") || !strings.HasSuffix(got[2], "unlabelled.png ") {
		t.Fatalf("items %q", got)
	}
	// Labels supplied later attach to the stored items.
	tb2, _ := ParseLabels(strings.NewReader("Young\nunlabelled.png 1\n"), "l2")
	sum, err = Run(context.Background(), st, []string{root}, &Options{Labels: tb2})
	if err != nil || sum.Relabelled != 1 || sum.Added != 0 {
		t.Fatalf("relabel: %+v %v", sum, err)
	}
	if it, _ := st.Get(3); !it.Labels.Equal(storage.Labels{"Young": 1}) {
		t.Fatalf("relabelled item %+v", it)
	}
}

func TestIngestCancelThenResume(t *testing.T) {
	dir := faceFixture(t, 120)
	tb, _ := LoadLabels(filepath.Join(dir, "list_attr.txt"))
	ref := openStore(t, filepath.Join(t.TempDir(), "ref.db"))
	if _, err := Run(context.Background(), ref, []string{dir}, &Options{Labels: tb, BatchSize: 8}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "c.db"))
	ctx, cancel := context.WithCancel(context.Background())
	sum, err := Run(ctx, st, []string{dir}, &Options{Labels: tb, BatchSize: 8, Workers: 2,
		Committed: func(n int, _ Summary) {
			if n == 2 {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := st.Len()
	if !sum.Interrupted || n < 16 || n >= 120 || n != sum.Added {
		t.Fatalf("cancelled run: %d items, %+v", n, sum)
	}
	if errs := st.Check(); len(errs) != 0 {
		t.Fatal(errs)
	}
	if _, err := Run(context.Background(), st, []string{dir}, &Options{Labels: tb, BatchSize: 8}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snapshot(t, ref), snapshot(t, st)) {
		t.Fatal("resumed store differs from an uninterrupted run")
	}
}

// TestKill9 kills a child process with SIGKILL at several points during an
// ingest into one database, checks bbolt's consistency after each kill, and
// finally completes the ingest: the result must equal an uninterrupted run,
// ids included.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := faceFixture(t, 160)
	copyFile(t, "testdata/bomb.png", filepath.Join(dir, "000050-bomb.png"))
	copyFile(t, filepath.Join(dir, "000007.png"), filepath.Join(dir, "000090-dup.png"))
	labels := filepath.Join(dir, "list_attr.txt")
	tb, _ := LoadLabels(labels)

	ref := openStore(t, filepath.Join(t.TempDir(), "ref.db"))
	refSum, err := Run(context.Background(), ref, []string{dir}, &Options{Labels: tb})
	if err != nil {
		t.Fatal(err)
	}
	if refSum.Added != 160 || refSum.Skipped != 1 || refSum.Duplicates != 1 {
		t.Fatalf("reference run %+v", refSum)
	}

	db := filepath.Join(t.TempDir(), "killed.db")
	rng := rand.New(rand.NewPCG(7, 7))
	prev := 0
	// Kill points: right at start-up, and after seeing batch k committed
	// (plus a random delay of up to 3 ms, landing mid-decode or mid-commit).
	for _, afterBatch := range []int{0, 1, 3, 4, 9} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "RGUNIT_INGEST_CHILD_DB="+db, "RGUNIT_INGEST_CHILD_SRC="+dir, "RGUNIT_INGEST_CHILD_LABELS="+labels)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		seen := 0
		for sc.Scan() {
			line := sc.Text()
			if line == "started" && afterBatch == 0 {
				break
			}
			if strings.HasPrefix(line, "batch ") {
				if seen++; seen >= afterBatch {
					break
				}
			}
			if line == "done" || strings.Contains(line, ":") {
				t.Fatalf("child: %q before the kill point", line)
			}
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, err := storage.Open(db, &storage.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("after kill %d: %v", afterBatch, err)
		}
		if errs := st.Check(); len(errs) != 0 {
			t.Fatalf("after kill %d: consistency: %v", afterBatch, errs)
		}
		n, _ := st.Len()
		st.Close()
		if n < prev || n > 160 {
			t.Fatalf("after kill %d: %d items (before: %d)", afterBatch, n, prev)
		}
		t.Logf("killed after batch %d: %d items stored", afterBatch, n)
		prev = n
	}
	st := openStore(t, db)
	if _, err := Run(context.Background(), st, []string{dir}, &Options{Labels: tb}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, st), snapshot(t, ref); !slices.Equal(got, want) {
		t.Fatalf("after kills and a final run: %d items, want %d; first difference at %v", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "length"
}

func BenchmarkIngest(b *testing.B) {
	tb, err := LoadLabels(filepath.Join(facesDir, "list_attr.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st, err := storage.Open(filepath.Join(b.TempDir(), "b.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Run(context.Background(), st, []string{facesDir}, &Options{Labels: tb})
		if err != nil || sum.Added != 300 {
			b.Fatal(sum, err)
		}
		st.Close()
	}
	b.ReportMetric(300*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
