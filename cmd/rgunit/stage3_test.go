package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rgunit"
	"rgunit/internal/testenv"
	"rgunit/split"
)

// TestStage3CLI: stages 1-3 for a few steps, translation with retrieval
// (JSON, sheet, folder mode), a bundle exported and used by a new
// database, and each bad input of the issue.
func TestStage3CLI(t *testing.T) {
	t.Parallel()
	db := ingested(t) // 32 px, no model
	img := filepath.Join(faces, "000001.png")
	mustRun(t, "train", "unit", "--db", db, "--steps", "2", "--width", "4", "--res-blocks", "1", "--batch", "2", "-q")
	if _, _, err := run(t, "train", "rg", "--db", db, "-q"); err == nil || !strings.Contains(err.Error(), "train retrieval") {
		t.Fatalf("train rg without a retrieval model: %v", err)
	}
	mustRun(t, "train", "retrieval", "--db", db, "--steps", "2", "--pool", "8", "--batch", "4", "--dim", "8", "-q")
	if _, _, err := run(t, "translate", img, "--db", db, "--to", "Young", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "train rg") {
		t.Fatalf("translate without an RG-UNIT model: %v", err)
	}
	out := mustRun(t, "train", "rg", "--db", db, "--steps", "2", "--batch", "2", "--checkpoint-every", "1", "--json", "-q")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var l map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &l); err != nil || l["step"].(float64) != 2 || l["rec"].(float64) <= 0 {
		t.Fatalf("train rg: %s", out)
	}
	if _, stderr, err := run(t, "train", "rg", "--db", db, "--steps", "3", "--batch", "4", "-q"); err == nil || !strings.Contains(err.Error(), "--batch cannot change") {
		t.Fatalf("changing --batch on resume: %v %s", err, stderr)
	}
	// The same command again (as after a kill) resumes.
	if _, stderr, err := run(t, "train", "rg", "--db", db, "--steps", "3", "--batch", "2", "-q"); err != nil || !strings.Contains(stderr, "resuming rg-unit version") {
		t.Fatalf("resume: %v %s", err, stderr)
	}

	// Translate with retrieval: JSON lists outputs and neighbours; a
	// stored item is never its own neighbour.
	dir := t.TempDir()
	out = mustRun(t, "translate", "id:1", "--db", db, "--to", "Blond_Hair", "--to", "-Young", "--samples", "2", "--json", "--out", dir)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("translate --json: %s", out)
	}
	for _, line := range lines {
		var tr rgunit.TranslationRecord
		if err := json.Unmarshal([]byte(line), &tr); err != nil {
			t.Fatal(err)
		}
		if !tr.Retrieval || len(tr.Neighbours) != 3 || tr.Found != 3 || len(tr.Outputs) != 2 {
			t.Fatalf("translation %+v", tr)
		}
		for _, id := range tr.Neighbours {
			if id == 1 {
				t.Fatalf("id:1 guided by itself: %v", tr.Neighbours)
			}
		}
		for _, p := range tr.Outputs {
			checkImage(t, p, 32, 32)
		}
	}
	// Two rows (targets) of input, 3 neighbours, 2 outputs.
	checkSheet(t, filepath.Join(dir, "000001_sheet.png"), 64, 2, 1, 3, 2)
	out = mustRun(t, "translate", img, "--db", db, "--to", "Black_Hair,-Male", "-k", "2", "--out", dir)
	if !strings.Contains(out, "guided by id:") || strings.Count(out, "id:") != 2 {
		t.Fatalf("translate -k 2: %s", out)
	}
	// A folder in, a folder out.
	in := t.TempDir()
	for _, n := range []string{"000002.png", "000003.png"} {
		b, _ := os.ReadFile(filepath.Join(faces, n))
		os.WriteFile(filepath.Join(in, n), b, 0o644)
	}
	os.WriteFile(filepath.Join(in, "notes.txt"), []byte("not an image"), 0o644)
	outDir := filepath.Join(t.TempDir(), "batch")
	out = mustRun(t, "translate", in, "--db", db, "--to", "Young", "--out", outDir, "-q")
	for _, n := range []string{"000002_to_Young_1.png", "000003_to_Young_1.png", "000002_sheet.png", "000003_sheet.png"} {
		if _, err := os.Stat(filepath.Join(outDir, n)); err != nil {
			t.Fatalf("folder mode: %v\n%s", err, out)
		}
	}

	// Bad input.
	bad := filepath.Join(t.TempDir(), "bad.png")
	os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"translate", img, "--db", db, "--to", "Wearing_Hat", "--out", dir}, "bad attribute"},
		{[]string{"translate", img, "--db", db, "--to", "Blond_Hair,Black_Hair", "--out", dir}, "contradict"},
		{[]string{"translate", bad, "--db", db, "--to", "Young", "--out", dir}, "bad.png"},
		{[]string{"translate", img, "--db", db, "--to", "Young", "-k", "4", "--out", dir}, "up to 3"},
		{[]string{"translate", "id:999", "--db", db, "--to", "Young", "--out", dir}, "999"},
		{[]string{"translate", img, "--db", db, "--to", "Young", "-k", "2", "--no-retrieval", "--out", dir}, "-k"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}

	// Table 2: GMM-UNIT, RG-UNIT and random neighbours on the same inputs,
	// with paired ground truth (each face paired with itself: "no change"
	// scores L1 0, SSIM 1) and the HTML report.
	mustRun(t, "train", "classifier", "--db", db, "--steps", "3", "--width", "4", "--batch", "8", "-q")
	pairs := t.TempDir()
	var rowsTxt []string
	for id := 1; id <= 300; id++ {
		if split.HeldBack(uint64(id)) {
			n := fmt.Sprintf("%06d.png", id)
			b, _ := os.ReadFile(filepath.Join(faces, n))
			os.WriteFile(filepath.Join(pairs, n), b, 0o644)
			rowsTxt = append(rowsTxt, n+" "+n+" 1 -1 -1 1 1")
		}
	}
	os.WriteFile(filepath.Join(pairs, "pairs.txt"), []byte("source target_image Black_Hair Blond_Hair Brown_Hair Male Young\n"+strings.Join(rowsTxt, "\n")+"\n"), 0o644)
	report := filepath.Join(t.TempDir(), "r.html")
	baseline := filepath.Join(t.TempDir(), "baseline.db")
	raw, _ := os.ReadFile(db)
	os.WriteFile(baseline, raw, 0o644)
	out = mustRun(t, "bench", "translate", "--db", db, "--n", "12", "--rows", "2", "--pairs", pairs, "--html", report, "--json", "--baseline", baseline)
	var tab struct {
		Rows []struct {
			Method    string  `json:"method"`
			TargetAcc float64 `json:"target_acc"`
			Paired    *struct {
				Pairs         int     `json:"pairs"`
				HairL1        float64 `json:"paired_l1_hair"`
				HairL1Ident   float64 `json:"paired_l1_hair_identity"`
				HairSSIMIdent float64 `json:"paired_ssim_hair_identity"`
			} `json:"paired"`
		} `json:"rows"`
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &tab); err != nil || len(tab.Rows) != 8 || !strings.Contains(tab.Verdict, "RG-UNIT") || !strings.Contains(tab.Verdict, "baseline.db") {
		t.Fatalf("bench translate with RG-UNIT: %s %v", out, err)
	}
	for i, want := range []string{"GMM-UNIT", "RG-UNIT (k 3", "RG-UNIT, random", "GMM-UNIT (step 2, baseline.db)", "RG-UNIT, prior codes", "GMM-UNIT, prior codes", "RG-UNIT, mixed codes", "GMM-UNIT, mixed codes"} {
		r := tab.Rows[i]
		if !strings.HasPrefix(r.Method, want) || r.Paired == nil || r.Paired.Pairs == 0 || r.Paired.HairL1 <= 0 || r.Paired.HairL1Ident != 0 || r.Paired.HairSSIMIdent != 1 {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	html, err := os.ReadFile(report)
	if err != nil || strings.Count(string(html), "data:image/png;base64,") != 8 || !strings.Contains(string(html), "Verdict") {
		t.Fatalf("report: %v (%d bytes)", err, len(html))
	}

	// A bundle: exported, described, used by a new database (fewer items
	// than k: it uses what exists and says so), refused by a database
	// with other models.
	bundle := filepath.Join(t.TempDir(), "m.rgm")
	mustRun(t, "model", "export", "--db", db, "--out", bundle, "--command", "test", "--data", "samples/faces", "--commit", "c0ffee")
	var p map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "model", "info", bundle, "--json")), &p); err != nil || p["commit"] != "c0ffee" || p["rg_step"].(float64) != 3 || p["k"].(float64) != 3 {
		t.Fatalf("model info: %v %v", p, err)
	}
	small := filepath.Join(t.TempDir(), "small.db")
	out = mustRun(t, "ingest", filepath.Join(faces, "000002.png"), filepath.Join(faces, "000003.png"), "--db", small, "--model", bundle, "-q")
	if !strings.Contains(out, "2 items embedded, 2 indexed") {
		t.Fatalf("ingest --model: %s", out)
	}
	out = mustRun(t, "translate", img, "--db", small, "--to", "Young", "--out", dir)
	if !strings.Contains(out, "only 2 item(s)") {
		t.Fatalf("translate on a 2-item database: %s", out)
	}
	if !strings.Contains(mustRun(t, "stats", "--db", small), "c0ffee") {
		t.Fatal("stats does not show the bundle")
	}
	// model import into an existing database without models indexes it.
	plain := filepath.Join(t.TempDir(), "plain.db")
	mustRun(t, "ingest", faces, "--db", plain, "--model", "none", "-q")
	out = mustRun(t, "model", "import", bundle, "--db", plain, "-q")
	if !strings.Contains(out, "models: bundle") || !strings.Contains(out, "300 items embedded, 300 indexed") {
		t.Fatalf("model import: %s", out)
	}
	if out := mustRun(t, "model", "import", bundle, "--db", plain, "-q"); strings.Contains(out, "models: bundle") || !strings.Contains(out, "0 items embedded") {
		t.Fatalf("second model import: %s", out)
	}
	if _, _, err := run(t, "model", "import", bundle, "--db", db, "-q"); err == nil || !strings.Contains(err.Error(), "already has retrieval model") {
		t.Fatalf("model import over other models: %v", err)
	}
	if _, _, err := run(t, "ingest", faces, "--db", db, "--model", bundle, "-q"); err == nil || !strings.Contains(err.Error(), "already has retrieval model") {
		t.Fatalf("a bundle over a database with other models: %v", err)
	}
	damaged := filepath.Join(t.TempDir(), "d.rgm")
	b, _ := os.ReadFile(bundle)
	os.WriteFile(damaged, b[:len(b)/2], 0o644)
	fresh := filepath.Join(t.TempDir(), "f.db")
	if _, _, err := run(t, "ingest", faces, "--db", fresh, "--model", damaged, "-q"); err == nil || !strings.Contains(err.Error(), "bad model bundle") {
		t.Fatalf("damaged bundle: %v", err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Fatal("a refused bundle left a database behind")
	}
	if _, _, err := run(t, "ingest", faces, "--db", fresh, "--size", "16", "-q"); err == nil || !strings.Contains(err.Error(), "--model none") {
		t.Fatalf("the shipped model on a 16 px database: %v", err)
	}
}

