package imageio

import (
	"bytes"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	_ "image/gif" // register decoders
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// DefaultMaxPixels is the pixel budget of Decode: 100 megapixels.
const DefaultMaxPixels = 100_000_000

// Config describes a decoded or sniffed image.
type Config struct {
	Format string // "jpeg", "png", "gif", "bmp", "tiff", "webp"
	Width  int
	Height int
}

// unsupported lists magic numbers of image formats we recognize but do not
// decode, so users get "unsupported format: heic" rather than "not an image".
var unsupported = []struct {
	name  string
	match func([]byte) bool
}{
	{"heic", func(b []byte) bool { return ftyp(b, "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1") }},
	{"avif", func(b []byte) bool { return ftyp(b, "avif", "avis") }},
	{"jpeg2000", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")) || bytes.HasPrefix(b, []byte("\xff\x4f\xff\x51"))
	}},
	{"jpegxl", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\xff\x0a")) || bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n"))
	}},
	{"psd", func(b []byte) bool { return bytes.HasPrefix(b, []byte("8BPS")) }},
	{"ico", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")) && len(b) > 6 && b[4] > 0 }},
	{"svg", func(b []byte) bool {
		head := bytes.ToLower(b[:min(len(b), 512)])
		return bytes.Contains(head, []byte("<svg"))
	}},
}

func ftyp(b []byte, brands ...string) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	for _, br := range brands {
		if string(b[8:12]) == br {
			return true
		}
	}
	return false
}

// imageExts are file extensions of image formats, decodable or not.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true, ".png": true, ".gif": true,
	".bmp": true, ".dib": true, ".tif": true, ".tiff": true, ".webp": true,
	".heic": true, ".heif": true, ".avif": true, ".jxl": true, ".jp2": true, ".j2k": true,
	".svg": true, ".psd": true, ".ico": true, ".tga": true, ".pnm": true, ".ppm": true,
	".pgm": true, ".pbm": true, ".dng": true, ".cr2": true, ".nef": true, ".arw": true,
}

// HasImageExt reports whether a file name has the extension of an image
// format (decodable or not).
func HasImageExt(name string) bool { return imageExts[strings.ToLower(filepath.Ext(name))] }

// Sniff reads only the header. It returns the format and dimensions, or an
// error wrapping ErrEmpty, ErrNotImage, ErrUnsupported or ErrCorrupt.
func Sniff(data []byte) (cfg Config, err error) {
	if len(data) == 0 {
		return cfg, ErrEmpty
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: header decoder panicked: %v", ErrCorrupt, r)
		}
	}()
	c, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err == image.ErrFormat {
		for _, u := range unsupported {
			if u.match(data) {
				return cfg, fmt.Errorf("%w: %s", ErrUnsupported, u.name)
			}
		}
		return cfg, ErrNotImage
	}
	if err != nil {
		return Config{Format: format}, fmt.Errorf("%w: %s header: %v", ErrCorrupt, format, err)
	}
	if c.Width <= 0 || c.Height <= 0 {
		return Config{Format: format}, fmt.Errorf("%w: %s declares %dx%d pixels", ErrCorrupt, format, c.Width, c.Height)
	}
	return Config{Format: format, Width: c.Width, Height: c.Height}, nil
}

// Decode decodes an image file's bytes. maxPixels <= 0 means
// DefaultMaxPixels. Images whose header declares more pixels are refused
// before their pixels are decoded. A JPEG with an EXIF orientation is
// turned upright (its Config then gives the upright size).
func Decode(data []byte, maxPixels int) (img image.Image, cfg Config, err error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	cfg, err = Sniff(data)
	if err != nil {
		return nil, cfg, err
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, cfg, fmt.Errorf("%w: %dx%d is %.1f MP, limit %.1f MP", ErrTooLarge,
			cfg.Width, cfg.Height, float64(cfg.Width)*float64(cfg.Height)/1e6, float64(maxPixels)/1e6)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: %s decoder panicked: %v", ErrCorrupt, cfg.Format, r)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, cfg, fmt.Errorf("%w: %s: %v", ErrCorrupt, cfg.Format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// Decoders may disagree with their own header (GIF frames, broken TIFFs).
		if b.Empty() {
			return nil, cfg, fmt.Errorf("%w: %s decoded to an empty image", ErrCorrupt, cfg.Format)
		}
		cfg.Width, cfg.Height = b.Dx(), b.Dy()
	}
	if cfg.Format == "jpeg" {
		if o := Orientation(data); o > 1 {
			img = Orient(img, o) // phone photos: upright before the crop
			if o >= 5 {
				cfg.Width, cfg.Height = cfg.Height, cfg.Width
			}
		}
	}
	return img, cfg, nil
}
