// Package guard turns the panics of code that reads a memory-mapped file
// (bbolt asserts with panics and faults on a truncated map) into errors, in
// the calling goroutine.
package guard

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Do runs fn. A panic, or a memory fault (made a panic by
// debug.SetPanicOnFault for the duration), inside it becomes the error
// wrap returns for its reason (without a "panic: " prefix).
func Do(fn func() error, wrap func(reason string) error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = wrap(strings.TrimPrefix(fmt.Sprint(r), "panic: "))
		}
	}()
	return fn()
}
