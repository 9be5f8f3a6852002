package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Builder builds one graph over parameter tensors. Binding the same tensor
// twice gives the same node; the tensors of the trainable sets become the
// graph's learnables (the ones its optimizer updates).
type Builder struct {
	G          *G.ExprGraph
	nodes      map[*tensor.Dense]*G.Node
	names      map[*tensor.Dense]string
	trainable  map[*tensor.Dense]bool
	Learnables G.Nodes
	// FLOPs counts the forward pass's convolution and matrix multiply
	// flops (2 per multiply-add) as layers are added.
	FLOPs int64
	err   error
}

// NewBuilder returns a builder for a new graph; the parameters of trainable
// are learnables, any other bound tensor is a constant of this graph (call
// Use to give those their names).
func NewBuilder(trainable ...*Params) *Builder {
	b := &Builder{G: G.NewGraph(), nodes: map[*tensor.Dense]*G.Node{}, names: map[*tensor.Dense]string{},
		trainable: map[*tensor.Dense]bool{}}
	for i, p := range trainable {
		b.use(p, fmt.Sprint("t", i))
		for _, n := range p.names {
			b.trainable[p.byName[n]] = true
		}
	}
	return b
}

// Use makes the (frozen, in this graph) parameters of p known by name.
func (b *Builder) Use(p *Params) { b.use(p, fmt.Sprint("u", len(b.names))) }

func (b *Builder) use(p *Params, prefix string) {
	for _, n := range p.names {
		b.names[p.byName[n]] = prefix + "/" + n
	}
}

// Err returns the first error met while building.
func (b *Builder) Err() error { return b.err }

// P binds a parameter tensor into the graph.
func (b *Builder) P(t *tensor.Dense) *G.Node {
	if n, ok := b.nodes[t]; ok {
		return n
	}
	// Every bound tensor gets a unique name: gorgonia hash-conses value
	// nodes, so two unnamed tensors of one shape would become one node
	// (TestAdaINGradient caught beta turning into gamma).
	name, ok := b.names[t]
	if !ok {
		name = fmt.Sprintf("tensor%d", len(b.nodes))
	}
	n := G.NodeFromAny(b.G, t, G.WithName(name))
	b.nodes[t] = n
	if b.trainable[t] {
		b.Learnables = append(b.Learnables, n)
	}
	return n
}

// Input adds a float32 input of the given shape.
func (b *Builder) Input(name string, shape ...int) *G.Node {
	return G.NewTensor(b.G, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name))
}

// Fail records err as the builder's error (the first one wins), for
// layers that find their inputs unusable.
func (b *Builder) Fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// must records the first error and returns n (nil after an error).
func (b *Builder) must(n *G.Node, err error) *G.Node {
	if err != nil && b.err == nil {
		b.err = err
	}
	if b.err != nil {
		return nil
	}
	return n
}

// ok reports whether building can go on (no error so far and no nil input).
func (b *Builder) ok(ns ...*G.Node) bool {
	if b.err != nil {
		return false
	}
	for _, n := range ns {
		if n == nil {
			return false
		}
	}
	return true
}

// grad returns the gradient this graph's machine computed for parameter
// name of p (nil when the graph does not bind it).
func (b *Builder) grad(p *Params, name string) ([]float32, error) {
	n, ok := b.nodes[p.byName[name]]
	if !ok {
		return nil, nil
	}
	gv, err := n.Grad()
	if err != nil {
		return nil, fmt.Errorf("nn: gradient of %s: %w", name, err)
	}
	g, ok := gv.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("nn: gradient of %s is not float32", name)
	}
	return g, nil
}
