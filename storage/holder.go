package storage

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The writer of a database records itself in PATH.holder (its pid and
// command line) while it holds the file, so that a process refused with
// ErrLocked can say who holds it. The file is advisory: a writer that
// was killed leaves it behind, and a holder whose pid is gone is ignored.

func holderPath(db string) string { return db + ".holder" }

// writeHolder records this process as the writer of db.
func writeHolder(db string) {
	os.WriteFile(holderPath(db), []byte(fmt.Sprintf("%d\n%s\n", os.Getpid(), strings.Join(os.Args, " "))), 0o644)
}

// removeHolder removes the record when it is this process's.
func removeHolder(db string) {
	if pid, _ := readHolder(db); pid == os.Getpid() {
		os.Remove(holderPath(db))
	}
}

// readHolder returns the recorded writer of db, if any.
func readHolder(db string) (pid int, command string) {
	b, err := os.ReadFile(holderPath(db))
	if err != nil {
		return 0, ""
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	pid, _ = strconv.Atoi(first)
	return pid, strings.TrimSpace(rest)
}

// lockedError is ErrLocked for db, naming the writer when it is alive,
// and saying how to read while a long write runs.
func lockedError(db string) error {
	who := ""
	if pid, cmd := readHolder(db); pid > 0 && syscall.Kill(pid, 0) == nil {
		who = fmt.Sprintf(" by pid %d (%s)", pid, cmd)
	}
	return fmt.Errorf("%w: %s is held%s; a database has one writer at a time: wait for it, or serve the database with rgunit serve and read it over HTTP while it writes", ErrLocked, db, who)
}
