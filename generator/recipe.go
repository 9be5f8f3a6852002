package generator

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"rgunit/embed"
	"rgunit/nn"
)

// Recipe is the stage-1 (and stage-3) training recipe beyond the losses'
// weights. The zero value is the first recipe (GMM-UNIT as the paper
// describes it), which checkpoints written before recipes existed decode
// to; DefaultRecipe is what new models train with. docs/recipe.md has the
// ablation that chose each part.
type Recipe struct {
	// RecFromMu decodes the self-reconstruction and the cycle from E_a's
	// mean rather than from a sample of its posterior.
	RecFromMu bool `json:"rec_from_mu,omitempty"`
	// KLPerAttr sums the KL over the code's dimensions (a mean over the
	// batch) instead of averaging it over them, so each attribute's block
	// is pulled towards its value's Gaussian with the weight of one term;
	// the KL weight ramps up from 0 over KLWarmup steps.
	KLPerAttr bool `json:"kl_per_attr,omitempty"`
	KLWarmup  int  `json:"kl_warmup,omitempty"`
	// StyleSwap is the probability that the attributes a translation keeps
	// take their code blocks from the source's E_a mean instead of the
	// target's prior sample.
	StyleSwap float64 `json:"style_swap,omitempty"`
	// RefPass adds a reference-guided translation each step: the source's
	// content decoded with the code TranslationCode makes from the E_a mean
	// of an image that has the target attributes (the code translations
	// are made with), under the adversarial, attribute, content and cycle
	// losses (each averaged with the prior-code pass's).
	RefPass bool `json:"ref_pass,omitempty"`
	// CodeDetach stops the code-reconstruction loss from training E_a: the
	// translation is re-encoded by a frozen copy of E_a and compared with
	// a constant code, so only G learns from it.
	CodeDetach bool `json:"code_detach,omitempty"`
	// EMA, when positive, keeps a moving average of E_c, E_a and G with
	// this decay, used for inference and shipping.
	EMA float64 `json:"ema,omitempty"`
	// ChromaSmooth, when positive, weighs a stage-3 loss on the
	// translations' chroma high frequencies (the mean |Laplacian| of R-G
	// and B-G): colour speckle the decoder makes and no real face has.
	ChromaSmooth float64 `json:"chroma_smooth,omitempty"`
	// Cosine decays the learning rate from Config.LR to a tenth of it
	// along a half cosine over Steps steps (it stays there after);
	// ClipNorm, when positive, clips the global gradient norm of each
	// network's update.
	Cosine   bool    `json:"cosine,omitempty"`
	Steps    int     `json:"steps,omitempty"`
	ClipNorm float64 `json:"clip_norm,omitempty"`
}

// RecipePart is one part of the default recipe that an ablation can leave
// out.
type RecipePart struct {
	Name, What string
	off        func(r *Recipe, a *embed.Arch, s *embed.Schema)
}

// Two more layouts were tried against the default recipe and left out of it
// (docs/recipe.md): a 3x3 conv to RGB (embed.Arch.OutKernel, 19% faster,
// but lower target accuracy and more speckle) and 8 free style dimensions
// (embed.Schema.Free: less speckle, but they took over age: Young's
// accuracy fell from 0.90 to 0.70).

// RecipeParts are the parts of DefaultRecipe, by the names --without
// takes.
var RecipeParts = []RecipePart{
	{"rec-mu", "reconstruct from E_a's mean", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.RecFromMu = false }},
	{"kl-per-attr", "KL summed per attribute, with a warm-up", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.KLPerAttr, r.KLWarmup = false, 0 }},
	{"style-swap", "kept attributes' blocks from the source (p 0.5)", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.StyleSwap = 0 }},
	{"ref-pass", "reference-guided pass", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.RefPass = false }},
	{"chroma-smooth", "stage 3: a loss on the translations' chroma high frequencies (weight 5)", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.ChromaSmooth = 0 }},
	{"code-detach", "no gradient from the code loss into E_a", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.CodeDetach = false }},
	{"multiscale-d", "two-scale D, 1x1 patches, conv class head, N(0, 0.02)", func(_ *Recipe, a *embed.Arch, _ *embed.Schema) { a.MultiScaleD = false }},
	{"layer-norm", "layer norm after G's upsampling convs", func(_ *Recipe, a *embed.Arch, _ *embed.Schema) { a.LayerNorm = false }},
	{"ema", "moving average (0.999) of E_c, E_a and G", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.EMA = 0 }},
	{"schedule", "lr 2e-4 with cosine decay, gradient clipping", func(r *Recipe, _ *embed.Arch, _ *embed.Schema) { r.Cosine, r.ClipNorm = false, 0 }},
}

