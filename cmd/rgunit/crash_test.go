package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// envCLIChild makes the test binary run the CLI with these arguments (a
// JSON list) instead of the tests: the process a crash test kills.
const envCLIChild = "RGUNIT_CLI_CHILD"

// campaign reports whether the long crash campaign runs
// (RGUNIT_CAMPAIGN=1, scripts/crash-campaign.sh): a kill at every commit
// of every command instead of the first few, and more damaged copies.
func campaign() bool { return os.Getenv("RGUNIT_CAMPAIGN") != "" }

// killPoints is how many commits a crash test kills at: short in CI, up
// to every commit in the campaign.
func killPoints(short int) int {
	if campaign() {
		return 1000 // the loops stop when the command finishes first
	}
	return short
}

// kills counts the kills of this run, for the campaign's summary.
var kills struct {
	sync.Mutex
	n map[string]int
}

// logKills logs the counts of these kinds for the campaign's summary
// (scripts/crash-campaign.sh collects the "campaign:" lines); each test logs
// its own kinds when it ends, as the tests run in parallel.
func logKills(t *testing.T, kinds ...string) {
	kills.Lock()
	defer kills.Unlock()
	for _, k := range kinds {
		t.Logf("campaign: %s: %d", k, kills.n[k])
	}
}

func countKill(what string) {
	kills.Lock()
	defer kills.Unlock()
	if kills.n == nil {
		kills.n = map[string]int{}
	}
	kills.n[what]++
}

// killAtSync runs the CLI with args in a child process under strace, which
// kills it (SIGKILL) at its n-th fdatasync, that is inside its n-th commit;
// it reports whether the child died there (false: it finished first).
func killAtSync(t *testing.T, n int, args ...string) bool {
	t.Helper()
	argv, _ := json.Marshal(args)
	cmd := exec.Command("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync,fsync",
		"-e", "inject=fdatasync,fsync:signal=KILL:when="+strings.TrimSpace(itoa(n)), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(argv))
	out, err := cmd.CombinedOutput()
	if err == nil {
		return false
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 137 || strings.Contains(err.Error(), "killed") {
		return true
	}
	t.Fatalf("child %v at sync %d: %v\n%s", args, n, err, out)
	return false
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestIngestKilledKeepsModel: a new database's first ingest killed at each
// of its first commits, then run again, ends with the shipped models and
// every item indexed; a database made with --model none stays without.
func TestIngestKilledKeepsModel(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("needs strace (apt-get install strace) to kill at a commit")
	}
	dir := t.TempDir()
	defer logKills(t, "ingest into a new database")
	killed, missed := 0, 0
	for n := 1; n <= killPoints(6) && missed < 5; n++ {
		db := filepath.Join(dir, "new"+itoa(n)+".db")
		args := []string{"ingest", faces, "--labels", faces + "/list_attr.txt", "--db", db, "-q"}
		if !killAtSync(t, n, args...) {
			// strace counts syncs per thread, and the Go runtime may commit
			// on several: a run can outlive its n-th commit. Five in a row:
			// the ingest has no more commits.
			t.Logf("the ingest was not killed at its sync %d", n)
			missed++
			continue
		}
		killed, missed = killed+1, 0
		countKill("ingest into a new database")
		mustRun(t, args...)
		out := mustRun(t, "stats", "--db", db)
		if !strings.Contains(out, "items      300") || !strings.Contains(out, "retrieval v1, rg-unit v1") || !strings.Contains(out, "retrieval-1: 300") {
			t.Fatalf("killed at commit %d, then run again:\n%s", n, out)
		}
	}
	if killed < 3 {
		t.Fatalf("only %d of the kills at the first commits happened", killed)
	}
	// --model none is remembered: a later plain ingest adds no model.
	db := filepath.Join(dir, "none.db")
	mustRun(t, "ingest", faces+"/000001.png", "--db", db, "--model", "none", "-q")
	mustRun(t, "ingest", faces+"/000002.png", "--db", db, "-q")
	if out := mustRun(t, "stats", "--db", db); !strings.Contains(out, "retrieval none") {
		t.Fatalf("a --model none database got a model:\n%s", out)
	}
}

// TestRmKilled: rm of 150 indexed items killed at each of its commits
// leaves no index entry without its item (queries over every item work),
// and running the same rm again finishes it.
func TestRmKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("needs strace (apt-get install strace) to kill at a commit")
	}
	base := filepath.Join(t.TempDir(), "base.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", base, "-q")
	raw, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"rm"}
	for id := 2; id <= 300; id += 2 {
		ids = append(ids, itoa(id))
	}
	defer logKills(t, "rm")
	for n, missed := 1, 0; n <= killPoints(3) && missed < 5; n++ {
		db := filepath.Join(t.TempDir(), "rm.db")
		os.WriteFile(db, raw, 0o644)
		args := append(append([]string(nil), ids...), "--db", db)
		killed := killAtSync(t, n, args...)
		if killed {
			countKill("rm")
		}
		// Both or neither: the store and the index lost the same items
		// (all of them, or none), and every neighbour the index returns is
		// a stored item (a query fails on one that is not).
		var sj struct{ Items, Indexed int }
		if err := json.Unmarshal([]byte(mustRun(t, "stats", "--db", db, "--json")), &sj); err != nil {
			t.Fatal(err)
		}
		if sj.Items != sj.Indexed || (sj.Items != 150 && sj.Items != 300) {
			t.Fatalf("killed at commit %d: %d items stored, %d indexed (want 150 or 300 of each)", n, sj.Items, sj.Indexed)
		}
		out := mustRun(t, "query", "id:1", "--to", "Young", "-k", "299", "--nearest", "--db", db, "--json")
		if lines := strings.Count(out, "\n"); lines != sj.Items-1 {
			t.Fatalf("killed at commit %d: query returned %d neighbours of %d items", n, lines, sj.Items)
		}
		// Run again: it finishes what the kill stopped, or (the kill came
		// after the last commit, or the rm ended first) says the items are
		// gone.
		if _, _, err := run(t, args...); err != nil && !strings.Contains(err.Error(), "no such item") {
			t.Fatalf("rm again after a kill at commit %d: %v", n, err)
		}
		if out := mustRun(t, "stats", "--db", db); !strings.Contains(out, "items      150") || !strings.Contains(out, "retrieval-1: 150") {
			t.Fatalf("after the kill at commit %d and rm again:\n%s", n, out)
		}
		// strace counts syncs per thread: a run may outlive its n-th
		// commit. Five runs in a row not killed: no more commits.
		if missed = missed + 1; killed {
			missed = 0
		}
	}
}

