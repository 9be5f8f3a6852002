package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"rgunit/imageio"
)

func fvecs(rows ...[]float32) []byte {
	var b []byte
	for _, r := range rows {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		for _, x := range r {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return b
}

func ivecs(rows ...[]int32) []byte {
	var b []byte
	for _, r := range rows {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		for _, x := range r {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	}
	return b
}

func TestReadFvecs(t *testing.T) {
	good := fvecs([]float32{1, 2, 3}, []float32{4, 5, 6})
	got, err := ReadFvecs(bytes.NewReader(good), 0)
	if err != nil || !reflect.DeepEqual(got, [][]float32{{1, 2, 3}, {4, 5, 6}}) {
		t.Fatalf("%v %v", got, err)
	}
	if got, _ := ReadFvecs(bytes.NewReader(good), 1); len(got) != 1 {
		t.Fatalf("limit: %d rows", len(got))
	}
	for name, in := range map[string][]byte{
		"empty":          nil,
		"truncated head": good[:2],
		"truncated body": good[:len(good)-1],
		"mixed dims":     append(fvecs([]float32{1, 2}), fvecs([]float32{1, 2, 3})...),
		"zero dim":       {0, 0, 0, 0},
		"negative dim":   {0xff, 0xff, 0xff, 0xff},
		"huge dim":       {0, 0, 0, 0x7f},
		"nan":            fvecs([]float32{1, float32(math.NaN())}),
		"inf":            fvecs([]float32{float32(math.Inf(1))}),
	} {
		if _, err := ReadFvecs(bytes.NewReader(in), 0); !errors.Is(err, ErrVecs) {
			t.Errorf("%s: %v, want ErrVecs", name, err)
		}
	}
}

func TestLoadVecs(t *testing.T) {
	dir := t.TempDir()
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var base [][]float32
	for i := range 20 {
		base = append(base, []float32{float32(i), 0})
	}
	bp := w("base.fvecs", fvecs(base...))
	qp := w("q.fvecs", fvecs([]float32{0.1, 0}))
	gp := w("gt.ivecs", ivecs([]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))
	d, err := LoadVecs(bp, qp, gp, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Base) != 20 || len(d.Truth) != 1 || d.Truth[0][0] != 1 {
		t.Fatalf("%d base, truth %v", len(d.Base), d.Truth)
	}
	bad := w("bad.ivecs", ivecs([]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 99}))
	if _, err := LoadVecs(bp, qp, bad, 0, 0); !errors.Is(err, ErrVecs) {
		t.Fatalf("out-of-range ground truth: %v", err)
	}
	if _, err := LoadVecs(bp, w("q3.fvecs", fvecs([]float32{1, 2, 3})), "", 0, 0); !errors.Is(err, ErrVecs) {
		t.Fatalf("query dimension mismatch: %v", err)
	}
	// No query file: the last base vectors are the queries.
	d, err = LoadVecs(bp, "", gp, 0, 5)
	if err != nil || len(d.Base) != 15 || len(d.Queries) != 5 || d.Queries[0][0] != 15 || d.Truth != nil {
		t.Fatalf("split: %v, %d base, %d queries", err, len(d.Base), len(d.Queries))
	}
	if _, err := LoadVecs(bp, "", "", 0, 20); !errors.Is(err, ErrVecs) {
		t.Fatalf("all vectors as queries: %v", err)
	}
}

// TestPixels: a folder of images becomes side*side grey vectors in [0, 1],
// the last ones (in name order) the queries; a folder with too few images
// is refused.
func TestPixels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 5 {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: uint8(50 * i)}), image.Point{}, draw.Src)
		if err := imageio.WritePNG(filepath.Join(dir, fmt.Sprintf("%02d.png", i)), img); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644)
	d, err := Pixels(context.Background(), dir, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Base) != 3 || len(d.Queries) != 2 || len(d.Base[0]) != 16 || d.Name != filepath.Base(dir)+"-pixels-16" {
		t.Fatalf("%s: %d base, %d queries of %d", d.Name, len(d.Base), len(d.Queries), len(d.Base[0]))
	}
	if got, want := d.Queries[1][5], float32(200)/255; math.Abs(float64(got-want)) > 0.01 || d.Base[0][0] != 0 {
		t.Fatalf("pixel values %v (want %v), %v", got, want, d.Base[0][0])
	}
	if _, err := Pixels(context.Background(), dir, 4, 5); !errors.Is(err, ErrVecs) {
		t.Fatalf("5 images, 5 queries: %v", err)
	}
}

// FuzzReadVecs: any bytes give vectors or ErrVecs, never a panic, and what
// parses re-encodes to the same bytes.
func FuzzReadVecs(f *testing.F) {
	f.Add(fvecs([]float32{1, 2, 3}, []float32{4, 5, 6}))
	f.Add(ivecs([]int32{1, -2}))
	f.Add([]byte{0, 0, 0, 0x7f, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ReadFvecs(bytes.NewReader(b), 0)
		if err != nil {
			if !errors.Is(err, ErrVecs) {
				t.Fatalf("error without ErrVecs: %v", err)
			}
		} else if !bytes.Equal(fvecs(v...), b) {
			t.Fatalf("round trip differs")
		}
		iv, err := ReadIvecs(bytes.NewReader(b), 0)
		if err == nil && !bytes.Equal(ivecs(iv...), b) {
			t.Fatalf("ivecs round trip differs")
		}
	})
}