// RecipePartNames are the names of RecipeParts.
func RecipePartNames() []string {
	names := make([]string, len(RecipeParts))
	for i, p := range RecipeParts {
		names[i] = p.Name
	}
	return names
}

// DefaultRecipe returns the recipe new models train with, for a run of
// steps steps, and sets the network layout it comes with in a (the code
// layout s is left as it is: the free style dimensions lost their
// ablation).
func DefaultRecipe(steps int, a *embed.Arch, s *embed.Schema) Recipe {
	a.LayerNorm, a.MultiScaleD = true, true
	return Recipe{RecFromMu: true, KLPerAttr: true, KLWarmup: 1000, StyleSwap: 0.5, RefPass: true, CodeDetach: true,
		EMA: 0.999, Cosine: true, Steps: steps, ClipNorm: 10, ChromaSmooth: 5}
}

// Without turns off the named parts of the default recipe (see
// RecipeParts) in r, a and s.
func Without(r *Recipe, a *embed.Arch, s *embed.Schema, names []string) error {
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(RecipeParts, func(p RecipePart) bool { return p.Name == n })
		if i < 0 {
			var known []string
			for _, p := range RecipeParts {
				known = append(known, p.Name)
			}
			return fmt.Errorf("generator: no recipe part %q (the parts: %s)", n, strings.Join(known, ", "))
		}
		RecipeParts[i].off(r, a, s)
	}
	return nil
}

// Recipe names: the default recipe, and the first one (the paper's
// GMM-UNIT, as rgunit first trained it).
const (
	RecipeDefault = "default"
	RecipeFirst   = "first"
)

// ParseRecipe returns the recipe called name ("" is the default) with the
// parts without left out, for a run of steps steps, and sets the network
// and code layouts that go with it in a and s.
func ParseRecipe(name string, without []string, steps int, a *embed.Arch, s *embed.Schema) (Recipe, error) {
	switch name {
	case RecipeFirst:
		if len(without) > 0 {
			return Recipe{}, fmt.Errorf("generator: --without takes parts out of the default recipe, not the first")
		}
		return Recipe{}, nil
	case "", RecipeDefault:
		r := DefaultRecipe(steps, a, s)
		return r, Without(&r, a, s, without)
	}
	return Recipe{}, fmt.Errorf("generator: recipe %q: want default or first", name)
}

// lrAt is the learning rate of step (0-based) for a base rate.
func (r Recipe) lrAt(base float64, step int) float64 {
	if !r.Cosine || r.Steps <= 0 {
		return base
	}
	t := min(float64(step)/float64(r.Steps), 1)
	return base * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*t)))
}

// klScale is the factor on the KL weight at step: the number of code
// dimensions when the KL is summed per attribute (the graph computes a
// mean), times the warm-up ramp.
func (r Recipe) klScale(codeDim, step int) float64 {
	s := 1.0
	if r.KLPerAttr {
		s = float64(codeDim)
	}
	if r.KLWarmup > 0 {
		s *= min(1, float64(step)/float64(r.KLWarmup))
	}
	return s
}

// Schedule sets the optimizers' learning rate for step (0-based; base
// decayed by the cosine schedule) and their clipping.
func (r Recipe) Schedule(base float64, step int, opts ...*nn.Adam) {
	for _, o := range opts {
		o.LR, o.ClipNorm = r.lrAt(base, step), r.ClipNorm
	}
}

// Adam is Adam's learning rate and betas for a model trained with r: lr
// 1e-4, 2e-4 with the cosine decay; betas 0.5, 0.999.
func (r Recipe) Adam() (lr, beta1, beta2 float64) {
	if r.Cosine {
		return 2e-4, 0.5, 0.999
	}
	return 1e-4, 0.5, 0.999
}

// EMADecay is the moving average's decay at step: lower at first, so the
// average does not remember the initial weights for long.
func (r Recipe) EMADecay(step int) float64 {
	return min(r.EMA, float64(1+step)/float64(10+step))
}

// StageOne drops the parts of a recipe that only stage 3 trains with (the
// chroma loss): a stage-1 model records what trained it.
func StageOne(r Recipe) Recipe {
	r.ChromaSmooth = 0
	return r
}

// StageThree keeps the parts of a recipe that apply to stage 3, where E_a
// is frozen: reconstruction from the mean, the moving average, the
// schedule and the chroma loss.
func StageThree(r Recipe) Recipe {
	return Recipe{RecFromMu: r.RecFromMu, EMA: r.EMA, Cosine: r.Cosine, Steps: r.Steps, ClipNorm: r.ClipNorm, ChromaSmooth: r.ChromaSmooth}
}
