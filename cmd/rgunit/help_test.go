package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpFiles: every command has a summary, and every help file is a
// command's (a renamed command would otherwise keep a stale file).
func TestHelpFiles(t *testing.T) {
	t.Parallel()
	files := map[string]bool{}
	fs.WalkDir(help, "help", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[strings.TrimSuffix(strings.TrimPrefix(p, "help/"), ".txt")] = true
		}
		return err
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" && !c.Hidden {
			t.Errorf("%s has no summary", c.CommandPath())
		}
		delete(files, strings.ReplaceAll(strings.TrimPrefix(c.CommandPath(), "rgunit "), " ", "_"))
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	root := newRootCmd()
	walk(root)
	delete(files, "rgunit")
	if len(files) > 0 {
		t.Fatalf("help files no command uses: %v", files)
	}
	if len(root.Commands()) < 15 {
		t.Fatalf("%d commands", len(root.Commands()))
	}
}

// TestCLIReference: docs/cli.md is every command's help, as rgunit CMD
// --help prints it; RGUNIT_UPDATE_DOCS=1 writes it again after a change.
func TestCLIReference(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# rgunit command reference\n\nEvery command's `--help`, generated from the commands (`cmd/rgunit/help/*.txt` and their flags) by\n`RGUNIT_UPDATE_DOCS=1 go test ./cmd/rgunit -run TestCLIReference`; the test fails when this file is stale.\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", c.CommandPath(), c.Short)
		if c.Long != "" {
			fmt.Fprintf(&b, "\n```text\n%s\n```\n", c.Long)
		}
		fmt.Fprintf(&b, "\nUsage: `%s`\n", c.UseLine())
		if c.Example != "" {
			fmt.Fprintf(&b, "\nExamples:\n\n```sh\n%s\n```\n", c.Example)
		}
		if f := c.LocalNonPersistentFlags().FlagUsages(); f != "" {
			fmt.Fprintf(&b, "\nFlags:\n\n```text\n%s```\n", f)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	root := newRootCmd()
	root.InitDefaultHelpCmd()
	walk(root)
	path := filepath.Join("..", "..", "docs", "cli.md")
	if os.Getenv("RGUNIT_UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if old, err := os.ReadFile(path); err != nil || string(old) != b.String() {
		t.Fatalf("docs/cli.md is stale (%v): run RGUNIT_UPDATE_DOCS=1 go test ./cmd/rgunit -run TestCLIReference", err)
	}
}
