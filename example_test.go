package rgunit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"rgunit"
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/guided"
	"rgunit/ingest"
	"rgunit/retrieval"
)

// faces opens a new database in a temporary folder holding the 300
// shipped faces with their labels (and the shipped models): a copy of one
// ingested once, for every example that needs it.
func faces() (*rgunit.DB, func()) {
	shippedFaces.Do(func() {
		dir, _ := os.MkdirTemp("", "rgunit-example")
		defer os.RemoveAll(dir)
		db, err := rgunit.Open(filepath.Join(dir, "faces.db"), nil)
		if err != nil {
			panic(err)
		}
		labels, _ := ingest.LoadLabels("samples/faces/list_attr.txt")
		if _, err := db.Ingest(context.Background(), []string{"samples/faces"}, rgunit.IngestOptions{Labels: labels}); err != nil {
			panic(err)
		}
		db.Close()
		shippedFaces.file, _ = os.ReadFile(filepath.Join(dir, "faces.db"))
	})
	dir, _ := os.MkdirTemp("", "rgunit-example")
	os.WriteFile(filepath.Join(dir, "faces.db"), shippedFaces.file, 0o644)
	db, err := rgunit.Open(filepath.Join(dir, "faces.db"), nil)
	if err != nil {
		panic(err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }
}

// shippedFaces is the database faces copies.
var shippedFaces struct {
	sync.Once
	file []byte
}

func ExampleDB_Ingest() {
	dir, _ := os.MkdirTemp("", "rgunit-example")
	defer os.RemoveAll(dir)
	db, err := rgunit.Open(filepath.Join(dir, "faces.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	labels, err := ingest.LoadLabels("samples/faces/list_attr.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := db.Ingest(context.Background(), []string{"samples/faces"}, rgunit.IngestOptions{Labels: labels})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d added (%d labelled), %d ignored; the shipped models imported: %v; %d indexed\n",
		res.Added, res.Labelled, res.Ignored, res.Imported != nil, res.Index.Indexed)
	// Output: 300 added (300 labelled), 3 ignored; the shipped models imported: true; 300 indexed
}

func ExampleDB_Query() {
	db, done := faces()
	defer done()
	res, err := db.Query(context.Background(), rgunit.Query{Source: "id:1", Targets: "Blond_Hair", K: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	blond := 0
	for _, n := range res.Neighbours {
		if n.Labels["Blond_Hair"] > 0 {
			blond++
		}
	}
	fmt.Printf("%d neighbours, %d of them blond; never the source: %v\n", len(res.Neighbours), blond, res.Neighbours[0].ID != 1)
	// Output: 5 neighbours, 5 of them blond; never the source: true
}

func ExampleDB_Translate() {
	db, done := faces()
	defer done()
	tr, err := db.Translate(context.Background(), rgunit.Request{Source: "id:1", Targets: "Blond_Hair,-Young", Samples: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d outputs of %d px, guided by %d neighbours; the source's labels known: %v\n",
		len(tr.Outputs), tr.Size, len(tr.Neighbours), !tr.Estimated)
	// Output: 2 outputs of 64 px, guided by 3 neighbours; the source's labels known: true
}

func ExampleDB_Remove() {
	db, done := faces()
	defer done()
	ctx := context.Background()
	if err := db.Remove(ctx, 2, 3); err != nil {
		fmt.Println(err)
		return
	}
	s, _ := db.Stats()
	fmt.Println(s.Items, "items left")
	fmt.Println(db.Remove(ctx, 3, 4)) // all or nothing: 3 is gone, so 4 stays
	// Output:
	// 298 items left
	// storage: no such item: ids [3] (nothing deleted)
}

// Training your own models: stage 1 on the labelled items, then the
// retrieval embedder (and the index), then RG-UNIT. Each job resumes from
// its last checkpoint when run again; here each takes two steps of a tiny
// network.
func ExampleDB_TrainUnit() {
	dir, _ := os.MkdirTemp("", "rgunit-example")
	defer os.RemoveAll(dir)
	db, err := rgunit.Open(filepath.Join(dir, "own.db"), &rgunit.Options{ImageSize: 32})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	labels, _ := ingest.LoadLabels("samples/faces/list_attr.txt")
	if _, err := db.Ingest(ctx, []string{"samples/faces"}, rgunit.IngestOptions{Labels: labels, Model: "none"}); err != nil {
		fmt.Println(err)
		return
	}
	tiny := embed.Arch{Size: 32, Width: 4, ResBlocks: 1}
	u, err := db.TrainUnit(ctx, rgunit.UnitOptions{TrainOptions: rgunit.TrainOptions{Steps: 2},
		Config: generator.Config{Arch: tiny, Batch: 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := db.TrainRetrieval(ctx, rgunit.RetrievalOptions{TrainOptions: rgunit.TrainOptions{Steps: 2},
		Config: retrieval.Config{Pool: 8, Batch: 4, Dim: 8}})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := db.Sync(ctx, false, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := db.TrainRG(ctx, rgunit.RGOptions{TrainOptions: rgunit.TrainOptions{Steps: 2}, Config: rg.Config{Batch: 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("stage 1 at step %d, retrieval at step %d (%d items indexed), RG-UNIT at step %d\n", u.Step, r.Step, s.Indexed, g.Step)
	// Output: stage 1 at step 2, retrieval at step 2 (300 items indexed), RG-UNIT at step 2
}

// The demo: a new database with the shipped model, the 300 sample faces
// embedded in the binary ingested and indexed, and one face translated.
func ExampleDemo() {
	dir, _ := os.MkdirTemp("", "rgunit-example")
	defer os.RemoveAll(dir)
	sheet, err := rgunit.Demo(context.Background(), rgunit.DemoOptions{DB: filepath.Join(dir, "demo.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(sheet))
	// Output: 000001_sheet.png
}

// Items by attributes alone: known labels first, then unlabelled items
// whose predicted attributes match.
func ExampleDB_QueryAttrs() {
	db, done := faces()
	defer done()
	ns, err := db.QueryAttrs(context.Background(), "Blond_Hair,-Male", 5, "Young=+1")
	if err != nil {
		fmt.Println(err)
		return
	}
	ok := 0
	for _, n := range ns {
		if n.Labels["Blond_Hair"] > 0 && n.Labels["Male"] < 0 && n.Labels["Young"] > 0 {
			ok++
		}
	}
	fmt.Printf("%d items, %d of them young blond women\n", len(ns), ok)
	// Output: 5 items, 5 of them young blond women
}

// A database's summary, as rgunit stats prints it.
func ExampleDB_Stats() {
	db, done := faces()
	defer done()
	s, err := db.Stats()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d items (%d labelled) of %d px; retrieval model version %d\n", s.Items, s.Labelled, s.ImageSize, s.Models["retrieval"])
	// Output: 300 items (300 labelled) of 64 px; retrieval model version 1
}

// Moving models between databases: export a bundle from one, import it
// into another, which then indexes its items with them.
func ExampleDB_ExportBundle() {
	db, done := faces()
	defer done()
	b, err := db.ExportBundle(guided.Provenance{Command: "example", Data: "samples/faces"})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "rgunit-example")
	defer os.RemoveAll(dir)
	other, err := rgunit.Open(filepath.Join(dir, "other.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer other.Close()
	if _, err := other.Ingest(context.Background(), []string{"samples/faces/000001.png", "samples/faces/000002.png"}, rgunit.IngestOptions{Model: "none"}); err != nil {
		fmt.Println(err)
		return
	}
	imp, s, err := other.ImportBundle(context.Background(), b, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("imported bundle by %q; %d items embedded, %d indexed\n", imp.Provenance.Command, s.Added, s.Indexed)
	// Output: imported bundle by "example"; 2 items embedded, 2 indexed
}

// Sync embeds and indexes what the index lacks: after a rebuild, every
// item.
func ExampleDB_Sync() {
	db, done := faces()
	defer done()
	s, err := db.Sync(context.Background(), true, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d items embedded, %d indexed\n", s.Added, s.Indexed)
	// Output: 300 items embedded, 300 indexed
}
