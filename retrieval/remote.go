package retrieval

import (
	"context"
	"errors"
	"fmt"

	"rgunit/index"
	"rgunit/index/weaviate"
	"rgunit/storage"
)

// The remote index: a database whose IndexURL names a Weaviate cluster
// keeps its items, images, models and embeddings in bbolt (the source of
// truth) and pushes the embeddings to one class per model version. Items
// the cluster has not acknowledged are pending (storage.MarkPending under
// the version's index name) until a sync pushes them.

// remoteSpec is the class layout of model version ver.
func remoteSpec(m *Model, ver uint64) weaviate.Spec {
	return weaviate.Spec{Version: ver, Dim: m.Config.Dim, Attrs: m.Schema().Attrs}
}

// IndexURL is the remote index st uses ("" for the embedded one).
func IndexURL(st *storage.Store) (string, error) { return st.IndexURL() }

// SetIndex points st at a remote index (a weaviate:// URL) or back at the
// embedded one (""); every embedded item becomes pending for the new
// index, so the next sync pushes (or indexes) them all without embedding
// anything again.
func SetIndex(st *storage.Store, url string) error {
	if url != "" {
		if _, err := weaviate.ParseURL(url); err != nil {
			return err
		}
	}
	old, err := st.IndexURL()
	if err != nil || old == url {
		return err
	}
	if err := st.SetIndexURL(url); err != nil {
		return err
	}
	_, ver, err := Load(st)
	if errors.Is(err, ErrNoModel) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := st.DropPending(indexName(ver)); err != nil {
		return err
	}
	if url == "" {
		return nil // the embedded index's sync adds what it lacks
	}
	var ids []uint64
	if err := st.ForEachVector(vectorName(ver), func(id uint64, _ []float32) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return err
	}
	return st.MarkPending(indexName(ver), storage.PendingAdd, ids)
}

// openRemote connects to the cluster of url for model version ver.
func openRemote(ctx context.Context, url string, m *Model, ver uint64, allowPartial bool) (*weaviate.Index, error) {
	o, err := weaviate.ParseURL(url)
	if err != nil {
		return nil, err
	}
	o.AllowPartial = o.AllowPartial || allowPartial
	x, err := weaviate.Open(ctx, o, remoteSpec(m, ver))
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", url, err)
	}
	return x, nil
}

// objectAttrs are an item's attribute values for the remote index: the
// known label, else the sign of the predicted one (0 when undecided).
func objectAttrs(m *Model, labels storage.Labels, probs []float32) []int8 {
	s := m.Schema()
	out := make([]int8, len(s.Attrs))
	for a, name := range s.Attrs {
		if v := labels[name]; v != 0 {
			out[a] = v
			continue
		}
		if a < len(probs) {
			switch {
			case probs[a] > 0.5:
				out[a] = 1
			case probs[a] < 0.5:
				out[a] = -1
			}
		}
	}
	return out
}

// pushPending sends the pending adds and deletes of version ver to x in
// batches and clears what the cluster acknowledged. It returns how many
// were pushed.
func pushPending(ctx context.Context, st *storage.Store, m *Model, ver uint64, x *weaviate.Index) (int, error) {
	name := indexName(ver)
	adds, deletes, err := st.Pending(name)
	if err != nil {
		return 0, err
	}
	pushed := 0
	if len(deletes) > 0 {
		if err := x.DeleteIDs(ctx, deletes); err != nil {
			return pushed, err
		}
		if err := st.ClearPending(name, deletes); err != nil {
			return pushed, err
		}
		pushed += len(deletes)
	}
	for lo := 0; lo < len(adds); lo += 1000 {
		if err := ctx.Err(); err != nil {
			return pushed, err
		}
		ids := adds[lo:min(lo+1000, len(adds))]
		objs, err := remoteObjects(st, m, ver, ids)
		if err != nil {
			return pushed, err
		}
		if err := x.AddObjects(ctx, objs); err != nil {
			return pushed, err
		}
		if err := st.ClearPending(name, ids); err != nil {
			return pushed, err
		}
		pushed += len(objs)
	}
	return pushed, nil
}

// remoteObjects reads the stored embeddings, posteriors and labels of ids;
// ids deleted from the store (or never embedded) are skipped.
func remoteObjects(st *storage.Store, m *Model, ver uint64, ids []uint64) ([]weaviate.Object, error) {
	var objs []weaviate.Object
	for _, id := range ids {
		it, err := st.Get(id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		vec, err := st.Vector(vectorName(ver), id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		probs, err := st.Vector(attrsName(ver), id)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		objs = append(objs, weaviate.Object{ID: id, Vector: vec, Attrs: objectAttrs(m, it.Labels, probs)})
	}
	return objs, nil
}

// PendingCount is how many items of st's latest retrieval version the
// remote index has not acknowledged (0 with the embedded index).
func PendingCount(st *storage.Store) (int, error) {
	_, ver, err := Load(st)
	if errors.Is(err, ErrNoModel) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return st.PendingCount(indexName(ver))
}

// remoteBackend answers searches from a Weaviate class.
type remoteBackend struct {
	x *weaviate.Index
	n int // objects at open
}

func (r *remoteBackend) search(ctx context.Context, q []float32, k, ef int, want []int8, exclude uint64, _ func(uint64) bool) ([]index.Result, bool, error) {
	where := map[int]int8{}
	for a, w := range want {
		if w != 0 {
			where[a] = w
		}
	}
	a, err := r.x.Find(ctx, weaviate.Query{Vector: q, K: k, Ef: ef, Where: where, Exclude: exclude})
	if err != nil {
		return nil, false, err
	}
	return a.Results, a.Partial, nil
}

func (r *remoteBackend) len() int     { return r.n }
func (r *remoteBackend) close() error { return r.x.Close() }
