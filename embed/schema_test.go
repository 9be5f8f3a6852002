package embed

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var faces = Schema{Attrs: []string{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}, Dim: 8}

func TestSchema(t *testing.T) {
	if faces.CodeDim() != 40 {
		t.Fatalf("CodeDim %d", faces.CodeDim())
	}
	vals := []int8{-1, 1, -1, 1, -1}
	code := make([]float32, 40)
	faces.Means(vals, code)
	if got := faces.Values(code); fmt.Sprint(got) != fmt.Sprint(vals) {
		t.Fatalf("Values(Means) = %v", got)
	}
	// Samples: mean +-1 and std 0.5 per dimension.
	rng := rand.New(rand.NewPCG(1, 1))
	var sum, sq float64
	const n = 4000
	for range n {
		faces.Sample(vals, rng, code)
		x := float64(code[8]) // Blond_Hair = +1
		sum, sq = sum+x, sq+x*x
	}
	if m, sd := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n)); math.Abs(m-1) > 0.05 || math.Abs(sd-0.5) > 0.05 {
		t.Fatalf("samples: mean %.3f std %.3f", m, sd)
	}
	for _, bad := range []string{"", "Bald", "Male,Male", ",", "-Wearing_Hat"} {
		if _, err := faces.ParseTargets(bad, vals); !errors.Is(err, ErrAttribute) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := faces.ParseTargets("Male", vals[:2]); !errors.Is(err, ErrAttribute) {
		t.Errorf("short base: %v", err)
	}
}

func ExampleSchema_ParseTargets() {
	src := []int8{-1, -1, 1, 1, 1} // brown-haired young man
	tgt, err := faces.ParseTargets("Blond_Hair,-Brown_Hair,-Male", src)
	if err != nil {
		panic(err)
	}
	fmt.Println(faces.Format(tgt))
	// Output: -Black_Hair,Blond_Hair,-Brown_Hair,-Male,Young
}
