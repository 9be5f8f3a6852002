package imageio

import "errors"

var (
	// ErrEmpty: a zero-byte file.
	ErrEmpty = errors.New("imageio: empty file")
	// ErrNotImage: content of no image format this package knows.
	ErrNotImage = errors.New("imageio: not an image")
	// ErrUnsupported: a recognized image format rgunit cannot decode.
	ErrUnsupported = errors.New("imageio: unsupported image format")
	// ErrTooLarge: the header declares more pixels than allowed.
	ErrTooLarge = errors.New("imageio: image too large")
	// ErrCorrupt: the header or pixel data do not decode (often a truncated file).
	ErrCorrupt = errors.New("imageio: corrupt or truncated image")
)
