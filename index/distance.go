package index

import "github.com/viterin/vek/vek32"

// The metrics use our AVX2+FMA assembly kernels (kernels_amd64.s) where the
// CPU has them and the unrolled Go loops below elsewhere. BenchmarkDistance
// measures them against github.com/viterin/vek's kernels and a plain loop;
// see the figures in the package documentation.

// vekL2 is github.com/viterin/vek's squared distance, kept for the
// benchmark that chose the kernels.
func vekL2(a, b []float32) float32 {
	d := vek32.Distance(a, b)
	return d * d
}

// goL2 is the pure-Go squared Euclidean distance, unrolled by 8 with four
// accumulators.
func goL2(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 8 { // one bounds check per 8 elements
		x, y := (*[8]float32)(a), (*[8]float32)(b)
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		d4, d5, d6, d7 := x[4]-y[4], x[5]-y[5], x[6]-y[6], x[7]-y[7]
		s0 += d0*d0 + d4*d4
		s1 += d1*d1 + d5*d5
		s2 += d2*d2 + d6*d6
		s3 += d3*d3 + d7*d7
		a, b = a[8:], b[8:]
	}
	for i := range a {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// goDot is the pure-Go inner product, unrolled like goL2.
func goDot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 8 {
		x, y := (*[8]float32)(a), (*[8]float32)(b)
		s0 += x[0]*y[0] + x[4]*y[4]
		s1 += x[1]*y[1] + x[5]*y[5]
		s2 += x[2]*y[2] + x[6]*y[6]
		s3 += x[3]*y[3] + x[7]*y[7]
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Distance returns the metric's distance between vectors [Prepare]d for
// it (the distance results report).
func (m Metric) Distance() func(a, b []float32) float32 {
	switch m {
	case Cosine:
		return func(a, b []float32) float32 { return 1 - dot(a, b) }
	case InnerProduct:
		return func(a, b []float32) float32 { return -dot(a, b) }
	}
	return l2
}
