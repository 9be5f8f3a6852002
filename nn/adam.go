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
	// ClipNorm, when positive, scales the gradients of one Update down so
	// that their global L2 norm is at most ClipNorm (it is configuration,
	// not state: it is not encoded).
	ClipNorm float64
	Step     int
	M, V     map[string][]float32 // per parameter name
	// Clipped counts the updates whose gradients were scaled down (not
	// encoded).
	Clipped int
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
	scale, err := a.clipScale(b, ps)
	if err != nil {
		return err
	}
	for pi, p := range ps {
		for _, name := range p.names {
			g, err := b.grad(p, name)
			if err != nil {
				return err
			}
			if g == nil {
				continue
			}
			w := p.byName[name].Data().([]float32)
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
				gi *= scale
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

// clipScale returns the factor that brings the global norm of the
// gradients of ps down to ClipNorm (1 when it is not above it, or when
// clipping is off).
func (a *Adam) clipScale(b *Builder, ps []*Params) (float32, error) {
	if a.ClipNorm <= 0 {
		return 1, nil
	}
	var ss float64
	for _, p := range ps {
		for _, name := range p.names {
			g, err := b.grad(p, name)
			if err != nil {
				return 0, err
			}
			for _, v := range g {
				ss += float64(v) * float64(v)
			}
		}
	}
	norm := math.Sqrt(ss)
	if norm <= a.ClipNorm || math.IsNaN(norm) {
		return 1, nil
	}
	a.Clipped++
	return float32(a.ClipNorm / norm), nil
}
