package index

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks the kernel to back the 2 MiB-aligned interior of s with
// transparent huge pages (where THP is in madvise mode, as on most
// distributions): a search touches nodes all over the arrays, and with 4 KiB
// pages nearly every hop is also a TLB miss. Advice only: errors are
// ignored.
func adviseHuge(s []uint32) {
	const huge = 2 << 20
	if len(s)*4 < 2*huge {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*4)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := int((start+huge-1)&^(huge-1) - start)
	hi := int((start+uintptr(len(b)))&^(huge-1) - start)
	if hi <= lo {
		return
	}
	b = b[lo:hi]
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
}
