package imageio

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// Orientation reads the EXIF orientation (1-8) of a JPEG file: how the
// stored pixels must be turned to stand upright, as phone cameras record
// it instead of rotating the pixels. It is 1 (upright) for other formats,
// for files without EXIF and for EXIF it cannot read; it never panics on
// damaged input. Only the APP1 segments before the image data are read.
func Orientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for p := 2; p+4 <= len(data); {
		if data[p] != 0xFF {
			return 1
		}
		marker := data[p+1]
		switch {
		case marker == 0xFF: // fill byte
			p++
			continue
		case marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			p += 2 // no length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			return 1
		}
		seg := data[p+4 : p+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		p += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first IFD of a TIFF header (0
// when it is absent or unreadable).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := bo.Uint32(t[4:])
	if off < 8 || uint64(off)+2 > uint64(len(t)) {
		return 0
	}
	ifd := t[off:]
	count := int(bo.Uint16(ifd))
	for i := range count {
		e := 2 + 12*i
		if e+12 > len(ifd) {
			return 0
		}
		if bo.Uint16(ifd[e:]) != 0x0112 {
			continue
		}
		if typ, n := bo.Uint16(ifd[e+2:]), bo.Uint32(ifd[e+4:]); typ != 3 || n != 1 {
			return 0 // orientation is one SHORT
		}
		if o := int(bo.Uint16(ifd[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// Orient turns img, stored with EXIF orientation o, upright. Orientations
// 5-8 swap its width and height; 1 and values out of range return img.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// from gives the source pixel of destination pixel (x, y).
	var from func(x, y int) (int, int)
	switch o {
	case 2: // mirrored
		from = func(x, y int) (int, int) { return w - 1 - x, y }
	case 3: // upside down
		from = func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }
	case 4: // mirrored upside down
		from = func(x, y int) (int, int) { return x, h - 1 - y }
	case 5: // transposed
		from = func(x, y int) (int, int) { return y, x }
	case 6: // turned 90 degrees clockwise to stand upright
		from = func(x, y int) (int, int) { return y, h - 1 - x }
	case 7: // transversed
		from = func(x, y int) (int, int) { return w - 1 - y, h - 1 - x }
	case 8: // turned 90 degrees counterclockwise
		from = func(x, y int) (int, int) { return w - 1 - y, x }
	}
	for y := range dh {
		for x := range dw {
			sx, sy := from(x, y)
			i, j := dst.PixOffset(x, y), src.PixOffset(sx, sy)
			copy(dst.Pix[i:i+4], src.Pix[j:j+4])
		}
	}
	return dst
}
