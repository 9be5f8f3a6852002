//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package index

import (
	"errors"
	"os"
)

// canMap: this platform does not map the float file; an SQ8 stored index
// re-ranks from its bucket.
const canMap = false

func mapFile(*os.File, int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmap([]byte) error { return nil }
