//go:build !amd64

package index

func l2(a, b []float32) float32  { return goL2(a, b) }
func dot(a, b []float32) float32 { return goDot(a, b) }
func prefetch(*float32, int)     {}
