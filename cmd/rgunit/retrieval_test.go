package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"rgunit/split"
)

// TestRetrievalCLI: train stage 1 and 2 for a few steps on the 300 faces,
// then query by image (text, JSON, sheet), by stored item, by attributes;
// ingest more items (they are indexed); retrain (the index is stale until
// reindex); and each bad input.
func TestRetrievalCLI(t *testing.T) {
	t.Parallel()
	db := ingested(t) // 32 px
	// Query before any model.
	if _, _, err := run(t, "query", "id:1", "--to", "Young", "--db", db); err == nil || !strings.Contains(err.Error(), "train retrieval") {
		t.Fatalf("query without a model: %v", err)
	}
	if _, _, err := run(t, "train", "retrieval", "--db", db, "-q"); err == nil || !strings.Contains(err.Error(), "train unit") {
		t.Fatalf("train retrieval without stage 1: %v", err)
	}
	mustRun(t, "train", "unit", "--db", db, "--steps", "2", "--width", "4", "--res-blocks", "1", "--batch", "2", "-q")
	for _, bad := range []string{"none", "easy,easy"} {
		if _, _, err := run(t, "train", "retrieval", "--db", db, "--negatives", bad, "-q"); err == nil || !strings.Contains(err.Error(), "negatives") {
			t.Fatalf("--negatives %s: %v", bad, err)
		}
	}
	out := mustRun(t, "train", "retrieval", "--db", db, "--steps", "4", "--pool", "16", "--batch", "4", "--dim", "8", "--checkpoint-every", "2", "--json", "-q")
	if !strings.Contains(out, `"per_kind"`) || !strings.Contains(out, "index: retrieval version 2, 300 items embedded, 300 indexed") {
		t.Fatalf("train retrieval: %s", out)
	}
	img := filepath.Join(faces, "000001.png")
	sheet := filepath.Join(t.TempDir(), "sheet.png")
	out = mustRun(t, "query", img, "--to", "Blond_Hair,-Male", "-k", "4", "--db", db, "--sheet", sheet)
	// The file is stored: it is that item (known labels, never its own
	// neighbour).
	if !strings.Contains(out, "(known)") || strings.Count(out, "\n") != 7 /* query, header, 4 rows, sheet */ || !strings.Contains(out, "sheet: ") {
		t.Fatalf("query: %s", out)
	}
	checkSheet(t, sheet, 32, 1, 2, 4) // query and translation, 4 neighbours
	// JSON: one object per line, ascending distances; id:N excludes itself.
	out = mustRun(t, "query", "id:9", "--to", "Young", "-k", "5", "--db", db, "--json", "--filter", "Male=-1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("json query: %s", out)
	}
	prev := -1.0
	for _, l := range lines {
		var n struct {
			ID       uint64             `json:"id"`
			Path     string             `json:"path"`
			Distance float64            `json:"distance"`
			Labels   map[string]float64 `json:"labels"`
		}
		if err := json.Unmarshal([]byte(l), &n); err != nil || n.Path == "" || n.ID == 9 || n.Distance < prev || n.Labels["Male"] != -1 {
			t.Fatalf("json line %s: %v", l, err)
		}
		prev = n.Distance
	}
	// By attributes.
	out = mustRun(t, "query", "--to", "Blond_Hair,Young", "-k", "3", "--db", db, "--json")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[0], `"predicted":false`) || strings.Contains(lines[0], "distance") {
		t.Fatalf("attribute query: %s", out)
	}
	// Bad input.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"query", img, "--to", "Bald", "--db", db}, "bad attribute"},
		{[]string{"query", img, "--to", "Black_Hair,Blond_Hair", "--db", db}, "contradict"},
		{[]string{"query", img, "--to", "Young", "-k", "0", "--db", db}, "-k must be positive"},
		{[]string{"query", img, "--to", "Young", "--filter", "Male", "--db", db}, "filter"},
		{[]string{"query", "missing.png", "--to", "Young", "--db", db}, "no such file"},
		{[]string{"query", filepath.Join(faces, "list_attr.txt"), "--to", "Young", "--db", db}, "not an image"},
		{[]string{"query", "id:999", "--to", "Young", "--db", db}, "no such item"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	// Stats count predicted attributes (none: every item is labelled).
	if out := mustRun(t, "stats", "--db", db, "--json"); !strings.Contains(out, `"predicted_attributes":0`) {
		t.Fatalf("stats: %s", out)
	}
	// A new model version (--fresh) is indexed when its training ends.
	mustRun(t, "train", "retrieval", "--db", db, "--steps", "4", "--pool", "16", "--batch", "4", "--dim", "8", "--fresh", "-q")
	if _, _, err := run(t, "query", img, "--to", "Young", "--db", db); err != nil {
		t.Fatalf("train retrieval indexes at the end: %v", err)
	}
	// Removing and re-adding items keeps the index in step.
	mustRun(t, "rm", "1", "2", "--db", db)
	out = mustRun(t, "reindex", "--db", db, "--update", "-q")
	if !strings.Contains(out, "0 items embedded, 298 indexed") {
		t.Fatalf("reindex --update after rm: %s", out)
	}
	out = mustRun(t, "reindex", "--db", db, "-q")
	if !strings.Contains(out, "298 items embedded, 298 indexed") {
		t.Fatalf("reindex: %s", out)
	}
	// Ingesting adds the new items to the index (the two removed files
	// come back under new ids).
	out = mustRun(t, "ingest", faces, "--db", db, "-q")
	if !strings.Contains(out, "2 added") || !strings.Contains(out, "2 items embedded, 300 indexed") {
		t.Fatalf("ingest with a retrieval model: %s", out)
	}
	// Empty database.
	empty := filepath.Join(t.TempDir(), "e.db")
	mustRun(t, "ingest", filepath.Join(faces, "list_attr.txt"), "--db", empty, "-q")
	if _, _, err := run(t, "query", img, "--to", "Young", "--db", empty); err == nil || !strings.Contains(err.Error(), "no items") {
		t.Fatalf("empty database: %v", err)
	}
}

