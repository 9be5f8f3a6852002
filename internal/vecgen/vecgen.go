// Package vecgen makes the synthetic vector sets the index tests and
// benches share (bench ann's clustered and gaussian sets), and scores
// recall against exact ground truth. It is test and bench code, kept out
// of the product's index package.
package vecgen

import "math/rand/v2"

// Clustered returns n vectors of dimension dim drawn around `centres` random
// centres (every coordinate ~ N(0,1)): each vector is a random centre plus
// N(0, sigma^2) noise per coordinate. The same seed gives the same data;
// queries for a data set are drawn with another seed and the same centres
// (same seed, larger n, take the tail) or with ClusteredQueries.
func Clustered(n, dim, centres int, sigma float64, seed uint64) (data, cents [][]float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	cents = make([][]float32, centres)
	for i := range cents {
		cents[i] = gaussianVec(rng, dim, 1)
	}
	return aroundCentres(rng, n, cents, sigma), cents
}

// ClusteredQueries draws n more vectors around the given centres.
func ClusteredQueries(n int, cents [][]float32, sigma float64, seed uint64) [][]float32 {
	return aroundCentres(rand.New(rand.NewPCG(seed, 2)), n, cents, sigma)
}

// Gaussian returns n vectors with every coordinate ~ N(0,1).
func Gaussian(n, dim int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([][]float32, n)
	for i := range out {
		out[i] = gaussianVec(rng, dim, 1)
	}
	return out
}

func aroundCentres(rng *rand.Rand, n int, cents [][]float32, sigma float64) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		c := cents[rng.IntN(len(cents))]
		v := gaussianVec(rng, len(c), sigma)
		for j := range v {
			v[j] += c[j]
		}
		out[i] = v
	}
	return out
}

func gaussianVec(rng *rand.Rand, dim int, sigma float64) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(rng.NormFloat64() * sigma)
	}
	return v
}

// Recall returns the mean fraction of each truth list (its first k ids)
// found among the first k results of the matching result list, whose ids
// id reads.
func Recall[R any](results [][]R, id func(R) uint64, truth [][]uint64, k int) float64 {
	if len(results) == 0 {
		return 0
	}
	var sum float64
	for i, rs := range results {
		want := map[uint64]bool{}
		for _, t := range truth[i][:min(k, len(truth[i]))] {
			want[t] = true
		}
		hit := 0
		for _, r := range rs[:min(k, len(rs))] {
			if want[id(r)] {
				hit++
			}
		}
		sum += float64(hit) / float64(len(want))
	}
	return sum / float64(len(results))
}
