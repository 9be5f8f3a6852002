package rgunit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"rgunit/guided"
	"rgunit/models"
)

// ErrUnknownModel: a shipped model's name that no models folder holds.
var ErrUnknownModel = errors.New("rgunit: no such model")

// ModelDirs are the folders searched for shipped models (NAME.rgm), in
// order: $RGUNIT_MODELS (a list like $PATH), then models/ beside the
// executable and above it (a source tree's build), then models/ in the
// working directory and above it (go run from a checkout).
func ModelDirs() []string {
	var dirs []string
	if env := os.Getenv("RGUNIT_MODELS"); env != "" {
		dirs = append(dirs, filepath.SplitList(env)...)
	}
	up := func(start string) {
		for d := start; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "models"))
			if filepath.Dir(d) == d {
				return
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		up(filepath.Dir(exe))
	}
	if wd, err := os.Getwd(); err == nil {
		up(wd)
	}
	var out []string
	for _, d := range dirs {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// FindModel returns the file of the shipped model name (name.rgm in the
// first of ModelDirs that has it), or ErrUnknownModel saying where it looked.
func FindModel(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("%w: %q is not a model name", ErrUnknownModel, name)
	}
	dirs := ModelDirs()
	for _, d := range dirs {
		p := filepath.Join(d, name+".rgm")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s (looked for %s.rgm in %s; set $RGUNIT_MODELS to its folder, or pass the file's path)",
		ErrUnknownModel, name, name, strings.Join(dirs, ", "))
}

// ShippedModel describes a model rgunit model list shows.
type ShippedModel struct {
	Name     string             `json:"name"`
	Path     string             `json:"path,omitempty"` // "" for the embedded default
	Size     int64              `json:"bytes"`
	Bundle   *guided.Provenance `json:"bundle"`
	Licence  string             `json:"licence,omitempty"` // NAME.NOTICE's first line, beside the file
	Embedded bool               `json:"embedded"`
}

// WriteModels writes ms as rgunit model list prints them: a table.
func WriteModels(w io.Writer, ms []ShippedModel) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tBUNDLE\tSIZE\tATTRIBUTES\tDATA\tLICENCE")
	for _, m := range ms {
		p, where := m.Bundle, m.Path
		if m.Embedded {
			where = "embedded"
		}
		fmt.Fprintf(tw, "%s\t%s (%s)\t%d px, %s\t%s\t%s\t%s\n", m.Name, p.ID(), where, p.Size, FormatBytes(m.Size),
			strings.Join(p.Attrs, ","), p.Data, m.Licence)
	}
	return tw.Flush()
}

// ShippedModels lists the embedded default and every NAME.rgm in
// ModelDirs (the first of each name), with their provenance and any
// licence notice beside them.
func ShippedModels() ([]ShippedModel, error) {
	b, err := guided.DecodeBundle(models.Default)
	if err != nil {
		return nil, err
	}
	out := []ShippedModel{{Name: "default", Size: int64(len(models.Default)), Bundle: &b.Provenance, Embedded: true,
		Licence: "free of third-party data terms (procedural faces made by our own generator)"}}
	seen := map[string]bool{"default": true}
	for _, d := range ModelDirs() {
		files, _ := filepath.Glob(filepath.Join(d, "*.rgm"))
		slices.Sort(files)
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".rgm")
			if seen[name] {
				continue
			}
			seen[name] = true
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			bd, err := guided.DecodeBundle(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			m := ShippedModel{Name: name, Path: f, Size: int64(len(data)), Bundle: &bd.Provenance}
			if notice, err := os.ReadFile(strings.TrimSuffix(f, ".rgm") + ".NOTICE"); err == nil {
				m.Licence, _, _ = strings.Cut(strings.TrimSpace(string(notice)), "\n")
			}
			out = append(out, m)
		}
	}
	return out, nil
}
