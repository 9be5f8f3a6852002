package models_test

import (
	"fmt"
	"strings"
	"testing"

	"rgunit/guided"
	"rgunit/models"
)

// TestShipped: the shipped bundle decodes (checksums included), stays
// within 20 MB, and records the command, data and commit that made it and
// a model trained through all three stages.
func TestShipped(t *testing.T) {
	if len(models.Default) > 20<<20 {
		t.Fatalf("the shipped bundle is %d bytes, over 20 MB", len(models.Default))
	}
	b, err := guided.DecodeBundle(models.Default)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Provenance
	if !strings.Contains(p.Command, "scripts/train-default.sh") || !strings.Contains(p.Data, "faces12k_64") || p.Commit == "" || p.Commit == "unknown" {
		t.Fatalf("provenance %+v", p)
	}
	if p.Stage1Step < 1000 || p.RetrievalStep < 100 || p.RGStep < 100 || p.K != 3 {
		t.Fatalf("steps: stage 1 %d, retrieval %d, rg-unit %d, k %d", p.Stage1Step, p.RetrievalStep, p.RGStep, p.K)
	}
}

func ExampleDefault() {
	b, err := guided.DecodeBundle(models.Default)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Provenance.Size, b.Provenance.Attrs, b.Provenance.K)
	// Output: 64 [Black_Hair Blond_Hair Brown_Hair Male Young] 3
}
