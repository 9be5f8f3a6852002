package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rgunit/imageio"
	"rgunit/index"
	"rgunit/ingest"
	"rgunit/internal/cmdutil"
	"rgunit/internal/testenv"
	"rgunit/internal/vecgen"
	"rgunit/storage"
)

const faces = "../../samples/faces"

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := run(t, args...)
	if err != nil {
		t.Fatalf("rgunit %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func ingested(t *testing.T) string {
	t.Helper()
	return testenv.Cached(t, "cli.db", func(db string) {
		mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "--size", "32", "--model", "none", "-q")
	})
}

func TestIngestJSONAndStats(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "cli.db")
	out := mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", db, "--json")
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("ingest --json printed %q: %v", out, err)
	}
	if sum["added"] != 300.0 || sum["duplicates"] != 0.0 || sum["skipped"] != 0.0 {
		t.Fatalf("summary %v", sum)
	}
	out = mustRun(t, "ingest", faces, "--db", db, "--json", "-q")
	json.Unmarshal([]byte(out), &sum)
	if sum["added"] != 0.0 || sum["duplicates"] != 300.0 {
		t.Fatalf("second ingest %v", sum)
	}
	var st struct {
		Items, Labelled, Unlabelled int
		SizeBytes                   int64 `json:"size_bytes"`
		Attributes                  map[string]storage.AttrCount
	}
	if err := json.Unmarshal([]byte(mustRun(t, "stats", "--db", db, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Items != 300 || st.Labelled != 300 || st.Unlabelled != 0 || st.SizeBytes <= 0 || st.Attributes["Young"] != (storage.AttrCount{Pos: 150, Neg: 150}) {
		t.Fatalf("stats %+v", st)
	}
	text := mustRun(t, "stats", "--db", db)
	if !strings.Contains(text, "300 (300 labelled, 0 unlabelled)") || !strings.Contains(text, "Blond_Hair  100  200") {
		t.Fatalf("stats text:\n%s", text)
	}
}

func TestLsShowRm(t *testing.T) {
	t.Parallel()
	db := ingested(t)
	lines := strings.Split(strings.TrimSpace(mustRun(t, "ls", "--db", db, "--json", "-n", "5")), "\n")
	if len(lines) != 5 {
		t.Fatalf("ls -n 5 printed %d lines", len(lines))
	}
	var it struct {
		ID     uint64
		Path   string
		Labels map[string]int
	}
	if err := json.Unmarshal([]byte(lines[4]), &it); err != nil || it.ID != 5 || !strings.HasSuffix(it.Path, "000005.png") || len(it.Labels) != 5 {
		t.Fatalf("ls line %q: %+v %v", lines[4], it, err)
	}
	img := filepath.Join(t.TempDir(), "five.png")
	out := mustRun(t, "show", "id:5", "--db", db, "--out", img)
	if !strings.Contains(out, "000005.png") {
		t.Fatalf("show printed %q", out)
	}
	f, _ := os.Open(img)
	m, err := png.Decode(f)
	f.Close()
	if err != nil || m.Bounds().Dx() != 32 || m.Bounds().Dy() != 32 {
		t.Fatalf("show --out wrote %v %v", m, err)
	}
	if _, _, err := run(t, "rm", "3", "999", "--db", db); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rm with an unknown id: %v", err)
	}
	if out := mustRun(t, "rm", "3", "4", "--db", db); !strings.Contains(out, "removed 2 items") {
		t.Fatalf("rm printed %q", out)
	}
	if n := strings.Count(mustRun(t, "ls", "--db", db, "--json"), "\n"); n != 298 {
		t.Fatalf("%d items after rm", n)
	}
	if _, _, err := run(t, "show", "3", "--db", db); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("show removed item: %v", err)
	}
}

func TestCLIBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad_attr.txt")
	os.WriteFile(bad, []byte("2\nMale Young\n000001.png 1 -1\n000002.png 1\n"), 0o644)
	db := filepath.Join(dir, "new.db")
	_, _, err := run(t, "ingest", faces, "--labels", bad, "--db", db)
	if !errors.Is(err, ingest.ErrLabels) || !strings.Contains(err.Error(), "bad_attr.txt:4") {
		t.Fatalf("malformed labels: %v", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatal("a malformed labels file still created the database")
	}
	existing := ingested(t)
	before, _ := os.ReadFile(existing)
	if _, _, err := run(t, "ingest", faces, "--labels", bad, "--db", existing); !errors.Is(err, ingest.ErrLabels) {
		t.Fatalf("malformed labels on an existing db: %v", err)
	}
	if after, _ := os.ReadFile(existing); !bytes.Equal(before, after) {
		t.Fatal("a malformed labels file changed an existing database")
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"stats", "--db", filepath.Join(dir, "none.db")}, "no database"},
		{[]string{"rm", "1", "--db", filepath.Join(dir, "none.db")}, "no database"},
		{[]string{"show", "abc", "--db", existing}, "not an item id"},
		{[]string{"ingest", faces, "--db", existing, "--size", "64"}, "holds 32x32 images"},
		{[]string{"ingest", filepath.Join(dir, "missing-folder"), "--db", existing}, "missing-folder"},
		{[]string{"ls", "--labelled", "--unlabelled", "--db", existing}, "exclude each other"},
	}
	for _, c := range cases {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rgunit %s: %v, want an error containing %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !os.IsNotExist(err) {
		t.Fatal("a read command created a database")
	}
	// A second writer gets the documented message.
	st, err := storage.Open(existing, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _, err = run(t, "rm", "1", "--db", existing)
	if err == nil || !strings.Contains(err.Error(), "database is in use by another process") {
		t.Fatalf("second writer: %v", err)
	}
}

func TestProgressLogLines(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	_, stderr, _ := run(t, "ingest", faces, "--db", db, "--model", "none")
	if stderr != "" {
		t.Fatalf("a run shorter than the log interval printed %q", stderr)
	}
	defer func(d time.Duration) { cmdutil.ProgressEvery = d }(cmdutil.ProgressEvery)
	cmdutil.ProgressEvery = 0
	_, stderr, err := run(t, "ingest", faces, "--db", filepath.Join(t.TempDir(), "q.db"), "--model", "none")
	if err != nil {
		t.Fatal(err)
	}
	// Not a terminal: plain log lines, the last one at 100% with the final counts.
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) < 10 || !strings.HasPrefix(lines[len(lines)-1], "ingest: 303/303 (100.0%)") || !strings.HasSuffix(lines[len(lines)-1], "300 added, 0 duplicates, 0 skipped") {
		t.Fatalf("progress output ends %q", lines[len(lines)-1])
	}
}

