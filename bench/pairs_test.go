package bench

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"rgunit/embed"
	"rgunit/generator"
	"rgunit/imageio"
)

var faceSchema = embed.Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}

func TestPairs(t *testing.T) {
	dir := t.TempDir()
	faces := "../testdata/faces"
	for _, n := range []string{"000001.png", "000002.png"} {
		b, err := os.ReadFile(filepath.Join(faces, n))
		if err != nil {
			t.Skip("testdata faces are named differently:", err)
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "pairs.txt"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("source target_image Black_Hair Blond_Hair Brown_Hair Male Young\n000001.png 000002.png -1 1 -1 1 1\n000002.png 000001_old.png -1 1 -1 1 -1\n")
	ps, err := ParsePairs(dir, faceSchema)
	if err != nil || len(ps) != 2 || ps[0].Kind != "hair" || ps[1].Kind != "age" || ps[0].Attrs[1] != 1 {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{"", "src tgt A\n", "source target_image Black_Hair\n",
		"source target_image Black_Hair Blond_Hair Brown_Hair Male Young\na b 1 1 1 1 2\n",
		"source target_image Black_Hair Blond_Hair Brown_Hair Male Young\na b 1 1\n"} {
		write(bad)
		if _, err := ParsePairs(dir, faceSchema); !errors.Is(err, ErrPairs) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Paired L1 with an untrained model: finite, and "no change" is 0 for
	// a pair whose target is its own source.
	write("source target_image Black_Hair Blond_Hair Brown_Hair Male Young\n000001.png 000001.png -1 1 -1 1 1\n")
	ps, _ = ParsePairs(dir, faceSchema)
	u, _ := generator.NewUNIT(generator.Config{Arch: embed.Arch{Size: 32, Width: 4, ResBlocks: 1}, Schema: faceSchema, Batch: 1, Seed: 1})
	b, _ := os.ReadFile(filepath.Join(dir, "000001.png"))
	img, _, _ := imageio.Load(b, 32, 1<<24)
	x, _ := generator.RGBATensor(img, 32)
	r, err := Paired(u, ps, map[string][]float32{"000001.png": x}, 0)
	if err != nil || r.Pairs != 1 || r.HairL1 <= 0 || r.HairL1Ident != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := Paired(u, ps, map[string][]float32{}, 0); !errors.Is(err, ErrPairs) {
		t.Fatalf("no sources: %v", err)
	}
}
