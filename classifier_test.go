package rgunit_test

import (
	"context"
	"slices"
	"testing"

	"rgunit"
	"rgunit/classifier"
	"rgunit/guided"
	"rgunit/internal/testenv"
)

// TestClassifierDefaults: with no attributes or size given, the evaluation
// classifier judges what the database's stage-1 model translates: its
// attributes at its resolution (a 64 px photo model's classifier at 32 px
// over 40 CelebA attributes refused to train before).
func TestClassifierDefaults(t *testing.T) {
	t.Parallel()
	db, err := rgunit.Open(testenv.Ingested64(t), &rgunit.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := testenv.Tiny
	cfg.Arch.Size = 64
	if _, err := db.TrainUnit(context.Background(), rgunit.UnitOptions{TrainOptions: rgunit.TrainOptions{Steps: 1},
		Config: cfg, Attrs: []string{"Male", "Young"}}); err != nil {
		t.Fatal(err)
	}
	u, err := guided.LoadStage1(db.Store())
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.TrainClassifier(context.Background(), rgunit.ClassifierOptions{Steps: 2, Batch: 4, Width: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Attributes, u.Config.Schema.Attrs) {
		t.Fatalf("classifier attributes %v, the model's %v", res.Attributes, u.Config.Schema.Attrs)
	}
	c, err := classifier.Load(db.Store())
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.Size != u.Config.Arch.Size {
		t.Fatalf("classifier at %d px, the model at %d px", c.Config.Size, u.Config.Arch.Size)
	}
	// Given ones win.
	res, err = db.TrainClassifier(context.Background(), rgunit.ClassifierOptions{Steps: 1, Batch: 4, Width: 4, Size: 32, Attrs: []string{"Male"}})
	if err != nil || !slices.Equal(res.Attributes, []string{"Male"}) {
		t.Fatalf("given attributes: %+v %v", res, err)
	}
}