// TestLabelledFraction: --labelled trains on a hashed fraction of the
// labelled items, is kept on resume, and refuses a value out of (0, 1].
func TestLabelledFraction(t *testing.T) {
	t.Parallel()
	db := ingested(t)
	small := []string{"--width", "4", "--res-blocks", "1", "--batch", "2", "-q"}
	_, stderr, err := run(t, append([]string{"train", "unit", "--db", db, "--steps", "1", "--labelled", "0.25"}, small...)...)
	if err != nil || !strings.Contains(stderr, "of the 300 labelled items (--labelled 0.25)") {
		t.Fatalf("train unit --labelled: %v %s", err, stderr)
	}
	if _, stderr, err := run(t, "train", "unit", "--db", db, "--steps", "2", "-q"); err != nil || !strings.Contains(stderr, "--labelled 0.25") {
		t.Fatalf("resume keeps the fraction: %v %s", err, stderr)
	}
	if _, _, err := run(t, "train", "unit", "--db", db, "--steps", "3", "--labelled", "0.5", "-q"); err == nil || !strings.Contains(err.Error(), "--fresh") {
		t.Fatalf("changing --labelled on resume: %v", err)
	}
	for _, bad := range []string{"0", "1.5", "-1"} {
		if _, _, err := run(t, append([]string{"train", "unit", "--db", db, "--fresh", "--steps", "1", "--labelled", bad}, small...)...); err == nil || !strings.Contains(err.Error(), "fraction") {
			t.Fatalf("--labelled %s: %v", bad, err)
		}
	}
	_, stderr, err = run(t, "train", "retrieval", "--db", db, "--steps", "1", "--pool", "8", "--batch", "4", "--dim", "8", "--labelled", "0.5", "-q")
	if err != nil || !strings.Contains(stderr, "--labelled 0.5") {
		t.Fatalf("train retrieval --labelled: %v %s", err, stderr)
	}
	_, stderr, err = run(t, "train", "rg", "--db", db, "--steps", "1", "--batch", "2", "--labelled", "0.5", "-q")
	if err != nil || !strings.Contains(stderr, "--labelled 0.5") || !strings.Contains(stderr, "300 items indexed") {
		t.Fatalf("train rg --labelled (the retrieval set stays every item): %v %s", err, stderr)
	}
}

