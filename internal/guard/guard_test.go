package guard

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

var errWrapped = errors.New("wrapped")

func TestDo(t *testing.T) {
	wrap := func(reason string) error { return errors.Join(errWrapped, errors.New(reason)) }
	if err := Do(func() error { return nil }, wrap); err != nil {
		t.Fatal(err)
	}
	if err := Do(func() error { panic("panic: assertion failed") }, wrap); !errors.Is(err, errWrapped) || err.Error() != "wrapped\nassertion failed" {
		t.Fatalf("panic: %v", err)
	}
	// A read past the end of a mapped file (SIGBUS), as bbolt reads a
	// database truncated after it was mapped.
	f, err := os.Create(filepath.Join(t.TempDir(), "m"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := os.Getpagesize()
	f.Truncate(int64(page))
	m, err := syscall.Mmap(int(f.Fd()), 0, 2*page, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Skip("no mmap here:", err)
	}
	defer syscall.Munmap(m)
	var sink byte
	err = Do(func() error {
		sink = m[page+1]
		return nil
	}, wrap)
	if !errors.Is(err, errWrapped) {
		t.Fatalf("fault: %v (read %d)", err, sink)
	}
}
