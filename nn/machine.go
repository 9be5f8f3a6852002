package nn

import (
	"runtime"

	G "gorgonia.org/gorgonia"
)

// NewMachine returns a gorgonia tape machine for g. gorgonia sets a
// finalizer on every tape machine (a no-op without CUDA), and an object
// with a finalizer keeps everything it reaches alive for one more garbage
// collection: the graph, every node's value and every register. Inference
// graphs built per batch then piled up several gigabytes before the
// collector caught up (the retrieval bench was killed for memory). The
// finalizer is removed here; call CloseMachine when done.
func NewMachine(g *G.ExprGraph, opts ...G.VMOpt) G.VM {
	m := G.NewTapeMachine(g, opts...)
	runtime.SetFinalizer(m, nil)
	return m
}

// CloseMachine drops the machine's registers and closes it.
func CloseMachine(m G.VM) {
	m.Reset()
	m.Close()
}
