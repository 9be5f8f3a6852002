package nn

import (
	"sync"
	"sync/atomic"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Built is a forward-only graph built once and run again with new inputs:
// its machine, its input nodes and its output.
type Built struct {
	G   *G.ExprGraph
	M   G.VM
	In  []*G.Node
	Out *G.Node
}

// Graphs keeps Built graphs by key for reuse, so that inference at batch
// sizes that recur (one query image, a full chunk) does not build and
// compile its graph every time. Each Built is used by one goroutine at a
// time: Run takes it out and gives it back. Keys name the graph and
// everything it binds (the parameter sets' identity, the input shapes).
// At most maxKeys keys are kept; the least recently used goes first.
type Graphs struct {
	mu     sync.Mutex
	free   map[string][]*Built
	used   []string // keys, least recently used first
	builds atomic.Int64
}

// Builds is the number of graphs Run has built.
func (p *Graphs) Builds() int64 { return p.builds.Load() }

const (
	maxKeys   = 16
	maxPerKey = 4
	noKey     = "" // build, run once, close
)

// get returns a free Built for key, or nil.
func (p *Graphs) get(key string) *Built {
	if key == noKey {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	bs := p.free[key]
	if len(bs) == 0 {
		return nil
	}
	b := bs[len(bs)-1]
	p.free[key] = bs[:len(bs)-1]
	return b
}

// put gives b back for key (closing it when the pool is full or key is
// empty).
func (p *Graphs) put(key string, b *Built) {
	if key == noKey {
		CloseMachine(b.M)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[string][]*Built{}
	}
	if len(p.free[key]) >= maxPerKey {
		CloseMachine(b.M)
		return
	}
	p.free[key] = append(p.free[key], b)
	for i, k := range p.used {
		if k == key {
			p.used = append(p.used[:i], p.used[i+1:]...)
			break
		}
	}
	p.used = append(p.used, key)
	for len(p.used) > maxKeys {
		old := p.used[0]
		p.used = p.used[1:]
		for _, b := range p.free[old] {
			CloseMachine(b.M)
		}
		delete(p.free, old)
	}
}

// InferenceGraphs is the process's pool of inference graphs.
var InferenceGraphs Graphs

// Run runs the graph for key with inputs (one slice per Built.In, copied
// in): a Built taken from the pool, or one that build makes and that
// goes back to the pool after the run (key "": built for this run only).
// It returns a copy of the output's values.
func (p *Graphs) Run(key string, inputs [][]float32, build func() (*Built, error)) ([]float32, error) {
	g := p.get(key)
	if g == nil {
		var err error
		if g, err = build(); err != nil {
			return nil, err
		}
		p.builds.Add(1)
	}
	for i, x := range inputs {
		copy(g.In[i].Value().Data().([]float32), x)
	}
	g.M.Reset()
	if err := Run(g.M); err != nil {
		CloseMachine(g.M) // a failed graph is not reused
		return nil, err
	}
	out := append([]float32(nil), g.Out.Value().Data().([]float32)...)
	p.put(key, g)
	return out, nil
}

// Inputs binds zeroed input tensors of the given shapes to nodes (Run
// copies each run's values into them) and returns the Built graph.
func Inputs(b *Builder, nodes []*G.Node, shapes [][]int, out *G.Node) *Built {
	for i, n := range nodes {
		size := 1
		for _, d := range shapes[i] {
			size *= d
		}
		G.Let(n, tensor.New(tensor.WithShape(shapes[i]...), tensor.WithBacking(make([]float32, size))))
	}
	return &Built{G: b.G, M: NewMachine(b.G), In: nodes, Out: out}
}
