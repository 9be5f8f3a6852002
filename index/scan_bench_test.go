package index

import (
	"context"
	"fmt"
	"testing"

	"rgunit/internal/vecgen"
)

// BenchmarkExactScan chose scanAhead: how far ahead the exact scan
// prefetches (100k x 128, one query per op).
func BenchmarkExactScan(b *testing.B) {
	data := vecgen.Gaussian(100000, 128, 1)
	q := vecgen.Gaussian(1, 128, 2)[0]
	ex, _ := NewExact(128, L2)
	for i, v := range data {
		ex.Add(context.Background(), uint64(i+1), v)
	}
	for _, a := range []int{0, 2, 4, 8, 16, 0} {
		b.Run(fmt.Sprint("ahead", a), func(b *testing.B) {
			defer func(old int) { scanAhead = old }(scanAhead)
			scanAhead = a
			b.ReportAllocs()
			for b.Loop() {
				ex.Search(context.Background(), q, 10, nil)
			}
		})
	}
}