// TestIngestEmbeddingKilled: an ingest killed at each of its commits (the
// items', then each embedding batch's and the index's), then run again,
// ends with every item embedded, with attribute posteriors, and indexed.
func TestIngestEmbeddingKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("needs strace (apt-get install strace) to kill at a commit")
	}
	defer logKills(t, "ingest with embedding")
	for n, missed := 1, 0; n <= killPoints(12) && missed < 5; n++ {
		db := filepath.Join(t.TempDir(), "e.db")
		args := []string{"ingest", faces, "--db", db, "-q"} // unlabelled: attributes come from E_a
		killed := killAtSync(t, n, args...)
		if killed {
			countKill("ingest with embedding")
		}
		mustRun(t, args...)
		out := mustRun(t, "stats", "--db", db)
		if !strings.Contains(out, "300 items with predicted attributes") || !strings.Contains(out, "attrs-1: 300") || !strings.Contains(out, "retrieval-1: 300") {
			t.Fatalf("killed at commit %d, then run again:\n%s", n, out)
		}
		if missed = missed + 1; killed { // five runs not killed: no more commits
			missed = 0
		}
	}
}

// runChild runs the CLI with args in a child process and returns its exit
// status and output.
func runChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	argv, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(argv))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestDamagedDatabase: truncated copies of a real database, copies with a
// zeroed page or junk in a page, get an error naming the file (exit
// status 1), never a panic or a fault, from every command that reads it.
func TestDamagedDatabase(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", good, "-q")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 16384
	damages := map[string][]byte{
		"truncated at 32 KiB":  raw[:32<<10],
		"truncated at 64 KiB":  raw[:64<<10],
		"truncated to half":    raw[:len(raw)/2],
		"a zeroed page":        zeroed(raw, 4*page, page),
		"a zeroed late page":   zeroed(raw, len(raw)/page/2*page, page),
		"junk in page headers": junk(raw, page),
	}
	// Pages the database uses (branch and leaf pages): damage there is
	// never harmless, so check must report every one.
	used := usedPages(t, good)
	every := max(1, len(used)/4)
	if campaign() {
		every = max(1, len(used)/24)
	}
	mustReport := map[string]bool{}
	for i := 0; i < len(used); i += every {
		at := used[i] * page
		name := fmt.Sprintf("used page %d zeroed", used[i])
		damages[name], mustReport[name] = zeroed(raw, at, page), true
		name = fmt.Sprintf("used page %d: junk over its header", used[i])
		damages[name], mustReport[name] = junkAt(raw, at, 16), true
	}
	if campaign() { // 48 more: truncations, zeroed pages and flipped bytes all through the file
		for i := 1; i <= 16; i++ {
			at := len(raw) * i / 17
			damages[fmt.Sprintf("truncated at %d", at)] = raw[:at]
			p := at / page * page
			damages[fmt.Sprintf("page %d zeroed", p/page)] = zeroed(raw, p, page)
			flipped := append([]byte(nil), raw...)
			for j := range 10 {
				flipped[(at+j*977)%len(raw)] ^= 0x5a
			}
			damages[fmt.Sprintf("10 bytes flipped from %d", at)] = flipped
		}
	}
	defer logKills(t, "damaged copies check reports", "damaged copies check finds harmless (free or unused pages)",
		"damaged database: a command exits 0", "damaged database: a command exits 1")
	for _, name := range slices.Sorted(maps.Keys(damages)) {
		b := damages[name]
		db := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".db")
		if err := os.WriteFile(db, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// rgunit check reads everything: whatever damage another command
		// runs into, check finds (damage in free or unused pages, past the
		// data, harms nothing: then every command exits 0).
		checkCode, out := runChild(t, "check", "--db", db)
		if strings.Contains(out, "goroutine ") || checkCode > 1 {
			t.Errorf("%s: check: exit %d:\n%.600s", name, checkCode, out)
		}
		if checkCode == 0 && (!campaign() || mustReport[name]) {
			t.Errorf("%s: check found nothing", name)
		}
		harmless := checkCode == 0
		if harmless {
			countKill("damaged copies check finds harmless (free or unused pages)")
		} else {
			countKill("damaged copies check reports")
		}
		for _, args := range [][]string{{"stats"}, {"ls"}, {"query", "id:1", "--to", "Young"}, {"translate", "id:1", "--to", "Young", "--out", t.TempDir()}} {
			code, out := runChild(t, append(args, "--db", db)...)
			countKill(fmt.Sprintf("damaged database: a command exits %d", code))
			if harmless && code != 0 {
				t.Errorf("%s: check found nothing, %s exits %d: %.300s", name, args[0], code, out)
			}
			if strings.Contains(out, "goroutine ") || strings.Contains(out, "SIG") || code > 1 {
				t.Errorf("%s: %s: exit %d:\n%.600s", name, args[0], code, out)
			} else if code == 1 && !strings.Contains(out, db) {
				t.Errorf("%s: %s: the message does not name the file: %s", name, args[0], out)
			}
		}
	}
}