// TestDemo: the README's main job runs on the shipped model and writes
// translations of the right size that are not flat.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	out := mustRun(t, "demo", "--db", filepath.Join(dir, "demo.db"))
	for _, want := range []string{"300 added (300 labelled, 0 unlabelled)", "items      300", "Male  150  150", "300 indexed", "guided by id:", "sheet (input | neighbours | output"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, tgt := range []string{"Blond_Hair", "-Young"} {
		checkImage(t, filepath.Join(dir, "translations", "000001_to_"+tgt+"_1.png"), 64, 64)
	}
	checkSheet(t, filepath.Join(dir, "translations", "000001_sheet.png"), 64, 2, 1, 3, 1)
	// Running it again starts from a fresh database.
	if out := mustRun(t, "demo", "--db", filepath.Join(dir, "demo.db")); !strings.Contains(out, "300 added") {
		t.Fatalf("second demo:\n%s", out)
	}
}

// TestTable3: bench translate --labels-db adds a row per database whose
// stages 1-3 trained on fewer labels, scored on the main database's inputs,
// and refuses databases that cannot make a row.
func TestTable3(t *testing.T) {
	if testing.Short() {
		t.Skip("four pipelines and the Table 2/3 bench: the full run")
	}
	t.Parallel()
	small := []string{"--width", "4", "--res-blocks", "1", "--batch", "2", "-q"}
	pipeline := func(db string, labelled ...string) {
		mustRun(t, append(append([]string{"train", "unit", "--db", db, "--steps", "2"}, small...), labelled...)...)
		mustRun(t, append([]string{"train", "retrieval", "--db", db, "--steps", "1", "--pool", "8", "--batch", "4", "--dim", "8", "-q"}, labelled...)...)
		mustRun(t, append([]string{"train", "rg", "--db", db, "--steps", "1", "--batch", "2", "-q"}, labelled...)...)
	}
	full, half, mixed := ingested(t), ingested(t), ingested(t)
	pipeline(full)
	mustRun(t, "train", "classifier", "--db", full, "--steps", "3", "--width", "4", "--batch", "8", "-q")
	pipeline(half, "--labelled", "0.5")
	mustRun(t, append([]string{"train", "unit", "--db", mixed, "--steps", "2", "--labelled", "0.25"}, small...)...)
	mustRun(t, "train", "retrieval", "--db", mixed, "--steps", "1", "--pool", "8", "--batch", "4", "--dim", "8", "--labelled", "0.5", "-q")
	mustRun(t, "train", "rg", "--db", mixed, "--steps", "1", "--batch", "2", "--labelled", "0.5", "-q")
	// The same files under other ids: one face ingested first.
	shifted := filepath.Join(t.TempDir(), "shifted.db")
	mustRun(t, "ingest", filepath.Join(faces, "000150.png"), "--labels", faces+"/list_attr.txt", "--db", shifted, "--size", "32", "--model", "none", "-q")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", shifted, "--model", "none", "-q")
	pipeline(shifted, "--labelled", "0.25")

	report := filepath.Join(t.TempDir(), "r.html")
	out := mustRun(t, "bench", "translate", "--db", full, "--n", "12", "--rows", "1", "--labels-db", half, "--json", "--html", report)
	var tab struct {
		Rows   []json.RawMessage `json:"rows"`
		Table3 *struct {
			Rows []struct {
				Fraction float64 `json:"labelled_fraction"`
				Data     string  `json:"data"`
				GMM      struct {
					Method string  `json:"method"`
					Images int     `json:"images"`
					FD     float64 `json:"fd_cls"`
				} `json:"gmm_unit"`
				RG struct {
					Method string  `json:"method"`
					Images int     `json:"images"`
					FD     float64 `json:"fd_cls"`
				} `json:"rg_unit"`
			} `json:"rows"`
			Verdict string `json:"verdict"`
		} `json:"table3"`
	}
	if err := json.Unmarshal([]byte(out), &tab); err != nil || len(tab.Rows) != 7 || tab.Table3 == nil || len(tab.Table3.Rows) != 2 {
		t.Fatalf("bench translate --labels-db: %v\n%s", err, out)
	}
	t3 := tab.Table3
	if r := t3.Rows[0]; r.Fraction != 1 || r.Data != full || !strings.HasPrefix(r.GMM.Method, "GMM-UNIT (stage 1") || !strings.HasPrefix(r.RG.Method, "RG-UNIT (k 3") {
		t.Fatalf("100%% row: %+v", r)
	}
	if r := t3.Rows[1]; r.Fraction != 0.5 || r.Data != half || r.GMM.Method != "GMM-UNIT, 50% labels (step 2)" || r.RG.Method != "RG-UNIT, 50% labels (k 3, step 1)" ||
		r.GMM.Images != 12 || r.RG.Images != 12 || r.GMM.FD <= 0 || r.RG.FD <= 0 {
		t.Fatalf("50%% row: %+v", r)
	}
	if !strings.Contains(t3.Verdict, "with 100% of the labels RG-UNIT changes FD-cls") || !strings.Contains(t3.Verdict, "with 50% of the labels") || !strings.Contains(t3.Verdict, "fewer labels") {
		t.Fatalf("verdict: %s", t3.Verdict)
	}
	html, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(html), "Table 3") || !strings.Contains(string(html), "RG-UNIT, 50% labels") || !strings.Contains(string(html), "<td>stage 1 seed 1 step 2, stage 2 seed 1 step 1, stage 3 seed 1 step 1</td>") {
		t.Fatalf("report without Table 3: %v", err)
	}
	text := mustRun(t, "bench", "translate", "--db", full, "--n", "12", "--labels-db", half)
	if !strings.Contains(text, "Table 3:") || !strings.Contains(text, "GMM-UNIT, 50% labels") || !strings.Contains(text, "verdict (Table 3)") || !strings.Contains(text, "training run") || !strings.Contains(text, half+"  stage 1 seed 1 step 2, stage 2 seed 1 step 1, stage 3 seed 1 step 1") {
		t.Fatalf("bench translate text: %s", text)
	}

	plain := ingested(t)
	halfCopy := filepath.Join(t.TempDir(), "copy.db")
	raw, _ := os.ReadFile(half)
	os.WriteFile(halfCopy, raw, 0o644)

	// Another stage-3 run at the same fraction (a copy retrained with another
	// seed) is a second row at 50%, and the verdict compares mean gains.
	rerun := filepath.Join(t.TempDir(), "rerun.db")
	os.WriteFile(rerun, raw, 0o644)
	mustRun(t, "train", "rg", "--db", rerun, "--steps", "1", "--batch", "2", "--labelled", "0.5", "--fresh", "--seed", "2", "-q")
	out = mustRun(t, "bench", "translate", "--db", full, "--n", "12", "--rows", "1", "--labels-db", half, "--labels-db", rerun, "--json")
	var runs struct {
		Table3 struct {
			Rows []struct {
				Fraction float64 `json:"labelled_fraction"`
				Data     string  `json:"data"`
				Run      struct {
					Seed1 uint64 `json:"stage1_seed"`
					Seed3 uint64 `json:"stage3_seed"`
					Step3 int    `json:"stage3_step"`
				} `json:"run"`
				RG struct {
					FD float64 `json:"fd_cls"`
				} `json:"rg_unit"`
			} `json:"rows"`
			Verdict string `json:"verdict"`
		} `json:"table3"`
	}
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs.Table3.Rows) != 3 {
		t.Fatalf("two runs at 50%%: %v\n%s", err, out)
	}
	r1, r2 := runs.Table3.Rows[1], runs.Table3.Rows[2]
	if r1.Fraction != 0.5 || r2.Fraction != 0.5 || r1.Data != half || r2.Data != rerun || r1.Run.Seed3 != 1 || r2.Run.Seed3 != 2 || r1.Run.Seed1 != r2.Run.Seed1 || r2.Run.Step3 != 1 {
		t.Fatalf("two runs at 50%%: %+v", runs.Table3.Rows)
	}
	if r1.RG.FD == r2.RG.FD {
		t.Errorf("two stage-3 seeds score the same FD-cls %g: the rerun did not retrain", r1.RG.FD)
	}
	for _, want := range []string{"with 50% of the labels (stage 1 seed 1 step 2, stage 2 seed 1 step 1, stage 3 seed 1 step 1)", "stage 3 seed 2 step 1)", "mean FD-cls"} {
		if !strings.Contains(runs.Table3.Verdict, want) {
			t.Errorf("verdict lacks %q: %s", want, runs.Table3.Verdict)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--labels-db", mixed}, "stage 1 trained on 0.25 of the labels, stage 3 on 0.5"},
		{[]string{"--labels-db", shifted}, "ingest the same files in the same order"},
		{[]string{"--labels-db", plain}, "no RG-UNIT model"},
		{[]string{"--labels-db", full}, "the same database as"},
		{[]string{"--labels-db", half, "--labels-db", half}, "the same database as"},
		{[]string{"--labels-db", half, "--labels-db", halfCopy}, "two Table 3 rows at 50% labels from the same training run"},
		{[]string{"--labels-db", filepath.Join(t.TempDir(), "none.db")}, "none.db"},
		{[]string{"--labels-db", half, "--no-retrieval"}, "has no RG-UNIT model"},
	} {
		args := append([]string{"bench", "translate", "--db", full, "--n", "12"}, c.args...)
		if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// TestTranslateFolderBadFile: in a folder, a file that is not an image
// fails alone: the others are translated, stderr names it once, and the
// command fails with the count.
func TestTranslateFolderBadFile(t *testing.T) {
	t.Parallel()
	db := testenv.Shipped(t)
	in, out := t.TempDir(), t.TempDir()
	for _, n := range []string{"000001.png", "000002.png"} {
		b, _ := os.ReadFile(filepath.Join(faces, n))
		os.WriteFile(filepath.Join(in, n), b, 0o644)
	}
	os.WriteFile(filepath.Join(in, "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	stdout, stderr, err := run(t, "translate", in, "--db", db, "--to", "Blond_Hair", "--out", out, "-q")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 inputs could not be translated") {
		t.Fatalf("err %v", err)
	}
	if strings.Count(stderr, "broken.png") != 1 || strings.Count(stdout, "_to_Blond_Hair_1.png") != 2 {
		t.Fatalf("stderr %q\nstdout %q", stderr, stdout)
	}
	for _, n := range []string{"000001_to_Blond_Hair_1.png", "000002_sheet.png"} {
		if _, err := os.Stat(filepath.Join(out, n)); err != nil {
			t.Fatal(err)
		}
	}
}
