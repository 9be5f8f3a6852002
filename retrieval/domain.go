package retrieval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"rgunit/generator"
	"rgunit/storage"
)

// Domain describes the images a model was trained on, as the model sees
// them: per feature (E_a's mean code, then each channel of E_c's content
// map: its mean and its spread over the positions) the mean and standard deviation over a sample of
// its training items, and how far those items lie from that mean (the
// root mean square of their z-scores: the median and the 99th
// percentile). An image much further than the 99th percentile is
// outside what the model knows (a photo for a cartoon model).
type Domain struct {
	N      int       `json:"n"` // training items sampled
	Mean   []float64 `json:"mean"`
	Std    []float64 `json:"std"`
	Median float64   `json:"median"`
	P99    float64   `json:"p99"`
	// Whiten, when set, is the inverse of the Cholesky factor of the
	// z-scores' correlation matrix (shrunk towards the identity by
	// domainShrink; lower-triangular, row-major): distances count how
	// features move together too, not only how far each one lies. The
	// marginals alone do not set cartoon faces apart from a photo model's
	// training photos (median 1.00 against a 99th percentile of 1.79),
	// which vary in every feature. Bundles made before it have none and
	// use the z-scores alone.
	Whiten []float64 `json:"whiten,omitempty"`
	// Pixels is how many of the last features are pixel statistics
	// (ImageStats) rather than the model's; the two groups weigh the same
	// in a distance, so that a few pixel statistics far out (a cartoon's
	// flat colour, for a photo model) are not drowned by a hundred model
	// features that lie within the spread. 0 in bundles made before them:
	// such a domain reads the model's features only.
	Pixels int `json:"pixels,omitempty"`
}

// domainShrink is the weight of the identity in the correlation matrix
// Domain whitens with: 2,000 items fit its 100-200 features' correlations
// loosely, and a small eigenvalue would make held-out images look far.
const domainShrink = 0.1

// domainSample is the most training items Domain is fitted on, and
// minDomainItems the fewest.
const (
	domainSample   = 2000
	minDomainItems = 10
)

