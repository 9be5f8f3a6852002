package bench

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
)

// CopyVariants makes the copies a near-duplicate finder must find of an
// image file: re-encoded as JPEG (quality 75), resized up (1.5x) and down
// (0.75x). (A 1/32 crop resized back was tried: thumbnails cannot tell it
// from a distinct procedural face at any threshold that keeps the groups
// clean, docs in README "Near-duplicates".)
func CopyVariants(data []byte) ([]File, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	scaled := func(w, h int, src image.Rectangle) image.Image {
		out := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(out, out.Bounds(), img, src, draw.Src, nil)
		return out
	}
	variants := []struct {
		name string
		img  image.Image
		jpg  bool
	}{
		{"jpeg75.jpg", img, true},
		{"up.png", scaled(b.Dx()*3/2, b.Dy()*3/2, b), false},
		{"down.png", scaled(b.Dx()*3/4, b.Dy()*3/4, b), false},
	}
	var out []File
	for _, v := range variants {
		var buf bytes.Buffer
		if v.jpg {
			err = jpeg.Encode(&buf, v.img, &jpeg.Options{Quality: 75})
		} else {
			err = png.Encode(&buf, v.img)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: v.name, Data: buf.Bytes()})
	}
	return out, nil
}

// DupesScore is how well groups of near-duplicates match the truth.
type DupesScore struct {
	Copies      int `json:"copies"`       // copies made
	Found       int `json:"found"`        // copies grouped with their original
	Groups      int `json:"groups"`       // groups reported
	FalseGroups int `json:"false_groups"` // groups joining items of different originals
	Spurious    int `json:"spurious"`     // items grouped that are neither an original nor a copy of one
}

// ScoreDupes scores groups of ids against origin (copy id -> the id of its
// original).
func ScoreDupes(groups [][]uint64, origin map[uint64]uint64) DupesScore {
	s := DupesScore{Copies: len(origin), Groups: len(groups)}
	originals := map[uint64]bool{}
	for _, o := range origin {
		originals[o] = true
	}
	for _, g := range groups {
		root := map[uint64]bool{}
		for _, id := range g {
			switch o, isCopy := origin[id]; {
			case isCopy:
				root[o] = true
			case originals[id]:
				root[id] = true
			default:
				s.Spurious++
				root[id] = true
			}
		}
		if len(root) > 1 {
			s.FalseGroups++
		}
		in := map[uint64]bool{}
		for _, id := range g {
			in[id] = true
		}
		for _, id := range g {
			if o, isCopy := origin[id]; isCopy && in[o] {
				s.Found++
			}
		}
	}
	return s
}

// WriteText writes the score.
func (s DupesScore) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%d of %d copies grouped with their original; %d groups, %d joining different originals, %d other items grouped\n",
		s.Found, s.Copies, s.Groups, s.FalseGroups, s.Spurious)
}
