package rgunit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit"
	"rgunit/imageio"
)

// TestTranslateEach: a batch writes each input's outputs and sheet, a bad
// input fails alone, and the same seed gives the same outputs.
func TestTranslateEach(t *testing.T) {
	t.Parallel()
	db, done := faces()
	defer done()
	tr, err := db.Translator(rgunit.TranslatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inputs := []string{"id:1", filepath.Join(dir, "missing.png"), "samples/faces/000002.png"}
	var got []rgunit.FileResult
	failed, err := tr.TranslateEach(t.Context(), inputs, []string{"Blond_Hair", "-Young"}, 2, 7, dir, func(r rgunit.FileResult) { got = append(got, r) })
	if err != nil || failed != 1 || len(got) != 3 || got[1].Err == nil || got[1].I != 1 || got[0].Err != nil || got[2].Err != nil ||
		!strings.Contains(got[1].Err.Error(), "missing.png") {
		t.Fatalf("failed %d, results %+v", failed, got)
	}
	for _, r := range []rgunit.FileResult{got[0], got[2]} {
		if len(r.Records) != 2 || len(r.Records[0].Outputs) != 2 || !strings.HasSuffix(r.Sheet, "_sheet.png") {
			t.Fatalf("%s: %+v", r.Input, r)
		}
		for _, p := range append(r.Records[1].Outputs, r.Sheet) {
			if _, err := os.Stat(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The same seed: input 0 gets the same codes again.
	again := t.TempDir()
	tr.TranslateEach(t.Context(), inputs[:1], []string{"Blond_Hair"}, 2, 7, again, func(r rgunit.FileResult) {
		a, _ := os.ReadFile(got[0].Records[0].Outputs[1])
		b, _ := os.ReadFile(r.Records[0].Outputs[1])
		if r.Err != nil || len(a) == 0 || string(a) != string(b) {
			t.Fatalf("same seed, other output: %v", r.Err)
		}
	})
	if _, err := imageio.DecodePNG(mustRead(t, got[0].Sheet)); err != nil {
		t.Fatal(err)
	}
	// Cancelled: it stops before the next input.
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	_, err = tr.TranslateEach(ctx, inputs, []string{"Young"}, 1, 1, t.TempDir(), func(rgunit.FileResult) { n++; cancel() })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("cancelled after the first input: %d translated, %v", n, err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIndexSettings: bad settings are refused before anything is written;
// good ones are recorded.
func TestIndexSettings(t *testing.T) {
	t.Parallel()
	for _, bad := range []rgunit.IndexSettings{{Quantize: "int4"}, {URL: "http://x"}, {URL: "weaviate://"}} {
		if err := bad.Check(); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
	if err := (rgunit.IndexSettings{Quantize: "pq"}).Check(); !errors.Is(err, rgunit.ErrRequest) {
		t.Fatalf("--quantize pq: %v", err)
	}
	db, done := faces()
	defer done()
	if err := db.SetIndex(rgunit.IndexSettings{URL: "embedded", Quantize: "sq8"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := db.Store().IndexQuantize(); q != "sq8" {
		t.Fatalf("quantize recorded as %q", q)
	}
	s, err := db.Sync(t.Context(), false, nil)
	if err != nil || s.Converted != "sq8" {
		t.Fatalf("sync after --quantize sq8: %+v %v", s, err)
	}
}
