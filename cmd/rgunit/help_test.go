package main

import (
	"io/fs"
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
