package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"rgunit/ingest"
)

func TestParseHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, text string
		want       Help
		bad        bool
	}{
		{"summary only", "ls\nList the items\n", Help{Use: "ls", Short: "List the items"}, false},
		{"all parts", "query [IMG...]\nFind items\n\nLong text\nover lines.\n\nExamples:\n  rgunit query a\n  rgunit query b\n",
			Help{Use: "query [IMG...]", Short: "Find items", Long: "Long text\nover lines.", Example: "  rgunit query a\n  rgunit query b"}, false},
		{"examples only", "x\ny\n\nExamples:\n  rgunit x\n", Help{Use: "x", Short: "y", Example: "  rgunit x"}, false},
		{"crlf", "x\r\ny\r\n\r\nLong\r\n", Help{Use: "x", Short: "y", Long: "Long"}, false},
		{"empty", "", Help{}, true},
		{"no summary", "x\n", Help{}, true},
		{"no blank line", "x\ny\nLong\n", Help{}, true},
	} {
		h, err := ParseHelp(c.text)
		if (err != nil) != c.bad {
			t.Fatalf("%s: err %v", c.name, err)
		}
		if !c.bad && h != c.want {
			t.Fatalf("%s: %+v, want %+v", c.name, h, c.want)
		}
	}
}

func FuzzParseHelp(f *testing.F) {
	f.Add("query [IMG...]\nFind items\n\nLong\n\nExamples:\n  rgunit query a\n")
	f.Add("x\ny\n")
	f.Fuzz(func(t *testing.T, text string) {
		h, err := ParseHelp(text)
		if err == nil && (h.Use == "" || h.Short == "" || strings.Contains(h.Use, "\n") || strings.Contains(h.Short, "\n")) {
			t.Fatalf("accepted %q as %+v", text, h)
		}
	})
}

// newCmd returns a command whose output goes to buffers.
func newCmd() (*cobra.Command, *bytes.Buffer, *bytes.Buffer) {
	cmd := &cobra.Command{}
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader("a.png\n\n# a comment\n  id:3  \n"))
	return cmd, &out, &errOut
}

func TestArgsFrom(t *testing.T) {
	t.Parallel()
	cmd, _, _ := newCmd()
	got, err := ArgsFrom(cmd, "-", []string{"x.png"})
	if err != nil || strings.Join(got, " ") != "x.png a.png id:3" {
		t.Fatalf("stdin: %q %v", got, err)
	}
	if got, err := ArgsFrom(cmd, "", []string{"x.png"}); err != nil || len(got) != 1 {
		t.Fatalf("no --from: %q %v", got, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	if _, err := ArgsFrom(cmd, empty, nil); err == nil || !strings.Contains(err.Error(), "names no source") {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := ArgsFrom(cmd, filepath.Join(t.TempDir(), "missing"), nil); err == nil || !strings.HasPrefix(err.Error(), "--from") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	cmd, out, _ := newCmd()
	w, err := Create(cmd, "-")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("svg"))
	if err := w.Close(); err != nil || out.String() != "svg" {
		t.Fatalf("stdout: %q %v", out, err)
	}
	p := filepath.Join(t.TempDir(), "f.svg")
	if w, err = Create(cmd, p); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("file"))
	w.Close()
	if b, _ := os.ReadFile(p); string(b) != "file" {
		t.Fatalf("file holds %q", b)
	}
}

// losses is a loss record for TestRun.
type losses struct {
	Step int     `json:"step"`
	Loss float64 `json:"loss"`
	n    int
}

func (s *losses) Add(l losses) { s.Step, s.Loss, s.n = l.Step, s.Loss+l.Loss, s.n+1 }
func (s losses) Mean() losses  { return losses{Step: s.Step, Loss: s.Loss / float64(max(s.n, 1))} }

func TestRun(t *testing.T) {
	t.Parallel()
	cmd, out, errOut := newCmd()
	r := NewRun[losses](cmd, "train", 4, 2, true, true, func(l losses) string { return " | loss" })
	if r.Ran() {
		t.Fatal("ran before a step")
	}
	// A resumed run: steps 3 to 6, checkpoints every 2 steps.
	for step := 3; step <= 6; step++ {
		r.Step(step, losses{Step: step, Loss: float64(step)})
	}
	if err := r.Finish(nil, 6, losses{Step: 6, Loss: 6}); err != nil || !r.Ran() {
		t.Fatalf("finish: %v", err)
	}
	r.End(losses{Step: 6, Loss: 6}, "not printed with --json")
	var got []losses
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var x losses
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, x)
	}
	// Step 4: the mean of steps 3 and 4; step 6: of 5 and 6; then the last.
	want := []losses{{Step: 4, Loss: 3.5}, {Step: 6, Loss: 5.5}, {Step: 6, Loss: 6}}
	if len(got) != len(want) {
		t.Fatalf("JSON lines %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Step != want[i].Step || got[i].Loss != want[i].Loss {
			t.Fatalf("JSON lines %v, want %v", got, want)
		}
	}
	if errOut.Len() != 0 {
		t.Fatalf("quiet run wrote %q", errOut)
	}
	err := NewRun[losses](cmd, "train", 4, 2, true, false, nil).Finish(fmt.Errorf("train: %w", context.Canceled), 3, losses{})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "at step 3") {
		t.Fatalf("interrupted: %v", err)
	}
}

func TestPhase(t *testing.T) {
	t.Parallel()
	cmd, _, errOut := newCmd()
	p := NewPhase(cmd, "ingest", "img", false)
	p.Finish() // before any report: nothing to close
	p.Ingest(ingest.Progress{Done: 1, Total: 2, Added: 1})
	p.Ingest(ingest.Progress{Done: 2, Total: 2, Added: 2})
	p.Finish()
	p.Finish()
	p.Update(1, 2, "") // after Finish: ignored
	if errOut.Len() != 0 {
		t.Fatalf("a phase shorter than the log interval printed %q", errOut)
	}
	u := NewPhase(cmd, "pool", "triplets", true)
	u.Until(2, 2)
	if !u.closed {
		t.Fatal("Until did not close the phase at its total")
	}
}

func TestExecute(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		says   string
	}{
		{nil, 0, ""},
		{errors.New("bad flag"), 1, "x: bad flag\n"},
		{fmt.Errorf("%w at step 3", ErrInterrupted), 130, "x: interrupted at step 3\n"},
		{errors.New("x: no such item"), 1, "x: no such item\n"}, // the library's errors name it once
	} {
		var errOut bytes.Buffer
		root := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true, RunE: func(*cobra.Command, []string) error { return c.err }}
		root.SetErr(&errOut)
		root.SetArgs(nil)
		if got := Execute(root); got != c.status || errOut.String() != c.says {
			t.Fatalf("%v: status %d, printed %q", c.err, got, errOut.String())
		}
	}
}
