package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"rgunit/index"
	"rgunit/index/weaviate"
	"rgunit/storage"
)

// Names of what model version ver owns in the store.
func indexName(ver uint64) string  { return fmt.Sprintf("retrieval-%d", ver) }
func vectorName(ver uint64) string { return fmt.Sprintf("retrieval-%d", ver) }
func attrsName(ver uint64) string  { return fmt.Sprintf("attrs-%d", ver) }

// openIndex opens (creating when create is set, with the database's
// quantization) the index of version ver.
func openIndex(st *storage.Store, m *Model, ver uint64, create bool) (*index.Stored, error) {
	o := &index.StoredOptions{}
	if create {
		o.Dim = m.Config.Dim
		q, err := quantization(st)
		if err != nil {
			return nil, err
		}
		o.Options.Quantize = q
	}
	return openStored(st, indexName(ver), o)
}

// quantization is how the database wants its embedded index's vectors.
func quantization(st *storage.Store) (index.Quantization, error) {
	q, err := st.IndexQuantize()
	if err != nil || q == "" {
		return index.Float, err
	}
	x, err := index.ParseQuantization(q)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", storage.ErrDamaged, st.Path(), err)
	}
	return x, nil
}

// SetQuantize records how the embedded index keeps its vectors ("float" or
// "sq8"); it applies when the index is next built (Sync with Rebuild).
func SetQuantize(st *storage.Store, q string) error {
	if _, err := index.ParseQuantization(q); err != nil {
		return err
	}
	return st.SetIndexQuantize(q)
}

