package index

import (
	"context"
	"fmt"
	"math"
)

// Metric is a distance function. Smaller is nearer for all of them.
type Metric uint8

const (
	// L2 is the squared Euclidean distance.
	L2 Metric = iota
	// Cosine is 1 - cos(a, b); vectors are normalized when added.
	Cosine
	// InnerProduct is -<a, b> (maximum inner product search).
	InnerProduct
)

func (m Metric) String() string {
	switch m {
	case L2:
		return "l2"
	case Cosine:
		return "cosine"
	case InnerProduct:
		return "ip"
	}
	return fmt.Sprintf("Metric(%d)", m)
}

// Result is one neighbour.
type Result struct {
	ID       uint64
	Distance float32
}

// SearchOptions tune one search. The zero value searches with the index's
// default ef and no filter.
type SearchOptions struct {
	// Ef is the beam width (ignored by Exact). 0 means max(k, the index's default).
	Ef int
	// Filter, if set, admits only ids for which it returns true.
	Filter func(id uint64) bool
}

// Index is a vector index keyed by the store's item ids.
type Index interface {
	// Add inserts a vector under a new id.
	Add(ctx context.Context, id uint64, vec []float32) error
	// Delete removes an id; later searches never return it.
	Delete(ctx context.Context, id uint64) error
	// Search returns up to k nearest ids, nearest first. An empty index
	// returns no results and no error.
	Search(ctx context.Context, q []float32, k int, opts *SearchOptions) ([]Result, error)
	// Len returns the number of live (not deleted) ids.
	Len() int
	// Close releases the index. It is safe to call more than once.
	Close() error
}

// checkVector validates a vector at the boundary.
func checkVector(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("%w: got %d, index has %d", ErrDimension, len(v), dim)
	}
	// x*0 is 0 for a finite x and NaN for NaN or ±Inf: one sum finds
	// either without a branch per component (the loop names which).
	var z float32
	for _, x := range v {
		z += x * 0
	}
	if z == 0 {
		return nil
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: component %d is %v", ErrNotFinite, i, x)
		}
	}
	return nil
}

// CheckK validates a search's k and ef (0: the index's default) at the
// boundary: [ErrBadK] unless k > 0 and ef is 0 or at least k.
func CheckK(k, ef int) error {
	if k <= 0 {
		return fmt.Errorf("%w: k = %d, want k > 0", ErrBadK, k)
	}
	if ef != 0 && ef < k {
		return fmt.Errorf("%w: ef = %d < k = %d", ErrBadK, ef, k)
	}
	return nil
}

// Prepare validates a vector of an index of dimension dim ([ErrDimension],
// [ErrNotFinite], [ErrZeroVector] under Cosine) and returns the form m
// stores and compares with [Metric.Distance]: a normalized copy for
// Cosine, the vector itself otherwise.
func Prepare(v []float32, dim int, m Metric) ([]float32, error) {
	if err := checkVector(v, dim); err != nil {
		return nil, err
	}
	if m != Cosine {
		return v, nil
	}
	n := float32(math.Sqrt(float64(dot(v, v))))
	if n == 0 {
		return nil, ErrZeroVector
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out, nil
}
