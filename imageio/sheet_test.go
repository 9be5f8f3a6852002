package imageio

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func flat(side int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

// inked counts the pixels of r that are not white.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R < 200 || c.G < 200 || c.B < 200 {
				n++
			}
		}
	}
	return n
}

// TestDrawSheet: tiles land where the layout says, scaled to the side;
// titles and captions are drawn as text (dark pixels in their lines), and a
// caption too wide for its tile is shortened to fit.
func TestDrawSheet(t *testing.T) {
	red, blue := color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255}
	rows := []SheetRow{
		{Title: "to Blond_Hair (RG-UNIT)", Groups: [][]Tile{{{Image: flat(32, red), Caption: "input"}}, {{Image: flat(64, blue), Caption: "nb id:12345678901234"}}}},
		{Title: "", Groups: [][]Tile{{{Image: flat(64, red), Caption: ""}}}},
	}
	const side = 64
	img := DrawSheet(rows, side)
	if img.Bounds() != SheetBounds(rows, side) {
		t.Fatalf("sheet %v, layout %v", img.Bounds(), SheetBounds(rows, side))
	}
	// Row 0: title line, then the tiles, then the captions.
	tile0 := image.Rect(sheetMargin, sheetMargin+sheetLine, sheetMargin+side, sheetMargin+sheetLine+side)
	tile1 := tile0.Add(image.Pt(side+sheetGroup, 0))
	if img.RGBAAt(tile0.Min.X+5, tile0.Min.Y+5) != red || img.RGBAAt(tile0.Max.X-1, tile0.Max.Y-1) != red {
		t.Fatal("the 32 px input tile was not scaled to fill its 64 px place")
	}
	if img.RGBAAt(tile1.Min.X+5, tile1.Min.Y+5) != blue {
		t.Fatal("the second group's tile is not after the group gap")
	}
	title := image.Rect(sheetMargin, sheetMargin, img.Bounds().Dx(), sheetMargin+sheetLine)
	caption0 := image.Rect(tile0.Min.X, tile0.Max.Y, tile0.Max.X, tile0.Max.Y+sheetLine)
	caption1 := caption0.Add(image.Pt(side+sheetGroup, 0))
	for name, r := range map[string]image.Rectangle{"title": title, "caption": caption0, "long caption": caption1} {
		if n := inked(img, r); n < 20 {
			t.Errorf("%s: %d inked pixels: no text drawn", name, n)
		}
	}
	// The long caption stays within its tile's width (plus the gap).
	if n := inked(img, image.Rect(tile1.Max.X+sheetGap, caption1.Min.Y, img.Bounds().Dx(), caption1.Max.Y)); n != 0 {
		t.Errorf("the long caption spills %d pixels past its tile", n)
	}
	if got := fit("nb id:12345678901234", side); TextWidth(got) > side || got[len(got)-3:] != "…" {
		t.Errorf("fit: %q (%d px)", got, TextWidth(got))
	}
	// Row 1 has no title and no caption: nothing inked there.
	row1 := sheetMargin + (sheetLine + side + sheetLine + sheetGap)
	if n := inked(img, image.Rect(0, row1, img.Bounds().Dx(), row1+sheetLine)); n != 0 {
		t.Errorf("an empty title inked %d pixels", n)
	}
}
