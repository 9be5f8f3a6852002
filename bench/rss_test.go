package bench

import (
	"runtime"
	"testing"
)

// TestPeakRSS: the peak after a reset sees memory touched after it.
func TestPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if !resetPeakRSS() {
		t.Skip("no clear_refs here")
	}
	before := peakRSSMB()
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = 1
	}
	if after := peakRSSMB(); after < before+60 || b[len(b)-1] != 1 {
		t.Fatalf("peak %0.f MiB before 64 MiB were touched, %.0f after", before, after)
	}
}
