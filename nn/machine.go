package nn

import (
	"runtime"
	"sync"

	G "gorgonia.org/gorgonia"
)

// engines guards the engine fields gorgonia keeps in every tensor,
// parameters included: creating a tape machine writes them (setEngine)
// and running one reads them, so inference graphs built concurrently over
// the same parameters (a server answering queries) race without it.
// Machines run concurrently with each other, never while one is created.
var engines sync.RWMutex

// NewMachine returns a gorgonia tape machine for g. gorgonia sets a
// finalizer on every tape machine (a no-op without CUDA), and an object
// with a finalizer keeps everything it reaches alive for one more garbage
// collection: the graph, every node's value and every register. Inference
// graphs built per batch then piled up several gigabytes before the
// collector caught up (the retrieval bench was killed for memory). The
// finalizer is removed here; call CloseMachine when done, and run it with
// Run.
func NewMachine(g *G.ExprGraph, opts ...G.VMOpt) G.VM {
	engines.Lock()
	m := G.NewTapeMachine(g, opts...)
	engines.Unlock()
	runtime.SetFinalizer(m, nil)
	return m
}

// Run runs m's whole program (RunAll), alongside other machines' runs.
func Run(m G.VM) error {
	engines.RLock()
	defer engines.RUnlock()
	return m.RunAll()
}

// CloseMachine drops the machine's registers and closes it.
func CloseMachine(m G.VM) {
	m.Reset()
	m.Close()
}
