package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServe: rgunit serve prints where it listens, answers, refuses an
// address beyond loopback without a token, and on SIGTERM finishes, says
// so and exits 0 with the database closed (another writer can open it).
func TestServe(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns a process")
	}
	db := filepath.Join(t.TempDir(), "serve.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	if _, _, err := run(t, "serve", "--db", db, "--addr", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("serve on 0.0.0.0 without a token: %v", err)
	}
	argv, _ := json.Marshal([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(argv))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "listening on http://127.0.0.1:") {
		t.Fatalf("first line %q", lines.Text())
	}
	base := strings.TrimPrefix(lines.Text(), "listening on ")
	resp, err := http.Get(base + "/api/query?id=1&to=Blond_Hair&k=3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"rank":3`) {
		t.Fatalf("query: %d %s", resp.StatusCode, body)
	}
	// While the server holds it, the file is locked against other writers.
	if _, _, err := run(t, "rm", "1", "--db", db); err == nil {
		t.Fatal("another process wrote to the served database")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	var rest []byte
	go func() {
		rest, _ = io.ReadAll(stdout) // all of it before Wait closes the pipe
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if !strings.Contains(string(rest), "stopped") {
		t.Fatalf("output after SIGTERM: %q", rest)
	}
	mustRun(t, "rm", "1", "--db", db) // closed: writable again
}

// TestVersionCommand: rgunit version and --version name the default model.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var v struct {
		Version      string `json:"version"`
		DefaultModel string `json:"default_model"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "version", "--json")), &v); err != nil || v.DefaultModel == "" || v.Version == "" {
		t.Fatalf("version --json: %+v %v", v, err)
	}
	if out := mustRun(t, "--version"); !strings.HasPrefix(out, "rgunit ") || !strings.Contains(out, v.DefaultModel) {
		t.Fatalf("--version: %q", out)
	}
}

// TestBatchQuery: several sources (arguments and --from) times several
// targets, each JSON line naming its query and target; --sheet refuses a
// batch; several --to without an image are one list per target.
func TestBatchQuery(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "batch.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "-q")
	from := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(from, []byte("# sources\nid:3\n\n"+faces+"/000004.png\n"), 0o644)
	out := mustRun(t, "query", "id:1", "id:2", "--from", from, "--to", "Blond_Hair", "--to", "-Young", "-k", "3", "--json", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4*2*3 {
		t.Fatalf("%d lines, want 24:\n%s", len(lines), out)
	}
	seen := map[string]int{}
	for _, l := range lines {
		var h struct {
			ID    uint64 `json:"id"`
			Query string `json:"query"`
			To    string `json:"to"`
			Rank  int    `json:"rank"`
		}
		if err := json.Unmarshal([]byte(l), &h); err != nil || h.Query == "" || h.To == "" || h.ID == 0 {
			t.Fatalf("line %q: %+v %v", l, h, err)
		}
		seen[filepath.Base(h.Query)+" "+h.To]++
	}
	if len(seen) != 8 {
		t.Fatalf("answers per query and target: %v", seen)
	}
	if _, _, err := run(t, "query", "id:1", "id:2", "--to", "Young", "--sheet", filepath.Join(t.TempDir(), "s.png"), "--db", db); err == nil || !strings.Contains(err.Error(), "one IMG and one --to") {
		t.Fatalf("--sheet with two sources: %v", err)
	}
	out = mustRun(t, "query", "--to", "Blond_Hair", "--to", "Black_Hair", "-k", "2", "--json", "--db", db)
	if n := strings.Count(out, `"to":"Blond_Hair"`) + strings.Count(out, `"to":"Black_Hair"`); n != 4 {
		t.Fatalf("two attribute lists of 2: %s", out)
	}
}

// TestDemoAnywhere: the demo runs from a folder outside the repository
// (its faces are in the binary), and a failed demo leaves nothing behind.
func TestDemoAnywhere(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	argv, _ := json.Marshal([]string{"demo"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(argv))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo in %s: %v\n%s", dir, err, out)
	}
	for _, p := range []string{"rgunit-demo/demo.db", "rgunit-demo/translations/000001_sheet.png"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("after the demo: %v", err)
		}
	}
	if !strings.Contains(string(out), "samples/faces/000001.png") {
		t.Fatalf("items are not named by their sample names:\n%s", out)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	failed := filepath.Join(dir, "failed", "demo.db")
	if _, _, err := run(t, "demo", "--data", empty, "--db", failed); err == nil {
		t.Fatal("a demo without faces succeeded")
	}
	if _, err := os.Stat(filepath.Dir(failed)); !os.IsNotExist(err) {
		t.Fatalf("a failed demo left %s behind: %v", filepath.Dir(failed), err)
	}
}
