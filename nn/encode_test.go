package nn

import (
	"errors"
	"reflect"
	"testing"
)

func testParams(seed uint64) *Params {
	p := NewParams(seed)
	p.New("conv.w", He, 4, 3, 3, 3)
	p.New("conv.b", Zeros, 1, 4, 1, 1)
	p.New("fc.w", He, 4, 2)
	return p
}

// TestEncodeRoundTrip: weights and optimizer state come back bit-identical.
func TestEncodeRoundTrip(t *testing.T) {
	p := testParams(1)
	a := NewAdam(1e-4, 0.5, 0.999)
	a.Step = 7
	a.M["0/fc.w"], a.V["0/fc.w"] = []float32{1, 2, 3, 4, 5, 6, 7, 8}, []float32{8, 7, 6, 5, 4, 3, 2, 1}
	blob := AppendAdam(AppendParams(nil, p), a)
	q := testParams(2)
	rest, err := ReadParams(blob, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Names() {
		if !reflect.DeepEqual(p.Get(n).Data(), q.Get(n).Data()) {
			t.Fatalf("%s differs", n)
		}
	}
	b, rest, err := ReadAdam(rest)
	if err != nil || len(rest) != 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("adam: %+v %v", b, err)
	}
	other := NewParams(1)
	other.New("conv.w", He, 4, 3, 5, 5)
	if _, err := ReadParams(AppendParams(nil, p), other); !errors.Is(err, ErrFormat) {
		t.Fatalf("mismatched model: %v", err)
	}
}

// FuzzReadParams: any bytes give weights or ErrFormat, never a panic.
func FuzzReadParams(f *testing.F) {
	p := testParams(1)
	a := NewAdam(1e-3, 0.9, 0.999)
	a.M["x"], a.V["x"] = []float32{1}, []float32{2}
	f.Add(AppendAdam(AppendParams(nil, p), a))
	f.Add([]byte{3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		q := testParams(2)
		rest, err := ReadParams(b, q)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		if _, _, err := ReadAdam(rest); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error without ErrFormat: %v", err)
		}
	})
}

func TestHeader(t *testing.T) {
	type h struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	blob, err := AppendHeader([]byte("x"), "MAGIC\n", h{A: 3, B: "q"})
	if err != nil {
		t.Fatal(err)
	}
	blob = append(blob, 9, 9)
	var got h
	rest, err := ReadHeader(blob[1:], "MAGIC\n", &got)
	if err != nil || got != (h{A: 3, B: "q"}) || len(rest) != 2 {
		t.Fatalf("read back %+v, %d trailing, %v", got, len(rest), err)
	}
	for _, bad := range [][]byte{nil, []byte("MAGIC"), []byte("OTHER\n\x02{}"), []byte("MAGIC\n\x7f{}"), []byte("MAGIC\n\x02{]")} {
		if _, err := ReadHeader(bad, "MAGIC\n", &got); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