// Features returns the domain features of n images (3*S*S values each,
// at the model's size): the model's (E_a's mean code, each content
// channel's mean and spread), then the ImageStats.
func (m *Model) Features(x []float32, n int) ([][]float64, error) {
	codes, err := m.Stage1.Codes(x, n)
	if err != nil {
		return nil, err
	}
	content, err := m.Stage1.Content(x, n)
	if err != nil {
		return nil, err
	}
	cd := m.Schema().CodeDim()
	cs := m.Stage1.ContentShape()
	plane := cs[1] * cs[2]
	out := make([][]float64, n)
	for i := range n {
		f := make([]float64, 0, cd+2*cs[0])
		for _, v := range codes[i*cd : (i+1)*cd] {
			f = append(f, float64(v))
		}
		for c := range cs[0] { // each content channel's mean and spread over the map
			var s, s2 float64
			for _, v := range content[(i*cs[0]+c)*plane : (i*cs[0]+c+1)*plane] {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
			mean := s / float64(plane)
			f = append(f, mean, math.Sqrt(max(s2/float64(plane)-mean*mean, 0)))
		}
		size := m.Size()
		out[i] = append(f, ImageStats(x[i*3*size*size:(i+1)*3*size*size], size)...)
	}
	return out, nil
}

// Distance is the root mean square of f's z-scores, whitened when d has
// Whiten; NaN (never outside) when d describes other features.
func (d *Domain) Distance(f []float64) float64 {
	if d.Pixels == 0 && len(f) == len(d.Mean)+pixelStats {
		f = f[:len(d.Mean)] // a domain recorded before the pixel statistics
	}
	if len(f) != len(d.Mean) || len(d.Std) != len(f) || d.Pixels < 0 || d.Pixels > len(f) {
		return math.NaN() // a domain of other features (a hand-made bundle): no distance, no warning
	}
	z := d.zScores(f)
	n := len(z)
	if len(d.Whiten) == n*n {
		w := make([]float64, n)
		for i := range n {
			var s float64
			for j, v := range z[:i+1] {
				s += d.Whiten[i*n+j] * v
			}
			w[i] = s
		}
		z = w
	}
	m := n - d.Pixels
	if d.Pixels == 0 || m == 0 {
		return rms(z)
	}
	a, b := rms(z[:m]), rms(z[m:])
	return math.Sqrt((a*a + b*b) / 2)
}

// zScores are f's features in the training items' standard deviations
// from their means.
func (d *Domain) zScores(f []float64) []float64 {
	z := make([]float64, len(f))
	for i, v := range f {
		z[i] = (v - d.Mean[i]) / max(d.Std[i], 1e-6)
	}
	return z
}

func rms(z []float64) float64 {
	var s float64
	for _, v := range z {
		s += v * v
	}
	return math.Sqrt(s / float64(len(z)))
}

// pixelStats is the number of ImageStats.
const pixelStats = 4

// ImageStats are statistics of an image's pixels (CHW in [-1, 1], size x
// size) that tell drawings from photos: the mean absolute Laplacian of
// its luminance (edges and noise), the share of interior pixels where
// the luminance does not change (flat fills), the mean saturation
// (max - min of R, G, B) and the spread of the luminance.
func ImageStats(x []float32, size int) []float64 {
	p := size * size
	lum := make([]float64, p)
	var sat, sum, sq float64
	for i := range p {
		r, g, b := float64(x[i]), float64(x[p+i]), float64(x[2*p+i])
		l := (r + g + b) / 3
		lum[i] = l
		sat += max(r, g, b) - min(r, g, b)
		sum += l
		sq += l * l
	}
	var lap float64
	flat := 0
	for y := 1; y < size-1; y++ {
		for xx := 1; xx < size-1; xx++ {
			i := y*size + xx
			c := lum[i]
			lap += math.Abs(4*c - lum[i-1] - lum[i+1] - lum[i-size] - lum[i+size])
			if max(math.Abs(lum[i+1]-c), math.Abs(lum[i+size]-c)) < 0.01 {
				flat++
			}
		}
	}
	inner := float64((size - 2) * (size - 2))
	mean := sum / float64(p)
	return []float64{lap / inner, float64(flat) / inner, sat / float64(p), math.Sqrt(max(sq/float64(p)-mean*mean, 0))}
}

// whitening returns the inverse Cholesky factor of the correlation matrix
// of the z-scores zs (n features), shrunk by domainShrink; nil when it is
// not positive definite.
func whitening(zs [][]float64, n int) []float64 {
	c := make([]float64, n*n)
	for _, z := range zs {
		for i := range n {
			for j := range i + 1 {
				c[i*n+j] += z[i] * z[j]
			}
		}
	}
	for i := range n {
		for j := range i + 1 {
			c[i*n+j] = (1 - domainShrink) * c[i*n+j] / float64(len(zs))
		}
		c[i*n+i] += domainShrink
	}
	// Cholesky: c = L L^T, in place in the lower triangle.
	for j := range n {
		d := c[j*n+j]
		for k := range j {
			d -= c[j*n+k] * c[j*n+k]
		}
		if d <= 0 {
			return nil
		}
		c[j*n+j] = math.Sqrt(d)
		for i := j + 1; i < n; i++ {
			v := c[i*n+j]
			for k := range j {
				v -= c[i*n+k] * c[j*n+k]
			}
			c[i*n+j] = v / c[j*n+j]
		}
	}
	// Invert L (lower-triangular) by forward substitution, column by column.
	inv := make([]float64, n*n)
	for col := range n {
		for i := col; i < n; i++ {
			v := 0.0
			if i == col {
				v = 1
			}
			for k := col; k < i; k++ {
				v -= c[i*n+k] * inv[k*n+col]
			}
			inv[i*n+col] = v / c[i*n+i]
		}
	}
	return inv
}

// FitDomain fits a Domain to features whose last pixels are pixel
// statistics (weighed as one group; 0: none).
func FitDomain(feats [][]float64, pixels int) (*Domain, error) {
	if len(feats) < minDomainItems {
		return nil, fmt.Errorf("retrieval: %d items are too few to describe a domain", len(feats))
	}
	dim := len(feats[0])
	d := &Domain{N: len(feats), Mean: make([]float64, dim), Std: make([]float64, dim), Pixels: pixels}
	for _, f := range feats {
		for i, v := range f {
			d.Mean[i] += v
		}
	}
	for i := range d.Mean {
		d.Mean[i] /= float64(len(feats))
	}
	for _, f := range feats {
		for i, v := range f {
			d.Std[i] += (v - d.Mean[i]) * (v - d.Mean[i])
		}
	}
	for i := range d.Std {
		d.Std[i] = math.Sqrt(d.Std[i] / float64(len(feats)))
	}
	zs := make([][]float64, len(feats))
	for k, f := range feats {
		zs[k] = d.zScores(f)
	}
	d.Whiten = whitening(zs, dim)
	dists := make([]float64, len(feats))
	for i, f := range feats {
		dists[i] = d.Distance(f)
	}
	slices.Sort(dists)
	d.Median, d.P99 = dists[len(dists)/2], dists[min(len(dists)-1, len(dists)*99/100)]
	return d, nil
}

// FitDomainOn fits m's Domain on up to 2,000 of st's labelled items
// (the model's training data; all items when fewer than 10 are labelled),
// drawn at random (a fixed seed); nil when st has fewer than 10 items.
func FitDomainOn(st *storage.Store, m *Model) (*Domain, error) {
	var ids, all []uint64
	if err := st.ForEach(func(it storage.Item) error {
		if it.Labelled() {
			ids = append(ids, it.ID)
		}
		all = append(all, it.ID)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(ids) < minDomainItems {
		ids = all // trained on few labels: describe the whole collection
	}
	if len(ids) < minDomainItems {
		return nil, nil // too few images to describe: no record, no warnings
	}
	feats, err := ItemFeatures(st, m, Sample(ids, domainSample))
	if err != nil {
		return nil, err
	}
	return FitDomain(feats, pixelStats)
}

// ItemFeatures returns the domain features of stored items.
func ItemFeatures(st *storage.Store, m *Model, ids []uint64) ([][]float64, error) {
	var out [][]float64
	size := m.Size()
	for start := 0; start < len(ids); start += 256 {
		batch := ids[start:min(start+256, len(ids))]
		x, err := itemTensors(st, batch, size)
		if err != nil {
			return nil, err
		}
		f, err := m.Features(x, len(batch))
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	return out, nil
}

// Sample returns up to n of ids drawn at random with a fixed seed, in id
// order (a regular stride would alias with a collection's order: faces12k
// cycles through its hair colours).
func Sample(ids []uint64, n int) []uint64 {
	if len(ids) <= n {
		return ids
	}
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(len(ids))[:n]
	slices.Sort(perm)
	out := make([]uint64, n)
	for i, j := range perm {
		out[i] = ids[j]
	}
	return out
}

// itemTensors reads stored items' images as model input at size (3*S*S
// values each, CHW, in [-1, 1]), one after another.
func itemTensors(st *storage.Store, ids []uint64, size int) ([]float32, error) {
	x := make([]float32, 0, len(ids)*3*size*size)
	for _, id := range ids {
		png, err := st.Image(id)
		if err != nil {
			return nil, err
		}
		t, err := generator.ImageTensor(png, size)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", id, err)
		}
		x = append(x, t...)
	}
	return x, nil
}
