package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"rgunit/storage"
)

// maxLabelsLine bounds one line of a labels file.
const maxLabelsLine = 1 << 20

// LabelTable is a parsed labels file in CelebA list_attr format:
//
//	202599                      optional: the number of rows
//	5_o_Clock_Shadow Arched_Eyebrows ...   the attribute names
//	000001.jpg -1  1  1 -1 ...   one row per image: name, then +1/-1 per attribute
//
// Rows name files by base name ("000001.jpg") or by slash-separated relative
// path ("a/000001.jpg") where base names collide.
type LabelTable struct {
	Source string   // file name, for messages
	Attrs  []string // attribute names, in header order
	rows   map[string][]int8
	byBase map[string][]string // base name -> row keys with that base name
	order  []string
}

// Len returns the number of rows.
func (t *LabelTable) Len() int { return len(t.order) }

// Rows returns the row keys in file order.
func (t *LabelTable) Rows() []string { return t.order }

// Row returns the labels of the row with exactly this key.
func (t *LabelTable) Row(key string) (storage.Labels, bool) {
	v, ok := t.rows[key]
	if !ok {
		return nil, false
	}
	l := make(storage.Labels, len(t.Attrs))
	for i, a := range t.Attrs {
		l[a] = v[i]
	}
	return l, true
}

// Match finds the row for a file: rel is its slash-separated path relative to
// the ingest root it was found under, abs its absolute path. A row matches by
// exact relative path; else by base name when only one row has that base
// name; else by the row whose path is a suffix of the file's path.
func (t *LabelTable) Match(rel, abs string) (key string, ok bool) {
	if _, ok := t.rows[rel]; ok {
		return rel, true
	}
	cands := t.byBase[path.Base(rel)]
	if len(cands) == 1 && !strings.Contains(cands[0], "/") {
		return cands[0], true
	}
	abs = filepath.ToSlash(abs)
	for _, c := range cands {
		if strings.HasSuffix(abs, "/"+c) {
			return c, true
		}
	}
	return "", false
}

// LoadLabels reads and parses a labels file.
func LoadLabels(name string) (*LabelTable, error) {
	f, err := os.Open(name)
	if err != nil { // not malformed: missing or unreadable
		return nil, fmt.Errorf("ingest: labels file: %w", err)
	}
	defer f.Close()
	return ParseLabels(f, name)
}

// ParseLabels parses a labels file. Errors wrap ErrLabels and name the line
// and what is wrong with it. Empty lines and CRLF line ends are accepted.
func ParseLabels(r io.Reader, name string) (*LabelTable, error) {
	t := &LabelTable{Source: name, rows: map[string][]int8{}, byBase: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLabelsLine)
	lineNo := 0
	want := -1 // declared row count, -1 when absent
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrLabels, name, lineNo, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			continue
		}
		switch {
		case t.Attrs == nil && want < 0 && len(fields) == 1 && isCount(fields[0]):
			n, err := strconv.Atoi(fields[0])
			if err != nil || n < 0 {
				return nil, fail("row count %q is not a non-negative integer", fields[0])
			}
			want = n
		case t.Attrs == nil:
			if msg := t.header(fields); msg != "" {
				return nil, fail("%s", msg)
			}
		default:
			if msg := t.row(fields); msg != "" {
				return nil, fail("%s", msg)
			}
		}
	}
	if err := sc.Err(); err != nil {
		lineNo++
		if err == bufio.ErrTooLong {
			return nil, fail("line longer than %d bytes", maxLabelsLine)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrLabels, name, err)
	}
	if t.Attrs == nil {
		return nil, fmt.Errorf("%w: %s: no header line naming the attributes", ErrLabels, name)
	}
	if want >= 0 && want != len(t.order) {
		return nil, fmt.Errorf("%w: %s:1: the count line says %d rows, the file has %d", ErrLabels, name, want, len(t.order))
	}
	return t, nil
}

// header sets the attributes from the header line's fields, or says what
// is wrong with them.
func (t *LabelTable) header(fields []string) string {
	seen := map[string]bool{}
	for _, a := range fields {
		if isNumber(a) {
			return fmt.Sprintf("header names attribute %q, which is a number: is the header line missing?", a)
		}
	}
	for _, a := range fields {
		if seen[a] {
			return fmt.Sprintf("attribute %q named twice in the header", a)
		}
		seen[a] = true
	}
	t.Attrs = fields
	return ""
}

// row adds a file's row (its name, then a value per attribute), or says
// what is wrong with it.
func (t *LabelTable) row(fields []string) string {
	key := path.Clean(strings.ReplaceAll(fields[0], `\`, "/"))
	if len(fields)-1 != len(t.Attrs) {
		return fmt.Sprintf("row %q has %d values, the header names %d attributes", fields[0], len(fields)-1, len(t.Attrs))
	}
	if key == "." || strings.HasPrefix(key, "../") || path.IsAbs(key) {
		return fmt.Sprintf("row name %q is not a file name or relative path", fields[0])
	}
	if _, dup := t.rows[key]; dup {
		return fmt.Sprintf("file %q has a second row", fields[0])
	}
	vals := make([]int8, len(t.Attrs))
	for i, f := range fields[1:] {
		switch f {
		case "1", "+1":
			vals[i] = 1
		case "-1":
			vals[i] = -1
		default:
			return fmt.Sprintf("row %q: value %q for %s is not 1 or -1", fields[0], f, t.Attrs[i])
		}
	}
	t.rows[key] = vals
	t.order = append(t.order, key)
	base := path.Base(key)
	t.byBase[base] = append(t.byBase[base], key)
	return ""
}

func isCount(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// CheckNames reports the first attribute name that targets and filters
// could not name (see attrName): labels to ingest must pass it.
func (t *LabelTable) CheckNames() error {
	for _, a := range t.Attrs {
		if !attrName(a) {
			return fmt.Errorf("%w: %s: attribute name %q: use letters, digits and _ only (targets are written Name and -Name, filters Name=+1)", ErrLabels, t.Source, a)
		}
	}
	return nil
}

// attrName reports whether a can be an attribute name: letters, digits and
// underscores only, so that target lists ("A,-B") and filters ("A=+1")
// can name it.
func attrName(a string) bool {
	for _, r := range a {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return a != ""
}