// usedPages lists the branch and leaf pages of the bbolt file at path, by
// page number.
func usedPages(t *testing.T, path string) []int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages []int
	err = db.View(func(tx *bolt.Tx) error {
		for id := 2; id < int(tx.Size()/int64(db.Info().PageSize)); id++ {
			p, err := tx.Page(id)
			if err != nil {
				return err
			}
			if p != nil && (p.Type == "branch" || p.Type == "leaf") {
				pages = append(pages, id)
			}
		}
		return nil
	})
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages of %s: %v (%d)", path, err, len(pages))
	}
	return pages
}

// junkAt writes n bytes of 0xA5 at at.
func junkAt(b []byte, at, n int) []byte {
	c := append([]byte(nil), b...)
	for i := at; i < min(at+n, len(c)); i++ {
		c[i] = 0xA5
	}
	return c
}

func zeroed(b []byte, at, n int) []byte {
	c := append([]byte(nil), b...)
	clear(c[at:min(at+n, len(c))])
	return c
}

// junk writes 0xA5 over the first 64 bytes of every fourth page after the
// meta pages.
func junk(b []byte, page int) []byte {
	c := append([]byte(nil), b...)
	for at := 2 * page; at+64 <= len(c); at += 4 * page {
		for i := range 64 {
			c[at+i] = 0xA5
		}
	}
	return c
}

