package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// gradCheck compares gorgonia's gradient of sum(layer(inputs) * R) with
// respect to every input against central finite differences, as a relative
// error over the whole gradient vector.
func gradCheck(t *testing.T, name string, build func(b *Builder, in []*G.Node) *G.Node, shapes ...[]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ins := make([]*tensor.Dense, len(shapes))
	for i, s := range shapes {
		ins[i] = randTensor(rng, s...)
	}
	var r *tensor.Dense
	eval := func(withGrad bool) (float64, [][]float32) {
		p := NewParams(1)
		for i, x := range ins {
			p.names = append(p.names, string(rune('a'+i)))
			p.byName[string(rune('a'+i))] = x
		}
		b := NewBuilder(p)
		nodes := make([]*G.Node, len(ins))
		for i, x := range ins {
			nodes[i] = b.P(x)
		}
		out := build(b, nodes)
		if b.Err() != nil {
			t.Fatalf("%s: %v", name, b.Err())
		}
		var cost *G.Node
		if out.IsScalar() {
			if r == nil {
				r = randTensor(rng, 1)
			}
			cost = G.Must(G.Mul(out, G.NewConstant(r.Data().([]float32)[0])))
		} else {
			if r == nil {
				r = randTensor(rng, out.Shape()...)
			}
			cost = G.Must(G.Sum(G.Must(G.HadamardProd(out, G.NodeFromAny(b.G, r)))))
		}
		var opts []G.VMOpt
		if withGrad {
			if _, err := G.Grad(cost, nodes...); err != nil {
				t.Fatalf("%s: grad: %v", name, err)
			}
			opts = append(opts, G.BindDualValues(nodes...))
		}
		m := G.NewTapeMachine(b.G, opts...)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			t.Fatalf("%s: run: %v", name, err)
		}
		c := float64(cost.Value().Data().(float32))
		var grads [][]float32
		if withGrad {
			for _, n := range nodes {
				g, err := n.Grad()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				grads = append(grads, append([]float32(nil), g.Data().([]float32)...))
			}
		}
		return c, grads
	}
	_, grads := eval(true)
	const h = 1e-2
	for i, x := range ins {
		data := x.Data().([]float32)
		var num, diff, norm float64
		for j := range data {
			old := data[j]
			data[j] = old + h
			up, _ := eval(false)
			data[j] = old - h
			down, _ := eval(false)
			data[j] = old
			num = (up - down) / (2 * h)
			a := float64(grads[i][j])
			diff += (a - num) * (a - num)
			norm += math.Max(a*a, num*num)
		}
		if rel := math.Sqrt(diff / math.Max(norm, 1e-12)); rel > 0.02 {
			t.Errorf("%s: input %d: relative gradient error %.4f", name, i, rel)
		} else {
			t.Logf("%s: input %d: relative gradient error %.5f", name, i, rel)
		}
	}
}

func TestInstanceNormGradient(t *testing.T) {
	gradCheck(t, "InstanceNorm", func(b *Builder, in []*G.Node) *G.Node { return b.InstanceNorm(in[0]) }, []int{2, 3, 4, 4})
}

func TestAdaINGradient(t *testing.T) {
	gradCheck(t, "AdaIN", func(b *Builder, in []*G.Node) *G.Node { return b.AdaIN(in[0], in[1], in[2]) },
		[]int{2, 3, 4, 4}, []int{2, 3}, []int{2, 3})
}

func TestUpsampleGradient(t *testing.T) {
	gradCheck(t, "Upsample", func(b *Builder, in []*G.Node) *G.Node { return b.Upsample(in[0]) }, []int{2, 2, 3, 3})
}

func TestConvGradient(t *testing.T) {
	for _, c := range []struct{ k, s, p, hw int }{{3, 2, 1, 5}, {3, 1, 1, 4}, {4, 2, 1, 6}, {3, 2, 1, 6}, {7, 1, 3, 5}, {1, 1, 0, 3}} {
		// Without and with the forward pass's columns kept for the
		// weight gradient.
		for _, cache := range []bool{false, true} {
			gradCheck(t, fmt.Sprintf("Conv k%d s%d p%d cache %v", c.k, c.s, c.p, cache), func(b *Builder, in []*G.Node) *G.Node {
				op := convOp{k: c.k, stride: c.s, pad: c.p}
				if cache {
					op.cols = new(colsCache)
				}
				return b.must(G.ApplyOp(op, in[0], in[1]))
			}, []int{2, 2, c.hw, c.hw}, []int{3, 2, c.k, c.k})
		}
	}
	// Fewer outputs than inputs: the input gradient is computed as a
	// convolution (gradXByConv).
	for _, c := range []struct{ k, p int }{{3, 1}, {7, 3}, {1, 0}, {4, 0}} {
		gradCheck(t, fmt.Sprintf("Conv k%d p%d, 3 -> 2 channels", c.k, c.p), func(b *Builder, in []*G.Node) *G.Node {
			return b.must(G.ApplyOp(convOp{k: c.k, pad: c.p, stride: 1, cols: new(colsCache)}, in[0], in[1]))
		}, []int{2, 3, 5, 5}, []int{2, 3, c.k, c.k})
	}
	gradCheck(t, "Conv+bias", func(b *Builder, in []*G.Node) *G.Node {
		y := b.must(G.ApplyOp(convOp{k: 3, stride: 2, pad: 1}, in[0], in[1]))
		return b.must(apply(biasOp, y, in[2]))
	}, []int{2, 2, 5, 5}, []int{3, 2, 3, 3}, []int{1, 3, 1, 1})
}

