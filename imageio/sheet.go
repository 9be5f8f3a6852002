package imageio

import (
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Tile is one picture of a contact sheet with the caption drawn under it.
type Tile struct {
	Image   image.Image
	Caption string
}

// SheetRow is one row of a contact sheet: a title line above it, then its
// tiles in groups (input, neighbours, outputs...) separated by a wider gap.
type SheetRow struct {
	Title  string
	Groups [][]Tile
}

// Sheet layout, in pixels.
const (
	sheetGap     = 6  // between tiles
	sheetGroup   = 14 // between groups
	sheetLine    = 15 // a line of text
	sheetMargin  = 8
	sheetFontPts = 11
)

var (
	faceOnce  sync.Once
	sheetFace font.Face
)

// labelFace is the Go font at the sheets' size (compiled in: nothing is
// read at run time).
func labelFace() font.Face {
	faceOnce.Do(func() {
		f, err := opentype.Parse(goregular.TTF)
		if err == nil {
			sheetFace, err = opentype.NewFace(f, &opentype.FaceOptions{Size: sheetFontPts, DPI: 72, Hinting: font.HintingFull})
		}
		if err != nil { // the embedded font always parses; this is a programming error
			panic("imageio: the sheet font: " + err.Error())
		}
	})
	return sheetFace
}

// TextWidth is the width in pixels of s in the sheets' font.
func TextWidth(s string) int { return font.MeasureString(labelFace(), s).Ceil() }

// DrawText draws s in the sheets' font with its baseline at (x, y).
func DrawText(dst draw.Image, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: labelFace(), Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// fit shortens s with an ellipsis until it is at most w pixels wide.
func fit(s string, w int) string {
	if TextWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && TextWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// DrawSheet draws rows of side x side tiles on white: per row its title,
// then the tiles with their captions centred under them (shortened to the
// tile's width). Tiles of another size are scaled to side (nearest
// neighbour).
func DrawSheet(rows []SheetRow, side int) *image.RGBA {
	rowH := sheetLine + side + sheetLine + sheetGap
	sheet := image.NewRGBA(SheetBounds(rows, side))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	ink, grey := color.RGBA{0x20, 0x20, 0x20, 0xff}, color.RGBA{0x60, 0x60, 0x60, 0xff}
	for ri, r := range rows {
		y := sheetMargin + ri*rowH
		DrawText(sheet, sheetMargin, y+sheetLine-4, r.Title, ink)
		x := sheetMargin
		for gi, g := range r.Groups {
			if gi > 0 {
				x += sheetGroup - sheetGap
			}
			for _, t := range g {
				at := image.Rect(x, y+sheetLine, x+side, y+sheetLine+side)
				draw.Draw(sheet, at, Scale(t.Image, side), image.Point{}, draw.Src)
				c := fit(t.Caption, side+sheetGap-2)
				DrawText(sheet, x+(side-TextWidth(c))/2, at.Max.Y+sheetLine-3, c, grey)
				x += side + sheetGap
			}
		}
	}
	return sheet
}

// SheetBounds is the size of the sheet DrawSheet draws: per row a title
// line, the tiles and a caption line; the width of the widest row (tiles
// and gaps, or its title).
func SheetBounds(rows []SheetRow, side int) image.Rectangle {
	width := 0
	for _, r := range rows {
		w := 2*sheetMargin - sheetGroup
		for _, g := range r.Groups {
			w += sheetGroup + len(g)*side + (len(g)-1)*sheetGap
		}
		width = max(width, w, 2*sheetMargin+TextWidth(r.Title))
	}
	return image.Rect(0, 0, width, sheetMargin*2+len(rows)*(sheetLine+side+sheetLine+sheetGap))
}

// Scale returns img scaled to side x side by nearest neighbour (img itself
// when it is that size already): sheets show a model's pixels as they
// are.
func Scale(img image.Image, side int) image.Image {
	b := img.Bounds()
	if b.Dx() == side && b.Dy() == side {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/side, b.Min.Y+y*b.Dy()/side))
		}
	}
	return out
}