// TestCampaignMore (RGUNIT_CAMPAIGN=1 only): kills at every commit of
// reindex, model import and a short training, each then run again: the
// database ends complete (every item indexed with its attributes, the
// bundle's models, the training's last step). It logs the campaign's
// counts.
func TestCampaignMore(t *testing.T) {
	t.Parallel()
	if !campaign() {
		t.Skip("the long campaign: RGUNIT_CAMPAIGN=1 (scripts/crash-campaign.sh)")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("needs strace")
	}
	base := filepath.Join(t.TempDir(), "base.db")
	mustRun(t, "ingest", faces, "--db", base, "-q")
	raw, _ := os.ReadFile(base)
	none := filepath.Join(t.TempDir(), "none.db")
	mustRun(t, "ingest", faces, "--labels", faces+"/list_attr.txt", "--db", none, "--model", "none", "-q")
	rawNone, _ := os.ReadFile(none)
	bundle := filepath.Join(t.TempDir(), "b.rgm")
	mustRun(t, "model", "export", "--db", base, "--out", bundle)
	// A database with stages 1 and 2 of its own, tiny, for stage 3.
	own := filepath.Join(t.TempDir(), "own.db")
	os.WriteFile(own, rawNone, 0o644)
	tiny := []string{"--width", "4", "--res-blocks", "1", "-q"}
	mustRun(t, append([]string{"train", "unit", "--db", own, "--steps", "2"}, tiny...)...)
	rawStage1, _ := os.ReadFile(own)
	mustRun(t, "train", "retrieval", "--db", own, "--steps", "2", "--pool", "16", "--batch", "4", "-q")
	rawStage2, _ := os.ReadFile(own)
	runs := []struct {
		name  string
		from  []byte
		args  []string
		check []string
	}{
		{"ingest in batches of 8", nil, []string{"ingest", faces, "--labels", faces + "/list_attr.txt", "--batch", "8", "-q"}, []string{"items      300", "all 300 items indexed", "attrs-1: 300"}},
		{"ingest of unlabelled items in batches of 8", nil, []string{"ingest", faces, "--batch", "8", "-q"}, []string{"items      300", "all 300 items indexed", "300 items with predicted attributes"}},
		{"reindex", raw, []string{"reindex"}, []string{"all 300 items indexed", "300 items with predicted attributes", "attrs-1: 300"}},
		{"model import", rawNone, []string{"model", "import", bundle}, []string{"retrieval v1, rg-unit v1", "all 300 items indexed"}},
		{"train unit", rawNone, append([]string{"train", "unit", "--steps", "20", "--checkpoint-every", "1"}, tiny...), []string{"gmm-unit v"}},
		{"train retrieval", rawStage1, []string{"train", "retrieval", "--steps", "12", "--checkpoint-every", "1", "--pool", "16", "--batch", "4", "-q"}, []string{"retrieval v", "all 300 items indexed"}},
		{"train rg", rawStage2, []string{"train", "rg", "--steps", "12", "--checkpoint-every", "1", "--batch", "2", "-q"}, []string{"rg-unit v"}},
	}
	for _, r := range runs {
		for n := 1; ; n++ {
			db := filepath.Join(t.TempDir(), "c.db")
			if r.from != nil {
				os.WriteFile(db, r.from, 0o644)
			}
			args := append(append([]string(nil), r.args...), "--db", db)
			killed := killAtSync(t, n, args...)
			mustRun(t, args...)
			out := mustRun(t, "stats", "--db", db)
			for _, want := range r.check {
				if !strings.Contains(out, want) {
					t.Fatalf("%s killed at commit %d, then run again: no %q in\n%s", r.name, n, want, out)
				}
			}
			if !killed {
				break
			}
			countKill(r.name)
		}
	}
	for _, r := range runs {
		logKills(t, r.name)
	}
}
