package cmdutil

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"
)

// Help is a command's help text, parsed from a file of this shape: the
// usage line ("query [IMG...]"), the one-line summary, and optionally,
// after a blank line, the description, and after a line "Examples:", the
// examples. Keeping the text in files keeps the commands' code short and
// lets the help be read (and reviewed) as text.
type Help struct{ Use, Short, Long, Example string }

// ParseHelp parses a help file.
func ParseHelp(text string) (Help, error) {
	head, rest, _ := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	short, rest, _ := strings.Cut(rest, "\n")
	h := Help{Use: strings.TrimSpace(head), Short: strings.TrimSpace(short)}
	if h.Use == "" || h.Short == "" {
		return h, fmt.Errorf("cmdutil: a help file starts with the usage line and the summary line")
	}
	if rest != "" && !strings.HasPrefix(rest, "\n") {
		return h, fmt.Errorf("cmdutil: help for %q: a blank line must follow the summary", h.Use)
	}
	long, example, _ := strings.Cut(rest, "\nExamples:\n")
	h.Long, h.Example = strings.Trim(long, "\n"), strings.TrimRight(example, "\n")
	return h, nil
}

// Command returns a command with the help in file name+".txt" of help
// (the files are embedded and every command is built by the tests, so a
// missing or malformed file is a programming error: it panics).
func Command(help fs.FS, name string) *cobra.Command {
	b, err := fs.ReadFile(help, name+".txt")
	if err != nil {
		panic(err)
	}
	h, err := ParseHelp(string(b))
	if err != nil {
		panic(err)
	}
	return &cobra.Command{Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example}
}