// TestBenchANN runs the ANN bench on a small generated set and on .fvecs
// files, and checks the JSON rows scripts read.
func TestBenchANN(t *testing.T) {
	t.Parallel()
	out := mustRun(t, "bench", "ann", "--json", "--n", "2000", "--dim", "16", "--queries", "50",
		"--data", "clustered", "--ef", "10,40", "--ef-construction", "64")
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		rows = append(rows, r)
	}
	engines := map[string]int{}
	for _, r := range rows {
		for _, k := range []string{"engine", "ef", "recall", "qps"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("row without %q: %v", k, r)
			}
		}
		e := r["engine"].(string)
		engines[e]++
		if e == "rgunit" {
			if r["recall"].(float64) < 0.9 || r["reopen_identical"] != true || r["build_seconds_all_cores"].(float64) <= 0 {
				t.Fatalf("rgunit row: %v", r)
			}
		}
	}
	if engines["exact"] != 1 || engines["rgunit"] != 2 || engines["coder-hnsw"] != 2 {
		t.Fatalf("rows per engine: %v", engines)
	}

	// The same from .fvecs / .ivecs files.
	dir := t.TempDir()
	writeVecs := func(name string, rows [][]float32) string {
		var b []byte
		for _, r := range rows {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
			for _, x := range r {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base, cents := vecgen.Clustered(1000, 8, 10, 0.1, 1)
	qs := vecgen.ClusteredQueries(20, cents, 0.1, 2)
	out = mustRun(t, "bench", "ann", "--base", writeVecs("b.fvecs", base), "--query", writeVecs("q.fvecs", qs),
		"--engines", "rgunit", "--ef", "40")
	if !strings.Contains(out, "rgunit") || !strings.Contains(out, "exact") {
		t.Fatalf("table:\n%s", out)
	}
	if _, _, err := run(t, "bench", "ann", "--base", writeVecs("bad.fvecs", nil), "--query", "x"); err == nil {
		t.Fatal("empty .fvecs accepted")
	}
	if _, _, err := run(t, "bench", "ann", "--base", "b.fvecs"); err == nil {
		t.Fatal("--base without --query accepted")
	}
}

// TestTrainAndTranslate: a tiny stage-1 run, its resume, the flags a
// resume refuses, and translation with its bad inputs.
func TestTrainAndTranslate(t *testing.T) {
	t.Parallel()
	db := ingested(t) // 32 px
	small := []string{"--width", "4", "--res-blocks", "1", "--batch", "2", "--checkpoint-every", "2", "-q"}
	out := mustRun(t, append([]string{"train", "unit", "--db", db, "--steps", "2", "--json"}, small...)...)
	var l map[string]any
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &l); err != nil || l["step"].(float64) != 2 || l["rec"].(float64) <= 0 {
		t.Fatalf("train output %q: %v", out, err)
	}
	_, stderr, err := run(t, "train", "unit", "--db", db, "--steps", "3", "--width", "8")
	if err == nil || !strings.Contains(err.Error(), "--fresh") {
		t.Fatalf("changing --width on resume: %v", err)
	}
	_, stderr, err = run(t, "train", "unit", "--db", db, "--steps", "3", "-q")
	if err != nil || !strings.Contains(stderr, "resuming from checkpoint version 1 at step 2") {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	img := filepath.Join(faces, "000001.png")
	if _, err := os.Stat(img); err != nil {
		entries, _ := os.ReadDir(faces)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".png") {
				img = filepath.Join(faces, e.Name())
				break
			}
		}
	}
	dir := t.TempDir()
	out = mustRun(t, "translate", img, "--db", db, "--to", "Blond_Hair,-Male", "--no-retrieval", "--samples", "3", "--out", dir)
	if !strings.Contains(out, "_to_Blond_Hair+-Male_3.png") || !strings.Contains(out, "sheet: ") {
		t.Fatalf("translate: %s", out)
	}
	checkImage(t, filepath.Join(dir, "000001_to_Blond_Hair+-Male_1.png"), 32, 32)
	checkSheet(t, filepath.Join(dir, "000001_sheet.png"), 64, 1, 1, 3) // input, 3 outputs
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"translate", img, "--db", db, "--to", "Bald", "--no-retrieval", "--out", dir}, "bad attribute"},
		{[]string{"translate", img, "--db", db, "--to", "Blond_Hair", "--out", dir}, "train retrieval"},
		{[]string{"translate", img, "--db", db, "--to", "Blond_Hair", "--no-retrieval", "--out", dir, "--samples", "0"}, "--samples"},
		{[]string{"translate", "missing.png", "--db", db, "--to", "Blond_Hair", "--no-retrieval", "--out", dir}, "no such file"},
		{[]string{"translate", img, "--db", db, "--no-retrieval", "--out", dir}, "--to"},
		{[]string{"train", "unit", "--db", db, "--fresh", "--attrs", "Wearing_Hat", "-q"}, "bad attribute"},
		{[]string{"train", "unit", "--db", db, "--fresh", "--size", "128", "-q"}, "image size 128"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	// The evaluation classifier and the translation bench.
	out = mustRun(t, "train", "classifier", "--db", db, "--steps", "5", "--width", "4", "--batch", "8", "--json", "-q")
	var c map[string]any
	if err := json.Unmarshal([]byte(out), &c); err != nil || c["held_out_images"].(float64) != float64(heldBack(300)) || c["train_images"].(float64) != float64(300-heldBack(300)) {
		t.Fatalf("train classifier: %q %v", out, err)
	}
	gridPath := filepath.Join(t.TempDir(), "grid.png")
	out = mustRun(t, "bench", "translate", "--db", db, "--n", "20", "--rows", "3", "--grid", gridPath, "--json")
	var r struct {
		Images        int              `json:"images"`
		ClassifierAcc float64          `json:"classifier_acc"`
		FDFloor       float64          `json:"fd_cls_real_real"`
		Rows          []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Images != 20 || len(r.Rows) != 3 || r.ClassifierAcc < 0 || r.FDFloor < 0 {
		t.Fatalf("bench translate: %q %v", out, err)
	}
	for _, k := range []string{"target_acc", "fd_cls", "diversity"} {
		if v, ok := r.Rows[0][k].(float64); !ok || v < 0 {
			t.Fatalf("bench translate: %s = %v", k, r.Rows[0][k])
		}
	}
	checkImage(t, gridPath, 6*32, 3*32)

	// No labelled items.
	un := filepath.Join(t.TempDir(), "un.db")
	mustRun(t, "ingest", faces, "--db", un, "--size", "32", "--model", "none", "-q")
	if _, _, err := run(t, "train", "unit", "--db", un, "-q"); err == nil || !strings.Contains(err.Error(), "no labelled items") {
		t.Errorf("unlabelled database: %v", err)
	}
}

// checkSheet checks that path is a contact sheet (imageio.DrawSheet) of
// rows rows, each of tile groups of the given sizes at side px (titles may
// make it wider), that is not one flat colour.
func checkSheet(t *testing.T, path string, side, rows int, groups ...int) {
	t.Helper()
	r := imageio.SheetRow{}
	for _, n := range groups {
		r.Groups = append(r.Groups, make([]imageio.Tile, n))
	}
	b := imageio.SheetBounds(slices.Repeat([]imageio.SheetRow{r}, rows), side)
	img := checkImageMin(t, path, b.Dx(), b.Dy())
	if img.Bounds().Dy() != b.Dy() {
		t.Fatalf("%s is %v, want %d px high (%d rows)", path, img.Bounds(), b.Dy(), rows)
	}
}

// checkImage checks that path is a w x h PNG that is not one flat colour.
func checkImage(t *testing.T, path string, w, h int) {
	t.Helper()
	if img := checkImageMin(t, path, w, h); img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("%s is %v, want %dx%d", path, img.Bounds(), w, h)
	}
}