// dropIndex deletes the embedded index name and its SQ8 float file.
func dropIndex(st *storage.Store, name string) error {
	if err := st.DropIndex(name); err != nil {
		return err
	}
	err := os.Remove(index.FloatFilePath(st.Path(), storage.IndexBucket, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// openStored opens the index called name in st.
func openStored(st *storage.Store, name string, o *index.StoredOptions) (*index.Stored, error) {
	idx, err := index.OpenStored(st.Records(), []string{storage.IndexBucket, name}, o)
	if errors.Is(err, index.ErrCorrupt) {
		return nil, fmt.Errorf("%w: %s: the retrieval index: %w (rgunit check --db %s --repair rebuilds it)", storage.ErrDamaged, st.Path(), err, st.Path())
	}
	return idx, err
}

// SyncStats is what Sync did.
type SyncStats struct {
	Version uint64 `json:"version"`
	Added   int    `json:"added"`   // items embedded (and indexed, or pending)
	Indexed int    `json:"indexed"` // items in the index afterwards
	Dropped int    `json:"dropped"` // indexes of other versions deleted
	// Converted: the index was built again on these vectors ("sq8",
	// "float"), from the stored embeddings (rgunit reindex --quantize).
	Converted string `json:"converted,omitempty"`
	// With a remote index: where, what was pushed, what is still pending,
	// and why (the cluster unreachable).
	Remote      string `json:"remote,omitempty"`
	Pushed      int    `json:"pushed,omitempty"`
	Pending     int    `json:"pending,omitempty"`
	Unreachable string `json:"unreachable,omitempty"`
}

// String says what an indexing did, as the CLI prints it.
func (s SyncStats) String() string {
	switch {
	case s.Remote == "" && s.Converted != "":
		return fmt.Sprintf("index: retrieval version %d, rebuilt on %s vectors from the stored embeddings, %d items embedded, %d indexed", s.Version, s.Converted, s.Added, s.Indexed)
	case s.Remote == "":
		return fmt.Sprintf("index: retrieval version %d, %d items embedded, %d indexed", s.Version, s.Added, s.Indexed)
	case s.Unreachable != "":
		return fmt.Sprintf("index: %s unreachable; retrieval version %d, %d items embedded and committed here, %d pushed, %d pending (run rgunit sync when the cluster is back)\n  %s",
			s.Remote, s.Version, s.Added, s.Pushed, s.Pending, s.Unreachable)
	}
	return fmt.Sprintf("index: %s, retrieval version %d, %d items embedded, %d pushed, %d indexed, %d pending", s.Remote, s.Version, s.Added, s.Pushed, s.Indexed, s.Pending)
}

// SyncOptions configure Sync.
type SyncOptions struct {
	Rebuild    bool // drop this version's index and vectors first
	Batch      int  // items per embedding batch (default 256)
	OnProgress func(done, total int)
	// Temperatures calibrate the stored attribute posteriors (see
	// Posteriors; nil: the model's raw log-odds).
	Temperatures []float64
}

// Sync brings the index of model version ver up to date: every item of st
// not yet in it is embedded as emb(E_c(x), mean of E_a(x)) (no labels
// needed), its embedding and attribute posteriors are stored under the
// version, and it is added to the index. Indexes and vectors of other
// retrieval versions are dropped. Each batch commits on its own, so an
// interrupted sync resumes where it stopped.
func Sync(ctx context.Context, st *storage.Store, m *Model, ver uint64, o SyncOptions) (SyncStats, error) {
	stats := SyncStats{Version: ver}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	url, err := st.IndexURL()
	if err != nil {
		return stats, err
	}
	if url != "" {
		return syncRemote(ctx, st, m, ver, o, url)
	}
	if stats.Dropped, err = dropEmbedded(st, ver, o.Rebuild); err != nil {
		return stats, err
	}
	idx, err := openIndex(st, m, ver, true)
	if err != nil {
		return stats, err
	}
	// An index on other vectors than the database wants is built again,
	// from the stored embeddings.
	want, err := quantization(st)
	if err == nil && idx.Quantization() != want {
		idx.Close()
		stats.Converted = want.String()
		if err = dropIndex(st, indexName(ver)); err == nil {
			idx, err = openIndex(st, m, ver, true)
		}
	}
	if err != nil {
		return stats, err
	}
	defer idx.Close()
	// Items embedded before (an index moved back from a cluster, or
	// converted) are indexed from their stored embeddings; the others are
	// embedded.
	if err := indexStored(ctx, st, idx, ver); err != nil {
		return stats, err
	}
	var todo []uint64
	if err := st.ForEach(func(it storage.Item) error {
		if !idx.Has(it.ID) {
			todo = append(todo, it.ID)
		}
		return nil
	}); err != nil {
		return stats, err
	}
	err = embedItems(ctx, st, m, ver, todo, o, func(ids []uint64, vecs [][]float32) error {
		stats.Added += len(ids)
		return idx.AddBatch(ctx, ids, vecs, 0)
	})
	stats.Indexed = idx.Len()
	return stats, err
}

// embedItems embeds ids in batches, stores their embeddings and attribute
// posteriors under version ver, then hands each batch to done.
func embedItems(ctx context.Context, st *storage.Store, m *Model, ver uint64, todo []uint64, o SyncOptions,
	done func(ids []uint64, vecs [][]float32) error) error {
	size := m.Size()
	if o.OnProgress != nil && len(todo) > 0 {
		o.OnProgress(0, len(todo)) // the phase starts: its rate counts from here
	}
	for start := 0; start < len(todo); start += o.Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		ids := todo[start:min(start+o.Batch, len(todo))]
		x, err := itemTensors(st, ids, size)
		if err != nil {
			return err
		}
		embs, codes, err := m.EmbedImages(x, len(ids))
		if err != nil {
			return err
		}
		vecs, probs := make([][]float32, len(ids)), make([][]float32, len(ids))
		cd, d := m.Schema().CodeDim(), m.Config.Dim
		for i := range ids {
			vecs[i] = embs[i*d : (i+1)*d]
			probs[i] = Posteriors(m, codes[i*cd:(i+1)*cd], o.Temperatures)
		}
		// Embeddings and attributes in one transaction: a crash (or a full
		// disk) leaves both or neither, and Sync re-embeds items without.
		if err := st.PutVectorSets(storage.VectorSet{Model: vectorName(ver), IDs: ids, Vecs: vecs},
			storage.VectorSet{Model: attrsName(ver), IDs: ids, Vecs: probs}); err != nil {
			return err
		}
		if err := done(ids, vecs); err != nil {
			return err
		}
		if o.OnProgress != nil {
			o.OnProgress(start+len(ids), len(todo))
		}
	}
	return nil
}

// dropEmbedded drops the embedded indexes of other versions with their
// vectors (and version ver's too with rebuild); it returns how many other
// versions went.
func dropEmbedded(st *storage.Store, ver uint64, rebuild bool) (int, error) {
	names, err := st.Indexes()
	if err != nil {
		return 0, err
	}
	dropped := 0
	for _, n := range names {
		if !strings.HasPrefix(n, "retrieval-") || (n == indexName(ver) && !rebuild) {
			continue
		}
		if err := dropIndex(st, n); err != nil {
			return dropped, err
		}
		if n != indexName(ver) {
			dropped++
		}
		old := strings.TrimPrefix(n, "retrieval-")
		if err := st.DropVectors("retrieval-" + old); err != nil {
			return dropped, err
		}
		if err := st.DropVectors("attrs-" + old); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

// indexStored adds to idx the stored embeddings of version ver it lacks
// (an embedding stored without its attributes is left to be made again).
func indexStored(ctx context.Context, st *storage.Store, idx *index.Stored, ver uint64) error {
	withAttrs := map[uint64]bool{}
	if err := st.ForEachVector(attrsName(ver), func(id uint64, _ []float32) error {
		withAttrs[id] = true
		return nil
	}); err != nil {
		return err
	}
	var stored []uint64
	var vecs [][]float32
	if err := st.ForEachVector(vectorName(ver), func(id uint64, v []float32) error {
		if !idx.Has(id) && withAttrs[id] {
			stored, vecs = append(stored, id), append(vecs, v)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(stored) == 0 {
		return nil
	}
	return idx.AddBatch(ctx, stored, vecs, 0)
}

// syncRemote is Sync for a database whose index is on a cluster: the
// embedded indexes are dropped (the cluster holds the index), items
// without an embedding of version ver are embedded and stored, each batch
// is marked pending and pushed, and whatever is pending from before is
// pushed too. An unreachable cluster is not an error: the items stay
// pending (stats.Unreachable says why) for the next sync.
func syncRemote(ctx context.Context, st *storage.Store, m *Model, ver uint64, o SyncOptions, url string) (SyncStats, error) {
	stats := SyncStats{Version: ver, Remote: url}
	name := indexName(ver)
	names, err := st.Indexes()
	if err != nil {
		return stats, err
	}
	for _, n := range names {
		if strings.HasPrefix(n, "retrieval-") {
			if err := dropIndex(st, n); err != nil {
				return stats, err
			}
		}
	}
	x, err := openRemote(ctx, url, m, ver, true)
	switch {
	case errors.Is(err, weaviate.ErrUnreachable):
		stats.Unreachable = err.Error()
	case err != nil:
		return stats, err
	}
	defer func() { // x is opened again by a rebuild, and dropped when unreachable
		if x != nil {
			x.Close()
		}
	}()
	if stats.Dropped, err = dropRemoteVersions(ctx, st, x, ver); err != nil {
		return stats, err
	}
	if o.Rebuild {
		if x, err = rebuildRemote(ctx, st, x, url, m, ver); err != nil {
			return stats, err
		}
	}
	// Pending from before first, then the items never embedded.
	push := func() error {
		if x == nil {
			return nil
		}
		n, err := pushPending(ctx, st, m, ver, x)
		stats.Pushed += n
		if errors.Is(err, weaviate.ErrUnreachable) {
			stats.Unreachable = err.Error()
			x.Close()
			x = nil
			return nil
		}
		return err
	}
	if err := push(); err != nil {
		return stats, err
	}
	todo, err := unembedded(st, ver)
	if err != nil {
		return stats, err
	}
	err = embedItems(ctx, st, m, ver, todo, o, func(ids []uint64, _ [][]float32) error {
		stats.Added += len(ids)
		if err := st.MarkPending(name, storage.PendingAdd, ids); err != nil {
			return err
		}
		return push()
	})
	if err != nil {
		return stats, err
	}
	if stats.Pending, err = st.PendingCount(name); err != nil {
		return stats, err
	}
	if x != nil {
		if stats.Indexed, err = x.Count(ctx); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// rebuildRemote empties version ver's class (x nil: unreachable, left
// as it is) and drops its vectors and pending records, so every item is
// embedded and pushed again; it returns the class opened again.
func rebuildRemote(ctx context.Context, st *storage.Store, x *weaviate.Index, url string, m *Model, ver uint64) (*weaviate.Index, error) {
	if x != nil {
		if err := x.Drop(ctx); err != nil {
			return x, err
		}
		x.Close()
		var err error
		if x, err = openRemote(ctx, url, m, ver, true); err != nil {
			return nil, err
		}
	}
	for _, drop := range []func(string) error{st.DropVectors, st.DropPending} {
		if err := drop(indexName(ver)); err != nil {
			return x, err
		}
	}
	return x, st.DropVectors(attrsName(ver))
}

// dropRemoteVersions drops every other version's vectors, pending records
// and cluster class (x nil: the cluster is unreachable, its classes stay).
func dropRemoteVersions(ctx context.Context, st *storage.Store, x *weaviate.Index, ver uint64) (int, error) {
	sets, err := st.VectorSets()
	if err != nil {
		return 0, err
	}
	dropped := 0
	for _, set := range sets {
		v, ok := strings.CutPrefix(set, "retrieval-")
		if !ok || set == vectorName(ver) {
			continue
		}
		old, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			continue
		}
		if x != nil {
			if err := weaviate.DropClass(ctx, x, old); err != nil {
				return dropped, err
			}
		}
		for _, drop := range []func(string) error{st.DropVectors, st.DropPending} {
			if err := drop(set); err != nil {
				return dropped, err
			}
		}
		if err := st.DropVectors(attrsName(old)); err != nil {
			return dropped, err
		}
		dropped++
	}
	return dropped, nil
}

// unembedded lists the items with no embedding of version ver.
func unembedded(st *storage.Store, ver uint64) ([]uint64, error) {
	has := map[uint64]bool{}
	if err := st.ForEachVector(vectorName(ver), func(id uint64, _ []float32) error {
		has[id] = true
		return nil
	}); err != nil {
		return nil, err
	}
	var todo []uint64
	err := st.ForEach(func(it storage.Item) error {
		if !has[it.ID] {
			todo = append(todo, it.ID)
		}
		return nil
	})
	return todo, err
}

// EmbedImages returns emb(E_c(x), mean of E_a(x)) and E_a's mean codes of
// n images.
func (m *Model) EmbedImages(x []float32, n int) (embs, codes []float32, err error) {
	content, err := m.Stage1.Content(x, n)
	if err != nil {
		return nil, nil, err
	}
	codes, err = m.Stage1.Codes(x, n)
	if err != nil {
		return nil, nil, err
	}
	embs, err = m.Emb.Embed(content, codes, n, m.Stage1.ContentShape())
	return embs, codes, err
}

// LogOdds returns, per attribute, the log-odds that the value is +1 given
// a mean code: the two components N(+-1, 0.5^2) in each of the
// attribute's dimensions, equal priors, so 2 * sum(code) / 0.5^2.
func LogOdds(m *Model, code []float32) []float64 {
	s := m.Schema()
	out := make([]float64, len(s.Attrs))
	for a := range s.Attrs {
		var sum float64
		for _, v := range code[a*s.Dim : (a+1)*s.Dim] {
			sum += float64(v)
		}
		out[a] = 2 * sum / 0.25
	}
	return out
}

// Posteriors returns, per attribute, P(value = +1 | code): the log-odds
// divided by the attribute's temperature (nil or 0: 1), through a
// sigmoid. The model's own log-odds are overconfident (tens: every
// probability rounds to 1); a temperature fitted on labelled items
// (FitTemperatures) calibrates them, so that they rank.
func Posteriors(m *Model, code []float32, temps []float64) []float32 {
	lo := LogOdds(m, code)
	out := make([]float32, len(lo))
	for a, l := range lo {
		t := 1.0
		if a < len(temps) && temps[a] > 0 {
			t = temps[a]
		}
		out[a] = float32(1 / (1 + math.Exp(-l/t)))
	}
	return out
}

// FitTemperatures fits, per attribute, the temperature T that minimizes
// the negative log-likelihood of the known labels under sigmoid(logit/T)
// (golden-section search over log T in [0, 8]), raised where needed so
// that the 99th percentile of |logit| / T is at most 15 (float32 ties
// beyond); 1 where an attribute has no label of either value. logits[i] and labels[i] are item i's.
func FitTemperatures(logits [][]float64, labels [][]int8) []float64 {
	if len(logits) == 0 {
		return nil
	}
	temps := make([]float64, len(logits[0]))
	for a := range temps {
		temps[a] = 1
		if !slices.ContainsFunc(labels, func(y []int8) bool { return y[a] != 0 }) {
			continue
		}
		nll := func(logT float64) float64 {
			t := math.Exp(logT)
			var s float64
			n := 0
			for i, l := range logits {
				y := float64(labels[i][a])
				if y == 0 {
					continue
				}
				z := -y * l[a] / t // log(1 + e^z), stably
				s += max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
				n++
			}
			if n == 0 {
				return 0
			}
			return s / float64(n)
		}
		lo, hi := 0.0, 8.0 // T >= 1: never sharper than the model itself (separable labels would drive T to 0)
		const phi = 0.6180339887498949
		for range 60 {
			m1, m2 := hi-phi*(hi-lo), lo+phi*(hi-lo)
			if nll(m1) < nll(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		// Not so sharp that stored probabilities tie: float32 resolves
		// a sigmoid up to log-odds of about 15, so the 99th percentile of
		// |logit| / T stays under that (ties would rank by id).
		var abs []float64
		for _, l := range logits {
			abs = append(abs, math.Abs(l[a]))
		}
		slices.Sort(abs)
		temps[a] = max(math.Exp((lo+hi)/2), abs[len(abs)*99/100]/15)
	}
	return temps
}

// FitTemperaturesOn fits m's temperatures on up to 2,000 of st's
// labelled items drawn at random (nil when none is labelled).
func FitTemperaturesOn(st *storage.Store, m *Model) ([]float64, error) {
	var ids []uint64
	if err := st.ForEach(func(it storage.Item) error {
		if it.Labelled() {
			ids = append(ids, it.ID)
		}
		return nil
	}); err != nil || len(ids) == 0 {
		return nil, err
	}
	logits, labels, err := ItemLogOdds(st, m, Sample(ids, domainSample))
	if err != nil {
		return nil, err
	}
	return FitTemperatures(logits, labels), nil
}

// ItemLogOdds returns, for stored items, E_a's log-odds per attribute of
// m (see LogOdds) and their known labels (0: unknown).
func ItemLogOdds(st *storage.Store, m *Model, ids []uint64) (logits [][]float64, labels [][]int8, err error) {
	s := m.Schema()
	size, cd := m.Size(), s.CodeDim()
	for start := 0; start < len(ids); start += 256 {
		batch := ids[start:min(start+256, len(ids))]
		for _, id := range batch {
			it, err := st.Get(id)
			if err != nil {
				return nil, nil, err
			}
			y := make([]int8, len(s.Attrs))
			for a, name := range s.Attrs {
				y[a] = it.Labels[name]
			}
			labels = append(labels, y)
		}
		x, err := itemTensors(st, batch, size)
		if err != nil {
			return nil, nil, err
		}
		codes, err := m.Stage1.Codes(x, len(batch))
		if err != nil {
			return nil, nil, err
		}
		for i := range batch {
			logits = append(logits, LogOdds(m, codes[i*cd:(i+1)*cd]))
		}
	}
	return logits, labels, nil
}

// Remove deletes items from the store and from every retrieval index in
// one transaction: after a crash both have them or neither has. With a
// remote index the transaction records the deletions as pending instead,
// and the cluster is told after it commits (an unreachable or interrupted
// cluster gets them at the next sync). An unknown id removes nothing.
// (Sync keeps one retrieval index; every one found is updated, without
// loading a model.)
func Remove(ctx context.Context, st *storage.Store, ids []uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	url, err := st.IndexURL()
	if err != nil {
		return err
	}
	if url != "" {
		return removeRemote(ctx, st, url, ids)
	}
	names, err := st.Indexes()
	if err != nil {
		return err
	}
	var idxs []*index.Stored
	defer func() {
		for _, idx := range idxs {
			idx.Close() // after a failed transaction, memory is ahead of the file
		}
	}()
	for _, n := range names {
		if !strings.HasPrefix(n, "retrieval-") {
			continue
		}
		idx, err := openStored(st, n, nil)
		if err != nil {
			return err
		}
		idxs = append(idxs, idx)
	}
	err = st.Update(func(tx *storage.Tx) error {
		for _, idx := range idxs {
			var in []uint64
			for _, id := range ids {
				if idx.Has(id) {
					in = append(in, id)
				}
			}
			if len(in) > 0 {
				if err := idx.DeleteIn(tx.Bolt(), in); err != nil {
					return err
				}
			}
		}
		return tx.Delete(ids...)
	})
	if err != nil {
		return fmt.Errorf("nothing removed: %w", err)
	}
	return nil
}

func removeRemote(ctx context.Context, st *storage.Store, url string, ids []uint64) error {
	m, ver, err := Load(st)
	if errors.Is(err, ErrNoModel) {
		return st.Delete(ids...)
	}
	if err != nil {
		return err
	}
	if err := st.Update(func(tx *storage.Tx) error {
		if err := tx.MarkPending(indexName(ver), storage.PendingDelete, ids); err != nil {
			return err
		}
		return tx.Delete(ids...)
	}); err != nil {
		return fmt.Errorf("nothing removed: %w", err)
	}
	x, err := openRemote(ctx, url, m, ver, true)
	if errors.Is(err, weaviate.ErrUnreachable) || ctx.Err() != nil {
		return nil // pending: the next sync deletes them
	}
	if err != nil {
		return err
	}
	defer x.Close()
	if err := x.DeleteIDs(ctx, ids); err != nil {
		if errors.Is(err, weaviate.ErrUnreachable) || ctx.Err() != nil {
			return nil // pending: the next sync deletes them
		}
		return fmt.Errorf("removed from the database; the index cluster refused the deletions, which stay pending for rgunit sync: %w", err)
	}
	return st.ClearPending(indexName(ver), ids)
}
