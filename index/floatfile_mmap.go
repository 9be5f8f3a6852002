//go:build linux || darwin || freebsd || netbsd || openbsd

package index

import (
	"os"
	"syscall"
)

// canMap: this platform maps the float file.
const canMap = true

func mapFile(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmap(b []byte) error { return syscall.Munmap(b) }