func TestLeakyGradient(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 4, 4}, {3, 7}} {
		gradCheck(t, fmt.Sprintf("LeakyReLU %v", shape), func(b *Builder, in []*G.Node) *G.Node { return b.LeakyReLU(in[0]) }, shape)
		gradCheck(t, fmt.Sprintf("ReLU %v", shape), func(b *Builder, in []*G.Node) *G.Node { return b.ReLU(in[0]) }, shape)
	}
}

// TestFusedOpsMatchGorgonia: the bias, leaky ReLU, ReLU and AdaIN ops give
// the values of gorgonia's primitives (broadcast add, LeakyRelu, Rectify,
// and instance norm from means and broadcasts).
func TestFusedOpsMatchGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, bias := randTensor(rng, 2, 3, 5, 5), randTensor(rng, 1, 3, 1, 1)
	gamma, beta := randTensor(rng, 2, 3), randTensor(rng, 2, 3)
	b := NewBuilder()
	xn, bn, gn, ben := b.P(x), b.P(bias), b.P(gamma), b.P(beta)
	plane := tensor.Shape{2, 3, 1, 1}
	mean := b.must(G.Mean(b.must(G.Mean(xn, 3)), 2))
	centred := b.must(G.BroadcastSub(xn, b.must(G.Reshape(mean, plane)), nil, []byte{2, 3}))
	variance := b.must(G.Mean(b.must(G.Mean(b.must(G.Square(centred)), 3)), 2))
	std := b.must(G.Sqrt(b.must(G.Add(variance, G.NewConstant(float32(Epsilon))))))
	in := b.must(G.BroadcastHadamardDiv(centred, b.must(G.Reshape(std, plane)), nil, []byte{2, 3}))
	ada := b.must(G.BroadcastAdd(b.must(G.BroadcastHadamardProd(in, b.must(G.Reshape(gn, plane)), nil, []byte{2, 3})),
		b.must(G.Reshape(ben, plane)), nil, []byte{2, 3}))
	pairs := [][2]*G.Node{
		{b.must(apply(biasOp, xn, bn)), b.must(G.BroadcastAdd(xn, bn, nil, []byte{0, 2, 3}))},
		// gorgonia's LeakyRelu overwrites its input in place: each
		// reference gets a copy.
		{b.LeakyReLU(xn), b.must(G.LeakyRelu(b.P(x.Clone().(*tensor.Dense)), 0.2))},
		{b.ReLU(xn), b.must(G.Rectify(b.P(x.Clone().(*tensor.Dense))))},
		{b.AdaIN(xn, gn, ben), ada},
	}
	if b.Err() != nil {
		t.Fatal(b.Err())
	}
	m := G.NewTapeMachine(b.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	for k, pair := range pairs {
		a, want := pair[0].Value().Data().([]float32), pair[1].Value().Data().([]float32)
		if !pair[0].Shape().Eq(pair[1].Shape()) {
			t.Fatalf("op %d: shape %v, gorgonia %v", k, pair[0].Shape(), pair[1].Shape())
		}
		for i := range a {
			if math.Abs(float64(a[i]-want[i])) > 1e-4 {
				t.Fatalf("op %d: value %d: %v, gorgonia %v", k, i, a[i], want[i])
			}
		}
	}
}

func TestGlobalAvgPoolGradient(t *testing.T) {
	gradCheck(t, "GlobalAvgPool", func(b *Builder, in []*G.Node) *G.Node { return b.GlobalAvgPool(in[0]) }, []int{2, 3, 4, 4})
}

