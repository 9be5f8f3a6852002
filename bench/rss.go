package bench

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
)

// resetPeakRSS returns freed heap to the system and restarts the kernel's
// peak-RSS counter of this process (Linux's clear_refs 5), so that a later
// peakRSSMB is the peak from here on: the data set and what is built after
// this point, like the hnswlib peer's peak. False where not supported.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSSMB is this process's peak resident set (VmHWM) in MiB, 0 where
// unknown.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(string(f[0]), 64)
				return kb / 1024
			}
		}
	}
	return 0
}
