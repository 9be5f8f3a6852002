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
	for _, bad := range []string{"", "Bald", "Male,Male", ",", "-Wearing_Hat", "Black_Hair,Blond_Hair", "Blond_Hair,-Male,Brown_Hair"} {
		if _, err := faces.ParseTargets(bad, vals); !errors.Is(err, ErrAttribute) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := faces.ParseTargets("Male", vals[:2]); !errors.Is(err, ErrAttribute) {
		t.Errorf("short base: %v", err)
	}
}

// TestNamedTargets: only what a target list names, not the hair colours
// it turns off, nor the values it keeps.
func TestNamedTargets(t *testing.T) {
	for spec, want := range map[string][]int8{
		"Blond_Hair":            {0, 1, 0, 0, 0},
		"Blond_Hair,-Male":      {0, 1, 0, -1, 0},
		" +Young , -Black_Hair": {-1, 0, 0, 0, 1},
	} {
		got, err := faces.NamedTargets(spec)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: %v %v, want %v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "Bald", "Male,-Male", "Black_Hair,Brown_Hair"} {
		if _, err := faces.NamedTargets(bad); !errors.Is(err, ErrAttribute) {
			t.Errorf("%q: %v", bad, err)
		}
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

// TestTargetsKeepHairOneHot: naming a hair colour turns the others off.
func TestTargetsKeepHairOneHot(t *testing.T) {
	src := []int8{1, -1, -1, 1, 1} // black hair
	tgt, err := faces.ParseTargets("Blond_Hair", src)
	if err != nil {
		t.Fatal(err)
	}
	if got := faces.Format(tgt); got != "-Black_Hair,Blond_Hair,-Brown_Hair,Male,Young" {
		t.Fatalf("got %s", got)
	}
}

// TestFlipOne: exactly one binary attribute flips, or the hair colour
// moves to another colour; hair stays one-hot; every attribute gets
// flipped sometimes.
func TestFlipOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	src := []int8{-1, 1, -1, 1, -1}
	changed := map[int]int{}
	for range 500 {
		tgt := faces.FlipOne(src, rng)
		hair, diff := 0, 0
		for i, v := range tgt {
			if i < 3 && v > 0 {
				hair++
			}
			if v != src[i] {
				diff++
				changed[i]++
			}
		}
		if hair != 1 {
			t.Fatalf("%v: %d hair colours", tgt, hair)
		}
		if sameHair := tgt[0] == src[0] && tgt[1] == src[1] && tgt[2] == src[2]; (sameHair && diff != 1) || (!sameHair && diff != 2) {
			t.Fatalf("%v from %v: %d changes", tgt, src, diff)
		}
	}
	for i := range src {
		if changed[i] == 0 {
			t.Errorf("attribute %d never changed", i)
		}
	}
}
