package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"rgunit/bench"
)

// TestLoad: clients query (image + target uploads) while images are
// ingested through the API: no request fails, and every ingested item
// answers a query afterwards. rgunit bench serve runs the full load (8
// clients, 20 s, 300 images) and compares it with rgunit query processes.
func TestLoad(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(shippedDB(t), nil))
	defer srv.Close()
	o := bench.ServeOptions{URL: srv.URL, Clients: 4, Duration: 3 * time.Second, Batch: 8}
	if testing.Short() {
		o.Duration = time.Second
	}
	for n := 1; n <= 40; n++ {
		b := face(t, n)
		o.Queries = append(o.Queries, b)
		m, err := bench.Mirror(b)
		if err != nil {
			t.Fatal(err)
		}
		o.Ingest = append(o.Ingest, bench.File{Name: fmt.Sprintf("m%03d.png", n), Data: m})
	}
	res, err := bench.Serve(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	res.WriteText(&sb, "load")
	t.Log(sb.String())
	if res.Failed > 0 || res.IngestFailed > 0 || res.Queries < o.Clients {
		t.Fatalf("failed requests under load:\n%s", sb.String())
	}
	if res.Ingested != 40 || res.Queryable != 40 {
		t.Fatalf("ingested %d, queryable %d, want 40 and 40", res.Ingested, res.Queryable)
	}
}
