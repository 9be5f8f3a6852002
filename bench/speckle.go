package bench

import "math"

// ChromaEnergy is the mean absolute 4-neighbour Laplacian of an image's
// chroma channels (R-G and B-G; CHW in [-1, 1], size x size) over its
// interior pixels: colour speckle, which a clean face (flat colour regions
// with a few edges) has little of.
func ChromaEnergy(x []float32, size int) float64 {
	p := size * size
	chroma := func(c, i int) float64 { return float64(x[c*p+i] - x[p+i]) } // c 0: R-G, 2: B-G
	var sum float64
	for _, c := range []int{0, 2} {
		for y := 1; y < size-1; y++ {
			for xx := 1; xx < size-1; xx++ {
				i := y*size + xx
				l := 4*chroma(c, i) - chroma(c, i-1) - chroma(c, i+1) - chroma(c, i-size) - chroma(c, i+size)
				sum += math.Abs(l)
			}
		}
	}
	return sum / float64(2*(size-2)*(size-2))
}

// SpeckleRatio is the mean ChromaEnergy of outputs over that of inputs
// (the same number of images, at one size): 1 means as clean as the
// inputs; the first shipped model's translations were 5.5-6.
func SpeckleRatio(outputs, inputs [][]float32, size int) float64 {
	var o, in float64
	for _, x := range outputs {
		o += ChromaEnergy(x, size)
	}
	for _, x := range inputs {
		in += ChromaEnergy(x, size)
	}
	if in == 0 {
		return math.Inf(1)
	}
	return (o / float64(len(outputs))) / (in / float64(len(inputs)))
}
