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
	go func() { done <- cmd.Wait() }()
	rest, _ := io.ReadAll(stdout)
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
