package nn

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// A training step over a batch can run as several graphs over equal parts
// of it, one per core, instead of one graph whose kernels each spread over
// the cores: every op then runs on all cores, the ones too small or too
// serial to split (norms, element-wise ops, gorgonia's own) included.
// Together runs the parts; AddGrads sums their gradients before one
// optimizer update.

// lanes counts the functions of Together running now.
var lanes atomic.Int32

// cores is how many goroutines one parallel kernel may use now: all of
// GOMAXPROCS, shared among the functions of Together while they run.
func cores() int {
	w := runtime.GOMAXPROCS(0)
	if l := int(lanes.Load()); l > 1 {
		w = max(1, w/l)
	}
	return w
}

// Together runs fs at once, each on its own goroutine, and returns their
// errors joined. While k of them run, this package's kernels (GEMM,
// im2col, element-wise ops) use 1/k of the cores each. A result does not
// depend on how many cores computed it: every kernel splits its work so
// that each value is computed the same way whoever computes it.
func Together(fs ...func() error) error {
	if len(fs) == 1 {
		return fs[0]()
	}
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	lanes.Add(int32(len(fs)))
	for i, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer lanes.Add(-1)
			errs[i] = f()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// AddGrads makes the gradients to's machine computed for the parameters
// of ps scale times the sum of theirs and those from's machines computed,
// and clears from's: the gradient of the mean of the parts' losses, when
// each part's builder holds one part of a batch, to is one of them and
// scale is one over their number. Parameters not bound in a builder are
// skipped.
func AddGrads(to *Builder, from []*Builder, scale float32, ps ...*Params) error {
	if len(from) == 0 && scale == 1 {
		return nil
	}
	for _, p := range ps {
		for _, name := range p.names {
			sum, err := to.grad(p, name)
			if err != nil {
				return err
			}
			if sum == nil {
				continue
			}
			for _, b := range from {
				g, err := b.grad(p, name)
				if err != nil {
					return err
				}
				if len(g) != len(sum) {
					return fmt.Errorf("nn: gradient of %s has %d values in one part, %d in another", name, len(g), len(sum))
				}
				addTo(sum, g)
				clear(g)
			}
			if scale != 1 {
				for i := range sum {
					sum[i] *= scale
				}
			}
		}
	}
	return nil
}