// TestConvMatchesGorgonia: our conv op and gorgonia's Conv2d agree, and
// so do our upsampling and gorgonia's Upsample2D.
func TestConvMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// 9x9 maps take one product over the batch; 20x20 ones a product per
	// image (gemmPerImage).
	// Stride-2 convolutions that halve an even image (8 -> 4, 20 -> 10) lay
	// out their columns from the image's phases (im2colStride2).
	for _, c := range []struct{ k, s, p, hw int }{{3, 1, 1, 9}, {4, 2, 1, 9}, {7, 1, 3, 9}, {3, 2, 0, 9}, {3, 1, 1, 20}, {7, 1, 3, 20},
		{4, 2, 1, 8}, {3, 2, 1, 8}, {4, 2, 1, 20}} {
		x, w := randTensor(rng, 2, 3, c.hw, c.hw), randTensor(rng, 4, 3, c.k, c.k)
		w2 := randTensor(rng, 2, 4, 3, 3) // 4 -> 2 channels: its input gradient is a convolution (gradXByConv)
		// run builds conv(conv(x, w), w2) with either implementation and
		// returns the first conv's output, the second's, and the gradient
		// of the sum of the second with respect to x.
		run := func(conv func(b *Builder, x, w *G.Node, k, s, p int) *G.Node, forwardOnly bool) [3][]float32 {
			b := NewBuilder()
			xn := G.NewTensor(b.G, tensor.Float32, 4, G.WithShape(x.Shape()...), G.WithName("x"), G.WithValue(x))
			y := conv(b, xn, b.P(w), c.k, c.s, c.p)
			z := conv(b, y, b.P(w2), 3, 1, 1)
			if forwardOnly { // an inference graph: nothing keeps the columns
				m := G.NewTapeMachine(b.G)
				defer m.Close()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				return [3][]float32{y.Value().Data().([]float32), z.Value().Data().([]float32), nil}
			}
			if _, err := G.Grad(G.Must(G.Sum(z)), xn); err != nil {
				t.Fatal(err)
			}
			m := G.NewTapeMachine(b.G)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			g, _ := xn.Grad()
			return [3][]float32{y.Value().Data().([]float32), z.Value().Data().([]float32), g.Data().([]float32)}
		}
		oursOp := func(b *Builder, x, w *G.Node, k, s, p int) *G.Node {
			return b.must(G.ApplyOp(convOp{k: k, stride: s, pad: p, cols: new(colsCache)}, x, w))
		}
		ours := run(oursOp, false)
		theirs := run(func(b *Builder, x, w *G.Node, k, s, p int) *G.Node {
			return b.must(G.Conv2d(x, w, tensor.Shape{k, k}, []int{p, p}, []int{s, s}, []int{1, 1}))
		}, false)
		fwd := run(oursOp, true)
		for v := range 2 {
			for i := range fwd[v] {
				if math.Abs(float64(fwd[v][i]-theirs[v][i])) > 1e-3 {
					t.Fatalf("%+v: forward-only output %d value %d: %v vs %v", c, v, i, fwd[v][i], theirs[v][i])
				}
			}
		}
		for v, what := range []string{"output", "output of a second conv", "input gradient"} {
			a, bb := ours[v], theirs[v]
			if len(a) != len(bb) {
				t.Fatalf("%+v: %s of %d values vs %d", c, what, len(a), len(bb))
			}
			for i := range a {
				if math.Abs(float64(a[i]-bb[i])) > 1e-3 {
					t.Fatalf("%+v: %s value %d: %v vs %v", c, what, i, a[i], bb[i])
				}
			}
		}
	}
	// Upsampling too.
	x := randTensor(rng, 2, 3, 5, 5)
	b := NewBuilder()
	up, theirUp := b.Upsample(b.P(x)), b.must(G.Upsample2D(b.P(x), 2))
	m := G.NewTapeMachine(b.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if a, bb := up.Value().Data().([]float32), theirUp.Value().Data().([]float32); !slices.Equal(a, bb) {
		t.Fatal("upsampling differs from gorgonia's")
	}
}

