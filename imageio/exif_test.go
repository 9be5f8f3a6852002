package imageio

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withOrientation inserts an EXIF APP1 segment recording orientation o
// (byte order bo) after a JPEG's SOI marker.
func withOrientation(jpg []byte, o int, bo binary.ByteOrder) []byte {
	var t bytes.Buffer
	if bo == binary.LittleEndian {
		t.WriteString("II")
	} else {
		t.WriteString("MM")
	}
	binary.Write(&t, bo, uint16(42))
	binary.Write(&t, bo, uint32(8))
	binary.Write(&t, bo, uint16(2)) // two entries: another tag first
	binary.Write(&t, bo, []uint16{0x010F, 2})
	binary.Write(&t, bo, []uint32{4, 0x00414243})
	binary.Write(&t, bo, []uint16{0x0112, 3})
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, []uint16{uint16(o), 0})
	binary.Write(&t, bo, uint32(0))
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(out, jpg[2:]...)
}

// upright is a 48x32 picture whose quadrants tell its orientation: red at
// the top left, green at the top right, blue at the bottom left, white at
// the bottom right.
func upright() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			c := color.RGBA{255, 255, 255, 255}
			switch {
			case x < 24 && y < 16:
				c = color.RGBA{255, 0, 0, 255}
			case y < 16:
				c = color.RGBA{0, 255, 0, 255}
			case x < 24:
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// TestOrientation: a JPEG stored in each of the eight EXIF orientations
// (the upright picture turned the other way, with the tag saying how to
// turn it back) loads upright, in both byte orders; damaged EXIF is
// ignored.
func TestOrientation(t *testing.T) {
	t.Parallel()
	inverse := map[int]int{6: 8, 8: 6}
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			stored := Orient(upright(), o)
			if inv, ok := inverse[o]; ok {
				stored = Orient(upright(), inv)
			}
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, stored, &jpeg.Options{Quality: 95}); err != nil {
				t.Fatal(err)
			}
			data := withOrientation(buf.Bytes(), o, bo)
			if got := Orientation(data); got != o {
				t.Fatalf("orientation %d (%v): read %d", o, bo, got)
			}
			// Load is the path into the database (ingest, queries): the
			// stored square, centre-cropped, must stand upright too.
			sq, _, err := Load(data, 32, 0)
			if err != nil {
				t.Fatal(err)
			}
			if r, g, b, _ := sq.At(4, 4).RGBA(); r < 0x8000 || g > 0x8000 || b > 0x8000 {
				t.Fatalf("orientation %d: stored image's top left is %v, want red", o, sq.At(4, 4))
			}
			img, cfg, err := Decode(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != 48 || cfg.Height != 32 {
				t.Fatalf("orientation %d: %dx%d, want the upright 48x32", o, cfg.Width, cfg.Height)
			}
			for _, c := range []struct {
				x, y    int
				r, g, b bool
			}{{8, 6, true, false, false}, {40, 6, false, true, false}, {8, 26, false, false, true}, {40, 26, true, true, true}} {
				r, g, b, _ := img.At(c.x, c.y).RGBA()
				if (r > 0x8000) != c.r || (g > 0x8000) != c.g || (b > 0x8000) != c.b {
					t.Fatalf("orientation %d (%v): pixel (%d, %d) is %v", o, bo, c.x, c.y, img.At(c.x, c.y))
				}
			}
		}
	}
	var plain bytes.Buffer
	jpeg.Encode(&plain, upright(), nil)
	for name, data := range map[string][]byte{
		"no exif":        plain.Bytes(),
		"truncated exif": withOrientation(plain.Bytes(), 6, binary.BigEndian)[:30],
		"orientation 9":  withOrientation(plain.Bytes(), 9, binary.LittleEndian),
		"png":            {0x89, 'P', 'N', 'G'},
	} {
		if got := Orientation(data); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}
}

func FuzzOrientation(f *testing.F) {
	var plain bytes.Buffer
	jpeg.Encode(&plain, upright(), nil)
	f.Add(withOrientation(plain.Bytes(), 6, binary.BigEndian))
	f.Add(withOrientation(plain.Bytes(), 3, binary.LittleEndian))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := Orientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
