package weaviate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
)

var propRE = regexp.MustCompile(`^[_0-9A-Za-z]{1,200}$`)

// errUnsettled: the cluster's status call failed because a member did not
// answer (it is down but not yet dropped).
var errUnsettled = errors.New("the cluster is settling after losing a node")

// Health is what the cluster says of the class's shards.
type Health struct {
	Nodes     int      `json:"nodes"`
	Healthy   int      `json:"healthy"`
	Down      []string `json:"down,omitempty"` // nodes not HEALTHY, with their status
	Shards    int      `json:"shards"`         // physical shards of the class
	Reachable int      `json:"reachable"`      // shards with a replica on a healthy node
	Replicas  int      `json:"replication"`

	// settling: some member answered but called itself UNHEALTHY (not
	// ready, e.g. while a new raft leader is elected after a loss): the
	// picture may change within seconds.
	settling bool
}

// Complete reports whether every shard has a replica on a healthy node.
func (h Health) Complete() bool { return h.Reachable >= h.Shards }

func (h Health) String() string {
	s := fmt.Sprintf("%d of %d shard(s) reachable, %d of %d node(s) healthy, replication factor %d", h.Reachable, h.Shards, h.Healthy, h.Nodes, h.Replicas)
	if len(h.Down) > 0 {
		s += "; down: " + strings.Join(h.Down, ", ")
	}
	return s
}

// Health asks every node for the class's shards it holds and whether it
// is healthy. A shard counts as reachable when a HEALTHY node holds it and
// its vector index is not being rebuilt from scratch.
func (x *Index) Health(ctx context.Context) (Health, error) {
	h := Health{Shards: x.shards, Replicas: x.rf}
	resp, err := x.c.Cluster().NodesStatusGetter().WithClass(x.class).WithOutput("verbose").Do(ctx)
	if err != nil {
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.StatusCode >= 500 {
			// The node we ask could not gather the others' answers: a
			// node is gone but still a member.
			return Health{}, fmt.Errorf("%w: %w: cluster status of %s: %v", ErrPartial, errUnsettled, x.class, err)
		}
		return Health{}, x.wrap(err)
	}
	seen := map[string]bool{}
	for _, n := range resp.Nodes {
		h.Nodes++
		status := ""
		if n.Status != nil {
			status = *n.Status
		}
		if status != "HEALTHY" {
			h.settling = h.settling || status == "UNHEALTHY"
			h.Down = append(h.Down, fmt.Sprintf("%s (%s)", n.Name, strings.ToLower(status)))
			continue
		}
		h.Healthy++
		for _, s := range n.Shards {
			if s.Class == x.class && s.VectorIndexingStatus != "INDEXING_FAILED" {
				seen[s.Name] = true
			}
		}
	}
	h.Reachable = len(seen)
	slices.Sort(h.Down)
	return h, nil
}
