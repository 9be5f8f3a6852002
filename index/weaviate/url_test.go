package weaviate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Options
		err  string
	}{
		{in: "weaviate://127.0.0.1:8080", want: Options{HTTP: "127.0.0.1:8080", GRPC: "127.0.0.1:50051", Prefix: "Rgunit"}},
		{in: "weaviate://db.example:8080/Faces?grpc=50052&rf=3&ef=256&allow-partial=true&timeout=5s",
			want: Options{HTTP: "db.example:8080", GRPC: "db.example:50052", Prefix: "Faces", Replication: 3, Ef: 256, AllowPartial: true, Timeout: 5 * time.Second}},
		{in: "weaviate://[::1]:8080/X?grpc=10.0.0.1:6000", want: Options{HTTP: "[::1]:8080", GRPC: "10.0.0.1:6000", Prefix: "X"}},
		{in: "http://127.0.0.1:8080", err: "scheme"},
		{in: "weaviate://127.0.0.1", err: "HOST:PORT"},
		{in: "weaviate://:8080", err: "HOST:PORT"},
		{in: "weaviate://h:99999", err: "HOST:PORT"},
		{in: "weaviate://h:8080/faces", err: "capital letter"},
		{in: "weaviate://h:8080/A/B", err: "capital letter"},
		{in: "weaviate://h:8080?rf=0", err: "rf="},
		{in: "weaviate://h:8080?ef=x", err: "ef="},
		{in: "weaviate://h:8080?grpc=nope", err: "grpc="},
		{in: "weaviate://h:8080?allow-partial=maybe", err: "allow-partial"},
		{in: "weaviate://h:8080?timeout=-1s", err: "timeout"},
		{in: "weaviate://h:8080?shards=3", err: "unknown parameter"},
		{in: "weaviate://h:8080?rf=2&rf=3", err: "2 times"},
		{in: "weaviate://u:p@h:8080", err: "no user"},
	} {
		got, err := ParseURL(c.in)
		if c.err != "" {
			if !errors.Is(err, ErrURL) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want ErrURL with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseURL(got.String())
		if err != nil || back != got {
			t.Errorf("%s: String %q reads back as %+v %v", c.in, got.String(), back, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"weaviate://127.0.0.1:8080", "weaviate://h:1/A?grpc=2&rf=2&ef=9&allow-partial=1&timeout=1s", "weaviate://[::1]:8080/X?grpc=h:3", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseURL(s)
		if err != nil {
			if !errors.Is(err, ErrURL) {
				t.Fatalf("%q: an error that is not ErrURL: %v", s, err)
			}
			return
		}
		if o.HTTP == "" || o.GRPC == "" || !prefixRE.MatchString(o.Prefix) {
			t.Fatalf("%q: incomplete options %+v", s, o)
		}
		back, err := ParseURL(o.String())
		if err != nil || back != o {
			t.Fatalf("%q: %q reads back as %+v %v, want %+v", s, o.String(), back, err, o)
		}
	})
}

func TestObjectID(t *testing.T) {
	a, b, c := ObjectID(1, 42), ObjectID(1, 42), ObjectID(2, 42)
	if a != b || a == c || ObjectID(1, 43) == a {
		t.Fatalf("ids %s %s %s", a, b, c)
	}
	if len(a) != 36 || a[14] != '5' || !strings.ContainsAny(a[19:20], "89ab") {
		t.Fatalf("%s is not a UUID v5", a)
	}
}
