package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// envCLIChild makes the test binary run the CLI with these arguments (a
// JSON list) instead of the tests: the process a crash test kills.
const envCLIChild = "RGUNIT_CLI_CHILD"

// killAtSync runs the CLI with args in a child process under strace, which
// kills it (SIGKILL) at its n-th fdatasync, that is inside its n-th commit;
// it reports whether the child died there (false: it finished first).
func killAtSync(t *testing.T, n int, args ...string) bool {
	t.Helper()
	argv, _ := json.Marshal(args)
	cmd := exec.Command("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync,fsync",
		"-e", "inject=fdatasync,fsync:signal=KILL:when="+strings.TrimSpace(itoa(n)), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(argv))
	out, err := cmd.CombinedOutput()
	if err == nil {
		return false
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 137 || strings.Contains(err.Error(), "killed") {
		return true
	}
	t.Fatalf("child %v at sync %d: %v\n%s", args, n, err, out)
	return false
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestIngestKilledKeepsModel: a new database's first ingest killed at each
// of its first commits, then run again, ends with the shipped models and
// every item indexed; a database made with --model none stays without.
func TestIngestKilledKeepsModel(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("needs strace (apt-get install strace) to kill at a commit")
	}
	dir := t.TempDir()
	for n := 1; n <= 6; n++ {
		db := filepath.Join(dir, "new"+itoa(n)+".db")
		args := []string{"ingest", faces, "--labels", faces + "/list_attr.txt", "--db", db, "-q"}
		if !killAtSync(t, n, args...) {
			t.Fatalf("the ingest finished before its commit %d", n)
		}
		mustRun(t, args...)
		out := mustRun(t, "stats", "--db", db)
		if !strings.Contains(out, "items      300") || !strings.Contains(out, "retrieval v1, rg-unit v1") || !strings.Contains(out, "retrieval-1: 300") {
			t.Fatalf("killed at commit %d, then run again:\n%s", n, out)
		}
	}
	// --model none is remembered: a later plain ingest adds no model.
	db := filepath.Join(dir, "none.db")
	mustRun(t, "ingest", faces+"/000001.png", "--db", db, "--model", "none", "-q")
	mustRun(t, "ingest", faces+"/000002.png", "--db", db, "-q")
	if out := mustRun(t, "stats", "--db", db); !strings.Contains(out, "retrieval none") {
		t.Fatalf("a --model none database got a model:\n%s", out)
	}
}