// TestBenchRetrievalCLI: the bench runs end to end on the shipped faces
// (content from their list_content.txt) and prints every setting, random
// retrieval, the ordering verdict and the unlabelled check.
func TestBenchRetrievalCLI(t *testing.T) {
	t.Parallel()
	db := ingested(t)
	mustRun(t, "train", "unit", "--db", db, "--steps", "1", "--width", "4", "--res-blocks", "1", "--batch", "2", "-q")
	out := mustRun(t, "bench", "retrieval", "--db", db, "--content", filepath.Join(faces, "list_content.txt"),
		"--steps", "3", "--pool", "8", "--batch", "4", "--dim", "8", "--unlabelled", "--json", "-q")
	var r struct {
		Queries int `json:"queries"`
		Rows    []struct {
			Setting    string  `json:"setting"`
			AttrP10    float64 `json:"attr_p10"`
			ContentP10 float64 `json:"content_p10"`
		} `json:"rows"`
		OrderDetail string `json:"order_detail"`
		Unlabelled  *struct {
			Diff float64 `json:"diff"`
		} `json:"unlabelled"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	var names []string
	for _, row := range r.Rows {
		names = append(names, row.Setting)
		if row.AttrP10 < -1 || row.AttrP10 > 1 || row.ContentP10 < -1 || row.ContentP10 > 1 || row.ContentP10 == 0 {
			t.Fatalf("row %+v out of range", row)
		}
	}
	if strings.Join(names, ",") != "easy,medium,hard,hardest,all,random" || r.Queries != heldBack(300) || r.Unlabelled == nil || r.OrderDetail == "" {
		t.Fatalf("bench retrieval: %s", out)
	}
	if _, _, err := run(t, "bench", "retrieval", "--db", db, "-q"); err == nil || !strings.Contains(err.Error(), "--content") {
		t.Fatalf("no content attributes: %v", err)
	}
}

// heldBack counts the held-back ids among 1..n.
func heldBack(n int) int {
	c := 0
	for id := uint64(1); id <= uint64(n); id++ {
		if split.HeldBack(id) {
			c++
		}
	}
	return c
}
