package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit/internal/wvtest"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(envCLIChild); args != "" { // a child process of a crash test
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Args = append([]string{"rgunit"}, argv...)
		main()
		os.Exit(0)
	}
	wvtest.Main(m)
}

// mirrored writes n faces of testdata flipped left to right (new files,
// new hashes) into a new folder.
func mirrored(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 1; i <= n; i++ {
		f, err := os.Open(filepath.Join(faces, fmt.Sprintf("%06d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		out := image.NewRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out.Set(b.Max.X-1-(x-b.Min.X), y, img.At(x, y))
			}
		}
		w, err := os.Create(filepath.Join(dir, fmt.Sprintf("m%06d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(w, out)
		w.Close()
	}
	return dir
}

func neighbourIDs(t *testing.T, out string) []float64 {
	t.Helper()
	var ids []float64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		ids = append(ids, l["id"].(float64))
	}
	return ids
}

// TestWeaviateCLI: a database with its index on Weaviate answers like the
// embedded one; with the server down, ingest commits locally and leaves the
// new items pending; sync pushes them once it is back.
func TestWeaviateCLI(t *testing.T) {
	t.Parallel()
	c := wvtest.Start(t, 1)
	url := c.URL(0, "Cli")
	dir := t.TempDir()
	local, remote := filepath.Join(dir, "local.db"), filepath.Join(dir, "remote.db")

	// Bad URLs are refused before anything is written.
	if _, _, err := run(t, "ingest", faces, "--db", remote, "--index", "http://127.0.0.1:8080", "-q"); err == nil || !strings.Contains(err.Error(), "weaviate://") {
		t.Fatalf("bad --index: %v", err)
	}
	if _, err := os.Stat(remote); err == nil {
		t.Fatal("a refused --index created the database")
	}

	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", local, "-q")
	out := mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", remote, "--index", url, "-q")
	if !strings.Contains(out, "index: "+url) || !strings.Contains(out, "300 pushed, 300 indexed, 0 pending") {
		t.Fatalf("ingest --index: %s", out)
	}
	if out := mustRun(t, "stats", "--db", remote); !strings.Contains(out, "index      "+url+": nothing pending") {
		t.Fatalf("stats: %s", out)
	}
	// The same query on both: the same neighbours (300 items: both exact).
	q := []string{"query", "id:7", "--to", "Blond_Hair", "-k", "5", "--json"}
	a := neighbourIDs(t, mustRun(t, append(q, "--db", local)...))
	b := neighbourIDs(t, mustRun(t, append(q, "--db", remote)...))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("embedded %v, weaviate %v", a, b)
	}
	for _, id := range b {
		if id == 7 {
			t.Fatal("the source is its own neighbour")
		}
	}
	// Label filters become where-filters.
	for _, id := range neighbourIDs(t, mustRun(t, "query", "id:7", "--to", "Young", "--filter", "Male=-1", "--json", "--db", remote)) {
		if !strings.Contains(mustRun(t, "show", fmt.Sprint(id), "--db", remote), "-Male") {
			t.Fatalf("item %v passed --filter Male=-1", id)
		}
	}
	// Translation guided through the remote index.
	outDir := t.TempDir()
	if out := mustRun(t, "translate", "id:1", "--to", "Blond_Hair", "--db", remote, "--out", outDir); !strings.Contains(out, "guided by id:") {
		t.Fatalf("translate: %s", out)
	}

	// The server goes down: ingest still commits and says so.
	c.Stop(0)
	more := mirrored(t, 3)
	out, _, err := run(t, "ingest", more, "--db", remote, "-q")
	if err != nil || !strings.Contains(out, "3 added") || !strings.Contains(out, "unreachable") || !strings.Contains(out, "3 pending") {
		t.Fatalf("ingest with the server down: %v\n%s", err, out)
	}
	if out := mustRun(t, "stats", "--db", remote); !strings.Contains(out, "items      303") || !strings.Contains(out, "3 items pending") {
		t.Fatalf("stats with pending items: %s", out)
	}
	if _, _, err := run(t, "query", "id:7", "--to", "Young", "--db", remote); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("query with the server down: %v", err)
	}
	if _, _, err := run(t, "rm", "5", "--db", remote); err != nil {
		t.Fatalf("rm with the server down: %v", err)
	}
	if out := mustRun(t, "stats", "--db", remote); !strings.Contains(out, "4 items pending") {
		t.Fatalf("stats after rm with the server down: %s", out)
	}

	// Back up: sync pushes the additions and the deletion.
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "sync", "--db", remote)
	if !strings.Contains(out, "4 pushed, 302 indexed, 0 pending") {
		t.Fatalf("sync: %s", out)
	}
	found := false
	for _, id := range neighbourIDs(t, mustRun(t, "query", "id:1", "--to", "Young", "-k", "300", "--nearest", "--json", "--db", remote)) {
		if id == 5 {
			t.Fatal("a deleted item was found")
		}
		found = found || id > 300
	}
	if !found {
		t.Fatal("the items ingested while the server was down are not found after sync")
	}
	// Back into the file: nothing is embedded again.
	if out := mustRun(t, "sync", "--db", remote, "--index", "embedded"); !strings.Contains(out, "0 items embedded, 302 indexed") {
		t.Fatalf("sync --index embedded: %s", out)
	}
}