// TestInstanceNormValues: each plane comes out with mean 0 and variance 1.
func TestInstanceNormValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randTensor(rng, 2, 3, 5, 5)
	b := NewBuilder()
	out := b.InstanceNorm(b.P(x))
	m := G.NewTapeMachine(b.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	data := out.Value().Data().([]float32)
	for p := 0; p < 6; p++ {
		var s, ss float64
		for _, v := range data[p*25 : (p+1)*25] {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
		if mean, v := s/25, ss/25-(s/25)*(s/25); math.Abs(mean) > 1e-4 || math.Abs(v-1) > 1e-3 {
			t.Fatalf("plane %d: mean %v variance %v", p, mean, v)
		}
	}
}

func TestEmbeddingOpsGradient(t *testing.T) {
	gradCheck(t, "Flatten", func(b *Builder, in []*G.Node) *G.Node { return b.Flatten(in[0]) }, []int{2, 3, 2, 2})
	gradCheck(t, "Concat", func(b *Builder, in []*G.Node) *G.Node { return b.Concat(in[0], in[1]) }, []int{2, 3}, []int{2, 4})
	gradCheck(t, "Concat maps", func(b *Builder, in []*G.Node) *G.Node { return b.Concat(in[0], in[1], in[2]) }, []int{2, 1, 2, 2}, []int{2, 2, 2, 2}, []int{2, 1, 2, 2})
	gradCheck(t, "L2Normalize", func(b *Builder, in []*G.Node) *G.Node { return b.L2Normalize(in[0]) }, []int{3, 5})
	gradCheck(t, "Distance", func(b *Builder, in []*G.Node) *G.Node { return b.Distance(in[0], in[1]) }, []int{3, 5}, []int{3, 5})
	gradCheck(t, "Triplet", func(b *Builder, in []*G.Node) *G.Node {
		return b.Triplet(b.L2Normalize(in[0]), b.L2Normalize(in[1]), b.L2Normalize(in[2]), 0.2)
	}, []int{6, 4}, []int{6, 4}, []int{6, 4})
}

// TestTripletHandMade: the loss and its gradients on two triplets worked
// out by hand. Row 0 violates the margin (0.1 - 0.25 + 0.2 = 0.05), row 1
// does not (0.5 - 1 + 0.2 < 0): loss 0.025; only row 0 has gradients:
// d/dp = (p - a)/|p - a| / 2 = (0.5, 0), d/dn = -(n - a)/|n - a| / 2 =
// (-0.5, 0), d/da = the negated sum = (0, 0).
func TestTripletHandMade(t *testing.T) {
	mk := func(v ...float32) *tensor.Dense { return tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(v)) }
	a, p, n := mk(0, 0, 0, 0), mk(0.1, 0, 0, 0.5), mk(0.25, 0, 1, 0)
	b := NewBuilder()
	an, pn, nn := b.P(a), b.P(p), b.P(n)
	loss := b.Triplet(an, pn, nn, 0.2)
	if b.Err() != nil {
		t.Fatal(b.Err())
	}
	if _, err := G.Grad(loss, an, pn, nn); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(b.G, G.BindDualValues(an, pn, nn))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := loss.Value().Data().(float32); math.Abs(float64(got)-0.025) > 1e-6 {
		t.Fatalf("loss %v, want 0.025", got)
	}
	for _, c := range []struct {
		name string
		node *G.Node
		want []float32
	}{{"anchor", an, []float32{0, 0, 0, 0}}, {"positive", pn, []float32{0.5, 0, 0, 0}}, {"negative", nn, []float32{-0.5, 0, 0, 0}}} {
		g, err := c.node.Grad()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range g.Data().([]float32) {
			if math.Abs(float64(v-c.want[i])) > 1e-5 {
				t.Fatalf("%s gradient %v, want %v", c.name, g.Data(), c.want)
			}
		}
	}
}

func TestLayerNormGradient(t *testing.T) {
	gradCheck(t, "LayerNorm", func(b *Builder, in []*G.Node) *G.Node {
		return b.must(apply(layerNormOp, in[0]))
	}, []int{2, 3, 3, 3})
	gradCheck(t, "ChannelAffine", func(b *Builder, in []*G.Node) *G.Node {
		return b.must(apply(channelAffineOp, in[0], in[1], in[2]))
	}, []int{2, 3, 3, 3}, []int{1, 3, 1, 1}, []int{1, 3, 1, 1})
}

func TestAvgPoolGradient(t *testing.T) {
	gradCheck(t, "AvgPool", func(b *Builder, in []*G.Node) *G.Node { return b.AvgPool(in[0]) }, []int{2, 2, 4, 6})
}

// TestStopGradient: the stopped path contributes nothing to the gradient,
// the other path its full share.
func TestStopGradient(t *testing.T) {
	p := NewParams(1)
	x := p.New("x", Ones, 1, 4)
	b := NewBuilder(p)
	xn := b.P(x)
	// cost = sum(x * 3) + sum(stop(x) * 5): d cost / dx = 3.
	three, five := G.NewConstant(float32(3)), G.NewConstant(float32(5))
	cost := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Mul(xn, three)))), G.Must(G.Sum(G.Must(G.Mul(b.StopGradient(xn), five))))))
	if b.Err() != nil {
		t.Fatal(b.Err())
	}
	if _, err := G.Grad(cost, xn); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(b.G, G.BindDualValues(xn))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if c := cost.Value().Data().(float32); c != 32 {
		t.Fatalf("cost %v, want 32", c)
	}
	g, _ := xn.Grad()
	for _, v := range g.Data().([]float32) {
		if v != 3 {
			t.Fatalf("gradient %v, want 3 everywhere", g.Data())
		}
	}
}

