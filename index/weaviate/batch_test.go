package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
)

// TestBatchWaitsOutConfigUpdate: a batch refused because another client's
// config update has the class's store read-only is sent again until it
// goes through (or configRetries times); any other refusal fails at once.
func TestBatchWaitsOutConfigUpdate(t *testing.T) {
	t.Parallel()
	const readOnly = "store is read-only due to: UpdateVectorIndexConfig"
	for _, c := range []struct {
		name    string
		refuse  int    // batches refused before one goes through
		message string // the refusal's message
		sends   int    // batches the client sends, want
		wantErr bool
	}{
		{"no refusal", 0, readOnly, 1, false},
		{"refused twice while read-only", 2, readOnly, 3, false},
		{"read-only for too long", 100, readOnly, configRetries + 1, true},
		{"another refusal", 100, "invalid vector", 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.URL.Path, "/v1/batch/objects") {
					http.NotFound(w, r)
					return
				}
				var body struct {
					Objects []map[string]any `json:"objects"`
				}
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				n := int(sent.Add(1))
				var out []string
				for _, o := range body.Objects {
					result := `{}`
					if n <= c.refuse {
						result = fmt.Sprintf(`{"errors":{"error":[{"message":%q}]}}`, c.message)
					}
					out = append(out, fmt.Sprintf(`{"class":"C","id":%q,"result":%s}`, o["id"], result))
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, "[%s]", strings.Join(out, ","))
			}))
			defer srv.Close()
			cl, err := wv.NewClient(wv.Config{Host: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http"})
			if err != nil {
				t.Fatal(err)
			}
			x := &Index{class: "C", c: cl, spec: Spec{Version: 1, Dim: 2}}
			err = x.AddObjects(context.Background(), []Object{{ID: 1, Vector: []float32{1, 2}}, {ID: 2, Vector: []float32{3, 4}}})
			if (err != nil) != c.wantErr || (err != nil && !errors.Is(err, ErrBatch)) {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if got := int(sent.Load()); got != c.sends {
				t.Fatalf("%d batches sent, want %d", got, c.sends)
			}
		})
	}
}

// TestSearchAtClassEfDoesNotWaitForWrites: while a write holds the config
// lock shared, a search at the class's ef goes ahead (only a change of ef
// waits for writes).
func TestSearchAtClassEfDoesNotWaitForWrites(t *testing.T) {
	t.Parallel()
	x := &Index{class: "C", ef: 64}
	x.configMu.RLock() // a batch in flight
	defer x.configMu.RUnlock()
	done := make(chan error, 1)
	go func() { done <- x.SetEf(context.Background(), 64) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a search at the class's ef waited for a write")
	}
}
