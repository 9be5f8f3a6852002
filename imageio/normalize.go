package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"sync"

	"golang.org/x/image/draw"
)

// CenterSquare returns the largest square centred in r.
func CenterSquare(r image.Rectangle) image.Rectangle {
	w, h := r.Dx(), r.Dy()
	s := min(w, h)
	x0 := r.Min.X + (w-s)/2
	y0 := r.Min.Y + (h-s)/2
	return image.Rect(x0, y0, x0+s, y0+s)
}

// Normalize centre-crops img to a square and resizes it to size x size. The
// result is opaque: transparent pixels are composited onto white.
func Normalize(img image.Image, size int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	src := CenterSquare(img.Bounds())
	if src.Dx() == size {
		draw.Draw(dst, dst.Bounds(), img, src.Min, draw.Src)
	} else {
		draw.BiLinear.Scale(dst, dst.Bounds(), img, src, draw.Src, nil)
	}
	flattenWhite(dst)
	return dst
}

// flattenWhite composites premultiplied RGBA pixels onto an opaque white
// background in place.
func flattenWhite(m *image.RGBA) {
	p := m.Pix
	for i := 0; i+3 < len(p); i += 4 {
		a := p[i+3]
		if a == 0xff {
			continue
		}
		k := 0xff - uint32(a) // white * (1 - alpha), premultiplied colour stays
		p[i] = uint8(min(uint32(p[i])+k, 0xff))
		p[i+1] = uint8(min(uint32(p[i+1])+k, 0xff))
		p[i+2] = uint8(min(uint32(p[i+2])+k, 0xff))
		p[i+3] = 0xff
	}
}

type pngPool struct{ p sync.Pool }

func (b *pngPool) Get() *png.EncoderBuffer {
	if v, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return v
	}
	return nil
}
func (b *pngPool) Put(e *png.EncoderBuffer) { b.p.Put(e) }

var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

// EncodePNG encodes a normalized image. Opaque images are written as 8-bit RGB.
func EncodePNG(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(m.Bounds().Dx() * m.Bounds().Dy() * 2)
	if err := pngEncoder.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("imageio: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// WritePNG writes m to the file path as EncodePNG encodes it.
func WritePNG(path string, m image.Image) error {
	b, err := EncodePNG(m)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// DecodePNG decodes a stored normalized image into RGBA.
func DecodePNG(data []byte) (*image.RGBA, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: png: %v", ErrCorrupt, err)
	}
	if m, ok := img.(*image.RGBA); ok {
		return m, nil
	}
	dst := image.NewRGBA(img.Bounds())
	draw.Draw(dst, dst.Bounds(), img, img.Bounds().Min, draw.Src)
	return dst, nil
}

// Load decodes and normalizes one file's bytes: the path every image takes
// into rgunit (ingest, queries, translation).
func Load(data []byte, size, maxPixels int) (*image.RGBA, Config, error) {
	img, cfg, err := Decode(data, maxPixels)
	if err != nil {
		return nil, cfg, err
	}
	return Normalize(img, size), cfg, nil
}

// Resize returns img resized to side x side with a Catmull-Rom filter
// (img itself when it is that size already): a model's output brought to
// a database's size, smooth rather than blocky.
func Resize(img image.Image, side int) image.Image {
	b := img.Bounds()
	if b.Dx() == side && b.Dy() == side {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.CatmullRom.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}

// GreyThumbnail returns img's luma averaged over a side x side grid, in
// [0, 1], row by row: a fingerprint that survives re-encoding and
// resizing (near-duplicate checks).
func GreyThumbnail(img image.Image, side int) []float32 {
	small := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.BiLinear.Scale(small, small.Bounds(), img, img.Bounds(), draw.Src, nil)
	out := make([]float32, side*side)
	for i := range out {
		p := small.Pix[4*i : 4*i+3]
		out[i] = (0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])) / 255
	}
	return out
}