// TestLayerNormValues: each sample comes out with mean 0 and variance 1
// over all its values, then scaled and shifted per channel.
func TestLayerNormValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randTensor(rng, 2, 3, 2, 2)
	out := make([]float32, 24)
	normalize(x.Data().([]float32), out, 2, 12)
	for s := range 2 {
		var m, v float64
		for _, o := range out[s*12 : (s+1)*12] {
			m += float64(o) / 12
		}
		for _, o := range out[s*12 : (s+1)*12] {
			v += (float64(o) - m) * (float64(o) - m) / 12
		}
		if math.Abs(m) > 1e-5 || math.Abs(v-1) > 1e-3 {
			t.Fatalf("sample %d: mean %v variance %v", s, m, v)
		}
	}
}

func TestMoveAverageAndClip(t *testing.T) {
	p, q := NewParams(1), NewParams(2)
	a := p.New("w", Zeros, 2)
	q.New("w", Ones, 2)
	if err := p.MoveAverage(q, 0.75); err != nil {
		t.Fatal(err)
	}
	if d := a.Data().([]float32); d[0] != 0.25 || d[1] != 0.25 {
		t.Fatalf("average %v, want 0.25", d)
	}
	c := p.Clone()
	c.Get("w").Data().([]float32)[0] = 9
	if a.Data().([]float32)[0] != 0.25 {
		t.Fatal("Clone shares its tensors")
	}
	other := NewParams(3)
	other.New("v", Ones, 2)
	if err := p.MoveAverage(other, 0.5); err == nil {
		t.Fatal("an average over other names was accepted")
	}
}

// TestMatMul: the matrix product Linear uses has the right values in each
// of its three forms and the right gradient, and never writes its inputs
// (gorgonia's transposed its weights in place, which broke two graphs run
// at once over the same weights).
func TestMatMul(t *testing.T) {
	gradCheck(t, "MatMul", func(b *Builder, in []*G.Node) *G.Node { return b.must(apply(matMulOp(false, false), in[0], in[1])) },
		[]int{3, 5}, []int{5, 4})
	rng := rand.New(rand.NewPCG(3, 4))
	a, w := randTensor(rng, 3, 5), randTensor(rng, 5, 4)
	av, wv := a.Data().([]float32), w.Data().([]float32)
	want := make([]float32, 3*4)
	for i := range 3 {
		for j := range 4 {
			for p := range 5 {
				want[i*4+j] += av[i*5+p] * wv[p*4+j]
			}
		}
	}
	at, wt := randTensor(rng, 5, 3), randTensor(rng, 4, 5) // a and w stored transposed
	for i := range 3 {
		for p := range 5 {
			at.Data().([]float32)[p*3+i] = av[i*5+p]
		}
	}
	for p := range 5 {
		for j := range 4 {
			wt.Data().([]float32)[j*5+p] = wv[p*4+j]
		}
	}
	for _, tc := range []struct {
		tA, tB bool
		a, b   *tensor.Dense
	}{{false, false, a, w}, {true, false, at, w}, {false, true, a, wt}} {
		before := [2][]float32{append([]float32(nil), tc.a.Data().([]float32)...), append([]float32(nil), tc.b.Data().([]float32)...)}
		out, err := matMulOp(tc.tA, tc.tB).Do(tc.a, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Shape().Eq(tensor.Shape{3, 4}) {
			t.Fatalf("%t %t: shape %v", tc.tA, tc.tB, out.Shape())
		}
		for i, v := range out.Data().([]float32) {
			if math.Abs(float64(v-want[i])) > 1e-5 {
				t.Fatalf("%t %t: value %d: %v, want %v", tc.tA, tc.tB, i, v, want[i])
			}
		}
		if !slices.Equal(before[0], tc.a.Data().([]float32)) || !slices.Equal(before[1], tc.b.Data().([]float32)) ||
			!tc.a.Shape().Eq(tensor.Shape{len(before[0]) / tc.a.Shape()[1], tc.a.Shape()[1]}) {
			t.Fatalf("%t %t: an input changed", tc.tA, tc.tB)
		}
	}
	if _, err := matMulOp(false, false).Do(a, a); err == nil {
		t.Fatal("a product of mismatched shapes ran")
	}
}
