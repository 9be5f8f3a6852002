package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImage is a 40x30 gradient with a red left half, so crops are checkable.
func testImage() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			c := color.NRGBA{0, 0, 200, 255}
			if x < 20 {
				c = color.NRGBA{200, 0, 0, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodeAs(t testing.TB, format string, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, m)
	case "jpeg":
		err = jpeg.Encode(&b, m, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&b, m, nil)
	case "bmp":
		err = bmp.Encode(&b, m)
	case "tiff":
		err = tiff.Encode(&b, m, nil)
	default:
		t.Fatalf("no encoder for %s", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFormats(t *testing.T) {
	src := testImage()
	cases := []struct {
		name, format string
		data         []byte
		w, h         int
	}{
		{"png", "png", encodeAs(t, "png", src), 40, 30},
		{"jpeg", "jpeg", encodeAs(t, "jpeg", src), 40, 30},
		{"gif", "gif", encodeAs(t, "gif", src), 40, 30},
		{"bmp", "bmp", encodeAs(t, "bmp", src), 40, 30},
		{"tiff", "tiff", encodeAs(t, "tiff", src), 40, 30},
		{"webp lossy", "webp", readFile(t, "testdata/face_lossy.webp"), 64, 64},
		{"webp lossless", "webp", readFile(t, "testdata/face_lossless.webp"), 64, 64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, cfg, err := Load(c.data, 16, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Format != c.format || cfg.Width != c.w || cfg.Height != c.h {
				t.Fatalf("config %+v, want %s %dx%d", cfg, c.format, c.w, c.h)
			}
			if img.Bounds() != image.Rect(0, 0, 16, 16) {
				t.Fatalf("normalized bounds %v", img.Bounds())
			}
			if c.w == 40 { // centre crop of 40x30 is x in [5,35): left half red, right half blue
				l, r := img.RGBAAt(2, 8), img.RGBAAt(13, 8)
				if l.R < 150 || l.B > 60 || r.B < 150 || r.R > 60 {
					t.Fatalf("crop colours left %v right %v", l, r)
				}
			}
		})
	}
}

func TestDecodeBadInput(t *testing.T) {
	good := encodeAs(t, "png", testImage())
	jpg := encodeAs(t, "jpeg", testImage())
	heic := append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 20)...)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"text", []byte("hello, this is not an image\n"), ErrNotImage},
		{"truncated png", good[:len(good)/2], ErrCorrupt},
		{"truncated png header", good[:20], ErrCorrupt},
		{"truncated jpeg", jpg[:len(jpg)/2], ErrCorrupt},
		{"heic", heic, ErrUnsupported},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), ErrUnsupported},
		{"psd", []byte("8BPS\x00\x01\x00\x00\x00\x00\x00\x00"), ErrUnsupported},
		{"bomb", pngHeader(50000, 50000), ErrTooLarge},
		{"zero width", pngHeader(0, 10), ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := Load(c.data, 16, 0)
			if !errors.Is(err, c.want) || img != nil {
				t.Fatalf("Load = %v, %v; want error %v", img, err, c.want)
			}
		})
	}
}

// pngHeader returns a PNG whose IHDR declares w x h and that holds no pixel
// data: only a decoder that trusts the header would allocate w*h*4 bytes.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestBombRefusedBeforeDecoding(t *testing.T) {
	start := time.Now()
	_, _, err := Decode(pngHeader(100_000, 100_000), 0)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("refusal took %v: pixels were decoded", d)
	}
	// Just under the budget is accepted by the header check (then fails on missing data).
	_, _, err = Decode(pngHeader(1000, 1000), 1_000_000)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("1 MP at a 1 MP budget: %v", err)
	}
}

func TestNormalizeFlattensAlphaOntoWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 8, 8)) // fully transparent
	m.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
	out := Normalize(m, 8)
	if c := out.RGBAAt(5, 5); c != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("transparent pixel became %v, want white", c)
	}
	if c := out.RGBAAt(0, 0); c != (color.RGBA{0, 0, 0, 255}) {
		t.Fatalf("opaque black became %v", c)
	}
}

func TestPNGRoundTrip(t *testing.T) {
	img, _, err := Load(readFile(t, "testdata/face.png"), 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePNG(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Pix, img.Pix) {
		t.Fatal("PNG round trip changed pixels")
	}
}

func TestHasImageExt(t *testing.T) {
	for name, want := range map[string]bool{"a.JPG": true, "b.webp": true, "c.heic": true, "list_attr.txt": false, "x": false} {
		if HasImageExt(name) != want {
			t.Errorf("HasImageExt(%q) = %v", name, !want)
		}
	}
}

// FuzzLoad: decode+normalize never panics, and success means a size x size
// opaque image.
func FuzzLoad(f *testing.F) {
	f.Add(readFile(f, "testdata/face.png"))
	f.Add(readFile(f, "testdata/face_lossy.webp"))
	f.Add(readFile(f, "testdata/face_lossless.webp"))
	for _, format := range []string{"jpeg", "gif", "bmp", "tiff"} {
		f.Add(encodeAs(f, format, testImage()))
	}
	f.Add(pngHeader(3, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, cfg, err := Load(data, 8, 1<<20)
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		if img.Bounds() != image.Rect(0, 0, 8, 8) || cfg.Width <= 0 || cfg.Height <= 0 {
			t.Fatalf("bounds %v cfg %+v", img.Bounds(), cfg)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 0xff {
				t.Fatal("normalized image not opaque")
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct{ name, file string }{{"png64", "testdata/face.png"}, {"webp64", "testdata/face_lossy.webp"}} {
		data := readFile(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Load(data, 32, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleLoad() {
	data, _ := os.ReadFile("testdata/face.png")
	img, cfg, err := Load(data, 32, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %dx%d -> %dx%d\n", cfg.Format, cfg.Width, cfg.Height, img.Bounds().Dx(), img.Bounds().Dy())
	// Output: png 64x64 -> 32x32
}
