package nn

import (
	"fmt"
	"math"
)

// Adam is the Adam optimizer with its state (step and moments) owned here,
// so a checkpoint can save and restore it exactly (gorgonia's solvers keep
// theirs unexported).
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Step                  int
	M, V                  map[string][]float32 // per parameter name
}

// NewAdam returns an optimizer with the given learning rate and betas.
func NewAdam(lr, beta1, beta2 float64) *Adam {
	return &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, M: map[string][]float32{}, V: map[string][]float32{}}
}

// Update applies one step to every parameter of ps from the gradients b's
// machine computed for them (parameters not bound in b are skipped).
func (a *Adam) Update(b *Builder, ps ...*Params) error {
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	lr := float32(a.LR * math.Sqrt(c2) / c1)
	b1, b2, eps := float32(a.Beta1), float32(a.Beta2), float32(a.Eps)
	for pi, p := range ps {
		for _, name := range p.names {
			t := p.byName[name]
			n, ok := b.nodes[t]
			if !ok {
				continue
			}
			gv, err := n.Grad()
			if err != nil {
				return fmt.Errorf("nn: gradient of %s: %w", name, err)
			}
			g, ok := gv.Data().([]float32)
			if !ok {
				return fmt.Errorf("nn: gradient of %s is not float32", name)
			}
			w := t.Data().([]float32)
			key := fmt.Sprint(pi, "/", name)
			m, v := a.M[key], a.V[key]
			if m == nil {
				m, v = make([]float32, len(w)), make([]float32, len(w))
				a.M[key], a.V[key] = m, v
			}
			if len(m) != len(w) || len(v) != len(w) || len(g) != len(w) {
				return fmt.Errorf("%w: optimizer state for %s has %d values, the parameter %d", ErrFormat, name, len(m), len(w))
			}
			for i, gi := range g {
				m[i] = b1*m[i] + (1-b1)*gi
				v[i] = b2*v[i] + (1-b2)*gi*gi
				w[i] -= lr * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
			}
			// gorgonia's backward pass adds into the gradient buffers
			// (its own solvers zero them after updating): without this,
			// gradients would pile up over steps (TestResume caught it).
			clear(g)
		}
	}
	return nil
}