// checkImageMin checks that path is a PNG of at least w x h that is not
// one flat colour, and returns it.
func checkImageMin(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if img.Bounds().Dx() < w || img.Bounds().Dy() < h {
		t.Fatalf("%s is %v, want at least %dx%d", path, img.Bounds(), w, h)
	}
	first := img.At(img.Bounds().Min.X, img.Bounds().Min.Y)
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if img.At(x, y) != first {
				return img
			}
		}
	}
	t.Fatalf("%s is one flat colour", path)
	return nil
}

// TestBenchTrain: bench train times steps and sets them against the Sgemm
// ceiling of the same run; bad flags are refused.
func TestBenchTrain(t *testing.T) {
	t.Parallel()
	out := mustRun(t, "bench", "train", "--steps", "1", "--json")
	var r struct {
		Seconds   float64 `json:"seconds_per_step_median"`
		GFLOPStep float64 `json:"gflop_per_step"`
		GFLOPS    float64 `json:"gflops"`
		Peak      float64 `json:"peak_gflops"`
		OfPeak    float64 `json:"of_peak"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if r.Seconds <= 0 || r.GFLOPStep < 1 || r.Peak <= 0 || math.Abs(r.GFLOPS-r.GFLOPStep/r.Seconds) > 1e-6*r.GFLOPS || math.Abs(r.OfPeak-r.GFLOPS/r.Peak) > 1e-9 {
		t.Fatalf("bench train: %s", out)
	}
	if _, _, err := run(t, "bench", "train", "--recipe", "best"); err == nil || !strings.Contains(err.Error(), "recipe") {
		t.Fatalf("--recipe best: %v", err)
	}
}

// TestBenchANNReopen: the hidden command bench ann runs in a new process
// to time a reopen prints the seconds opening a stored index file took,
// and refuses what is not one.
func TestBenchANNReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ix.db")
	s, err := index.OpenFile(path, &index.StoredOptions{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(context.Background(), 1, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out := mustRun(t, "bench", "ann-reopen", path)
	if sec, err := strconv.ParseFloat(strings.TrimSpace(out), 64); err != nil || sec <= 0 || sec > 10 {
		t.Fatalf("bench ann-reopen printed %q", out)
	}
	if _, _, err := run(t, "bench", "ann-reopen", filepath.Join(t.TempDir(), "none", "x.db")); err == nil {
		t.Fatal("a missing file was reopened")
	}
}

// TestReindexQuantize: reindex --quantize sq8 rebuilds the embedded index
// on byte codes (stats says so, with less memory, and a float file lies
// beside the database), queries answer as before, and --quantize float
// goes back (the file removed), each converting the stored embeddings
// (nothing embedded again). Bad values are refused.
func TestReindexQuantize(t *testing.T) {
	t.Parallel()
	db := testenv.Shipped(t)
	floats := index.FloatFilePath(db, storage.IndexBucket, "")
	statsOf := func() map[string]any {
		var s map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, "stats", "--json", "--db", db)), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ids := func(out string) []string {
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var h map[string]any
			if err := json.Unmarshal([]byte(line), &h); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			got = append(got, fmt.Sprint(h["id"]))
		}
		return got
	}
	query := func() []string {
		return ids(mustRun(t, "query", "id:5", "--to", "Blond_Hair", "-k", "5", "--nearest", "--json", "--db", db))
	}
	before, float := query(), statsOf()
	if float["index_vectors"] != nil {
		t.Fatalf("a new database's index is %v, want float", float["index_vectors"])
	}
	if out := mustRun(t, "reindex", "--quantize", "sq8", "--db", db, "-q"); !strings.Contains(out, "rebuilt on sq8 vectors from the stored embeddings, 0 items embedded, 300 indexed") {
		t.Fatalf("reindex --quantize sq8 said %q", out)
	}
	sq8 := statsOf()
	if sq8["index_vectors"] != "sq8" || sq8["indexed"] != float["indexed"] ||
		sq8["index_memory_bytes"].(float64) >= float["index_memory_bytes"].(float64) {
		t.Fatalf("after --quantize sq8: %v %v %v (float: %v bytes)", sq8["index_vectors"], sq8["indexed"], sq8["index_memory_bytes"], float["index_memory_bytes"])
	}
	matches, _ := filepath.Glob(strings.TrimSuffix(floats, "-.floats") + "-retrieval-*.floats")
	if len(matches) != 1 {
		t.Fatalf("float files beside the database: %v", matches)
	}
	if after := query(); !slices.Equal(before, after) {
		t.Fatalf("nearest items %v with float vectors, %v with sq8", before, after)
	}
	mustRun(t, "reindex", "--db", db, "-q") // the setting is kept by later rebuilds
	if statsOf()["index_vectors"] != "sq8" {
		t.Fatal("a plain reindex went back to float vectors")
	}
	mustRun(t, "reindex", "--quantize", "float", "--db", db, "-q")
	if statsOf()["index_vectors"] != nil {
		t.Fatal("--quantize float did not go back")
	}
	if _, err := os.Stat(matches[0]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the float file of the dropped index stays: %v", err)
	}
	for _, args := range [][]string{{"--quantize", "int4"}, {"--quantize", "SQ8"}} {
		if _, _, err := run(t, append([]string{"reindex", "--db", db}, args...)...); err == nil {
			t.Fatalf("reindex %v was accepted", args)
		}
	}
	// A new database indexed on sq8 vectors from its first ingest.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	mustRun(t, "ingest", faces, "--quantize", "sq8", "--db", fresh, "-q")
	var s map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "stats", "--json", "--db", fresh)), &s); err != nil {
		t.Fatal(err)
	}
	if s["index_vectors"] != "sq8" || s["indexed"] != float["indexed"] {
		t.Fatalf("ingest --quantize sq8 into a new database: %v, %v indexed", s["index_vectors"], s["indexed"])
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	if _, _, err := run(t, "ingest", faces, "--quantize", "int4", "--db", bad); err == nil {
		t.Fatal("ingest --quantize int4 was accepted")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused ingest left %s behind: %v", bad, err)
	}
}
