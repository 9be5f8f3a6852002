// Package imageio decodes image files safely and normalizes them to the
// square RGB images rgunit stores and feeds its models.
//
// [Decode] reads JPEG, PNG, GIF (first frame), BMP, TIFF and WebP. It checks
// the header first and refuses images over a pixel budget before decoding
// any pixel (decompression bombs), names formats it recognizes but cannot
// read (HEIC, AVIF, JPEG 2000, JPEG XL, SVG, PSD, ICO), and turns decoder
// panics into errors. [Normalize] centre-crops to a square, resizes with a
// bilinear filter that widens with the scale (so downscaling averages
// instead of aliasing) and flattens transparency onto white. [EncodePNG] and
// [DecodePNG] move normalized images in and out of the store.
package imageio
