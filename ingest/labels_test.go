package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit/storage"
)

func TestParseLabels(t *testing.T) {
	in := "3\r\nBlack_Hair Male Young\r\n\r\na.png 1 -1 1\r\nsub/b.png -1 1 -1\r\nc.png  1  1  1\r\n"
	tb, err := ParseLabels(strings.NewReader(in), "l.txt")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Attrs, ",") != "Black_Hair,Male,Young" || tb.Len() != 3 {
		t.Fatalf("attrs %v rows %d", tb.Attrs, tb.Len())
	}
	l, ok := tb.Row("sub/b.png")
	if !ok || !l.Equal(storage.Labels{"Black_Hair": -1, "Male": 1, "Young": -1}) {
		t.Fatalf("row: %v %v", l, ok)
	}
	// No count line, a BOM, +1 accepted.
	tb, err = ParseLabels(strings.NewReader("\ufeffA B\nx.jpg +1 -1\n"), "l.txt")
	if err != nil || tb.Len() != 1 {
		t.Fatalf("%v %v", tb, err)
	}
}

func TestParseLabelsMalformed(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"short row", "2\nA B C\nx.png 1 -1 1\ny.png 1 -1\n", "l.txt:4: row \"y.png\" has 2 values, the header names 3"},
		{"bad value", "A B\nx.png 1 0\n", "l.txt:2: row \"x.png\": value \"0\" for B is not 1 or -1"},
		{"word value", "A\nx.png yes\n", "l.txt:2:"},
		{"duplicate row", "A\nx.png 1\nx.png -1\n", "l.txt:3: file \"x.png\" has a second row"},
		{"duplicate attribute", "A A\n", "l.txt:1: attribute \"A\" named twice"},
		{"missing header", "2\nx.png 1 -1\n", "l.txt:2: header names attribute \"1\""},
		{"count mismatch", "5\nA\nx.png 1\n", "count line says 5 rows, the file has 1"},
		{"empty", "", "no header line"},
		{"escaping path", "A\n../x.png 1\n", "l.txt:2: row name \"../x.png\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseLabels(strings.NewReader(c.in), "l.txt")
			if !errors.Is(err, ErrLabels) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestCheckNames: names that targets ("A,-B") and filters ("A=+1") could
// not name are refused for ingest.
func TestCheckNames(t *testing.T) {
	for _, bad := range []string{"Bl,ond", "-Neg", "A=B", "Gray-Hair", "Hair+"} {
		tb, err := ParseLabels(strings.NewReader("Ok "+bad+"\nx.png 1 1\n"), "l.txt")
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.CheckNames(); !errors.Is(err, ErrLabels) || !strings.Contains(err.Error(), "attribute name") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	tb, _ := ParseLabels(strings.NewReader("5_o_Clock_Shadow Male\nx.png 1 1\n"), "l.txt")
	if err := tb.CheckNames(); err != nil {
		t.Fatalf("CelebA's names: %v", err)
	}
}

// TestLoadLabelsMissing: a labels file that is not there is said to be
// missing, not malformed.
func TestLoadLabelsMissing(t *testing.T) {
	_, err := LoadLabels(filepath.Join(t.TempDir(), "nope.txt"))
	if err == nil || errors.Is(err, ErrLabels) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing labels file: %v", err)
	}
}

func TestLabelMatch(t *testing.T) {
	tb, err := ParseLabels(strings.NewReader("A\nunique.png 1\nx/dup.png 1\ny/dup.png -1\n"), "l")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ rel, abs, want string }{
		{"deep/unique.png", "/d/deep/unique.png", "unique.png"}, // base name, unique
		{"x/dup.png", "/d/x/dup.png", "x/dup.png"},              // exact relative path
		{"dup.png", "/data/set/y/dup.png", "y/dup.png"},         // path suffix
		{"z/dup.png", "/d/z/dup.png", ""},                       // ambiguous base name: no match
		{"other.png", "/d/other.png", ""},
	}
	for _, c := range cases {
		got, ok := tb.Match(c.rel, c.abs)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Match(%q, %q) = %q, %v; want %q", c.rel, c.abs, got, ok, c.want)
		}
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add("3\nBlack_Hair Male Young\na.png 1 -1 1\nb.png -1 1 -1\nc.png 1 1 1\n")
	f.Add("A B\r\nx/y.jpg +1 -1\r\n")
	f.Add("1\nA\n../x 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ParseLabels(strings.NewReader(in), "f")
		if err != nil {
			if !errors.Is(err, ErrLabels) {
				t.Fatalf("error does not wrap ErrLabels: %v", err)
			}
			return
		}
		// Whatever parses survives a canonical re-serialization unchanged.
		var b strings.Builder
		fmt.Fprintln(&b, tb.Len())
		fmt.Fprintln(&b, strings.Join(tb.Attrs, " "))
		for _, k := range tb.Rows() {
			l, ok := tb.Row(k)
			if !ok || len(l) != len(tb.Attrs) {
				t.Fatalf("row %q: %v", k, l)
			}
			b.WriteString(k)
			for _, a := range tb.Attrs {
				fmt.Fprintf(&b, " %d", l[a])
			}
			b.WriteByte('\n')
		}
		again, err := ParseLabels(strings.NewReader(b.String()), "again")
		if err != nil || again.Len() != tb.Len() || strings.Join(again.Attrs, " ") != strings.Join(tb.Attrs, " ") {
			t.Fatalf("re-parse of\n%s\n: %v", b.String(), err)
		}
	})
}

func ExampleParseLabels() {
	tb, err := ParseLabels(strings.NewReader("2\nBlond_Hair Male\n000001.jpg 1 -1\n000002.jpg -1 1\n"), "list_attr.txt")
	if err != nil {
		panic(err)
	}
	l, _ := tb.Row("000002.jpg")
	fmt.Println(tb.Attrs, l)
	// Output: [Blond_Hair Male] -Blond_Hair,Male
}
