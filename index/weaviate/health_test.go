package weaviate

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
)

// TestHealthStatuses reads canned cluster answers: a member that answers
// but calls itself UNHEALTHY (a re-election after a loss, seen in CI) is
// a settling cluster that Find waits for; an UNAVAILABLE one is lost.
func TestHealthStatuses(t *testing.T) {
	t.Parallel()
	node := func(name, status string, shards ...string) string {
		var sh []string
		for _, s := range shards {
			sh = append(sh, fmt.Sprintf(`{"name":%q,"class":"C","vectorIndexingStatus":"READY"}`, s))
		}
		return fmt.Sprintf(`{"name":%q,"status":%q,"shards":[%s]}`, name, status, strings.Join(sh, ","))
	}
	for _, c := range []struct {
		name      string
		nodes     []string
		healthy   int
		reachable int
		settling  bool
	}{
		{"all up", []string{node("n0", "HEALTHY", "a", "b"), node("n1", "HEALTHY", "b", "c"), node("n2", "HEALTHY", "c", "a")}, 3, 3, false},
		{"one lost", []string{node("n0", "HEALTHY", "a", "b"), node("n1", "HEALTHY", "b", "c"), node("n2", "UNAVAILABLE")}, 2, 3, false},
		{"re-electing", []string{node("n0", "UNHEALTHY", "a", "b"), node("n1", "HEALTHY", "b", "c")}, 1, 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.URL.Path, "/v1/nodes") {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"nodes":[%s]}`, strings.Join(c.nodes, ","))
			}))
			defer srv.Close()
			cl, err := wv.NewClient(wv.Config{Host: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http"})
			if err != nil {
				t.Fatal(err)
			}
			x := &Index{class: "C", c: cl, shards: 3, rf: 2}
			h, err := x.Health(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if h.Healthy != c.healthy || h.Reachable != c.reachable || h.settling != c.settling {
				t.Fatalf("%s: healthy %d reachable %d settling %v, want %d %d %v", h, h.Healthy, h.Reachable, h.settling, c.healthy, c.reachable, c.settling)
			}
		})
	}
}
