package bench

import (
	"os/exec"
	"runtime"
	"testing"
)

// TestPeakRSS: the peak after a reset sees memory touched after it, and a
// child's peak is read from its rusage.
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
	c := exec.Command("sh", "-c", "true")
	if err := c.Run(); err != nil {
		t.Skip(err)
	}
	if p := childPeakRSSMB(c); p <= 0 || p > 100 {
		t.Fatalf("sh's peak %.1f MiB", p)
	}
}
