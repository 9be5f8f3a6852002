package weaviate

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"

	"rgunit/index"
)

// Spec is the class an index lives in: its model version (part of the
// class name and of every object id), dimension and attributes.
type Spec struct {
	Version uint64
	Dim     int
	Attrs   []string
}

// Object is one item to add: its id in the store, its embedding and its
// attribute values (+1, -1 or 0 per Spec.Attrs; nil: all 0).
type Object struct {
	ID     uint64
	Vector []float32
	Attrs  []int8
}

// Index is a Weaviate class used as a vector index. Its methods are safe
// for concurrent use.
type Index struct {
	o      Options
	spec   Spec
	class  string
	c      *wv.Client
	shards int // physical shards of the class
	rf     int

	// configMu: a class config update (SetEf) makes the class's store
	// read-only while it applies, and writes sent meanwhile are refused
	// ("store is read-only due to: UpdateVectorIndexConfig"), so this
	// client's writes hold it shared and SetEf exclusively.
	configMu sync.RWMutex
	ef       int
	closed   atomic.Bool
}

// Class is the class name of spec under o.
func (o Options) Class(spec Spec) string { return fmt.Sprintf("%sV%d", o.Prefix, spec.Version) }

// Open connects to the cluster and opens spec's class, creating it when it
// does not exist (replication factor 2 when the cluster has two nodes or
// more, unless o.Replication says otherwise). A class that exists with
// other properties fails with ErrMismatch; an unreachable server with
// ErrUnreachable.
func Open(ctx context.Context, o Options, spec Spec) (*Index, error) {
	if o.Prefix == "" {
		o.Prefix = "Rgunit"
	}
	if o.GRPC == "" {
		h, _, _ := net.SplitHostPort(o.HTTP)
		o.GRPC = net.JoinHostPort(h, "50051")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Settle == 0 {
		o.Settle = 10 * time.Second
	}
	if spec.Dim <= 0 || spec.Dim > 65536 {
		return nil, fmt.Errorf("%w: dimension %d", ErrQuery, spec.Dim)
	}
	for _, a := range spec.Attrs {
		if !propRE.MatchString(a) {
			return nil, fmt.Errorf("%w: attribute %q cannot be a property name", ErrQuery, a)
		}
	}
	if err := probe(ctx, o); err != nil {
		return nil, err
	}
	c, err := wv.NewClient(wv.Config{
		Host: o.HTTP, Scheme: "http",
		GrpcConfig:       &wvgrpc.Config{Host: o.GRPC},
		Timeout:          o.Timeout,
		ConnectionClient: &http.Client{Timeout: o.Timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, o.HTTP, err)
	}
	x := &Index{o: o, spec: spec, class: o.Class(spec), c: c, ef: o.Ef}
	if x.ef == 0 {
		x.ef = 128
	}
	if err := x.ensureClass(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// probe fails fast with ErrUnreachable when nothing answers at o.HTTP (the
// client would otherwise wait for its own timeouts).
func probe(ctx context.Context, o Options) error {
	ctx, cancel := context.WithTimeout(ctx, min(o.Timeout, 5*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+o.HTTP+"/v1/.well-known/ready", nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrURL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, o.HTTP, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s is not ready (HTTP %d)", ErrUnreachable, o.HTTP, resp.StatusCode)
	}
	return nil
}

func attrProp(a string) string { return "a_" + a }

func (x *Index) ensureClass(ctx context.Context) error {
	cl, err := x.c.Schema().ClassGetter().WithClassName(x.class).Do(ctx)
	if err != nil && !notFound(err) {
		return x.wrap(err)
	}
	if err != nil || cl == nil {
		nodes, err := x.c.Cluster().NodesStatusGetter().Do(ctx)
		if err != nil {
			return x.wrap(err)
		}
		n := len(nodes.Nodes)
		rf := x.o.Replication
		if rf == 0 {
			rf = min(2, n)
		}
		if rf > n {
			return fmt.Errorf("%w: replication factor %d on a cluster of %d node(s)", ErrQuery, rf, n)
		}
		props := []*models.Property{{Name: "item", DataType: []string{"int"}}}
		for _, a := range x.spec.Attrs {
			props = append(props, &models.Property{Name: attrProp(a), DataType: []string{"int"}})
		}
		cl = &models.Class{
			Class:             x.class,
			Description:       fmt.Sprintf("rgunit retrieval index, model version %d, dimension %d", x.spec.Version, x.spec.Dim),
			Vectorizer:        "none",
			VectorIndexType:   "hnsw",
			VectorIndexConfig: map[string]any{"distance": "l2-squared", "ef": x.ef, "efConstruction": 128, "maxConnections": 32},
			ReplicationConfig: &models.ReplicationConfig{Factor: int64(rf)},
			ShardingConfig:    map[string]any{"desiredCount": n},
			Properties:        props,
		}
		createErr := x.c.Schema().ClassCreator().WithClass(cl).Do(ctx)
		// Another client may have created it first: what exists counts.
		if cl, err = x.c.Schema().ClassGetter().WithClassName(x.class).Do(ctx); err != nil || cl == nil {
			if createErr != nil {
				return x.wrap(fmt.Errorf("create class %s: %w", x.class, createErr))
			}
			return x.wrap(fmt.Errorf("class %s after creating it: %v", x.class, err))
		}
	}
	if err := x.checkClass(cl); err != nil {
		return err
	}
	return nil
}

func (x *Index) checkClass(cl *models.Class) error {
	var have []string
	for _, p := range cl.Properties {
		have = append(have, p.Name)
	}
	want := []string{"item"}
	for _, a := range x.spec.Attrs {
		want = append(want, strings.ToLower(attrProp(a)[:1])+attrProp(a)[1:])
	}
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		return fmt.Errorf("%w: class %s has properties %v, this index needs %v (another database's class? use another prefix: weaviate://%s/OtherPrefix)", ErrMismatch, x.class, have, want, x.o.HTTP)
	}
	if !strings.Contains(cl.Description, fmt.Sprintf("dimension %d", x.spec.Dim)) {
		return fmt.Errorf("%w: class %s is %q, this index has dimension %d", ErrMismatch, x.class, cl.Description, x.spec.Dim)
	}
	if cl.ReplicationConfig != nil {
		x.rf = int(cl.ReplicationConfig.Factor)
	}
	if x.rf == 0 {
		x.rf = 1
	}
	if m, ok := cl.ShardingConfig.(map[string]any); ok {
		x.shards = intOf(m["actualCount"])
	}
	if x.shards == 0 {
		x.shards = 1
	}
	if m, ok := cl.VectorIndexConfig.(map[string]any); ok {
		if ef := intOf(m["ef"]); ef > 0 {
			x.ef = ef
		}
	}
	return nil
}

func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func notFound(err error) bool {
	var we *fault.WeaviateClientError
	return errors.As(err, &we) && we.StatusCode == http.StatusNotFound
}

// wrap marks connection failures ErrUnreachable.
func (x *Index) wrap(err error) error {
	if err == nil {
		return nil
	}
	var we *fault.WeaviateClientError
	var ne net.Error
	s := err.Error()
	if (errors.As(err, &we) && we.StatusCode == 0) || errors.As(err, &ne) ||
		strings.Contains(s, "connection refused") || strings.Contains(s, "Unavailable") || strings.Contains(s, "context deadline exceeded") {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, x.o.HTTP, err)
	}
	return fmt.Errorf("weaviate %s: %w", x.o.HTTP, err)
}

// Class is the name of the index's class.
func (x *Index) Class() string { return x.class }

// Replication is the class's replication factor.
func (x *Index) Replication() int { return x.rf }

// Shards is the class's number of physical shards.
func (x *Index) Shards() int { return x.shards }

// ObjectID is the object id of item id under model version ver: a UUID v5
// (SHA-1, RFC 4122) of "rgunit/<ver>/<id>" in a fixed namespace.
func ObjectID(ver, id uint64) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8} // RFC 4122's URL namespace
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte("rgunit/" + strconv.FormatUint(ver, 10) + "/" + strconv.FormatUint(id, 10)))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// AddObjects inserts or overwrites objects with gRPC batches of up to 1000.
func (x *Index) AddObjects(ctx context.Context, objs []Object) error {
	if x.closed.Load() {
		return ErrClosed
	}
	for _, o := range objs {
		if err := x.checkObject(o); err != nil {
			return err
		}
	}
	for lo := 0; lo < len(objs); lo += 1000 {
		batch := objs[lo:min(lo+1000, len(objs))]
		ms := make([]*models.Object, len(batch))
		for i, o := range batch {
			props := map[string]any{"item": int64(o.ID)}
			for a, name := range x.spec.Attrs {
				v := 0
				if o.Attrs != nil {
					v = int(o.Attrs[a])
				}
				props[attrProp(name)] = v
			}
			ms[i] = &models.Object{Class: x.class, ID: strfmtUUID(ObjectID(x.spec.Version, o.ID)), Vector: o.Vector, Properties: props}
		}
		if err := x.sendBatch(ctx, batch, ms); err != nil {
			return err
		}
	}
	return nil
}

// sendBatch sends one batch of objects. A batch refused while another
// client's config update has the store read-only is sent again (the
// objects' ids are fixed, so a second send only overwrites), up to
// configRetries times, configWait apart.
func (x *Index) sendBatch(ctx context.Context, batch []Object, ms []*models.Object) error {
	x.configMu.RLock()
	defer x.configMu.RUnlock()
	for try := 0; ; try++ {
		resp, err := x.c.Batch().ObjectsBatcher().WithObjects(ms...).Do(ctx)
		if err != nil {
			return x.wrap(fmt.Errorf("batch of %d: %w", len(batch), err))
		}
		var msgs []string
		readOnly := true
		for i, r := range resp {
			if r.Result != nil && r.Result.Errors != nil {
				for _, e := range r.Result.Errors.Error {
					msgs = append(msgs, fmt.Sprintf("item %d: %s", batch[min(i, len(batch)-1)].ID, e.Message))
					readOnly = readOnly && strings.Contains(e.Message, "read-only due to")
				}
			}
		}
		if len(msgs) == 0 {
			return nil
		}
		if !readOnly || try == configRetries {
			return fmt.Errorf("%w: %d error(s), first: %s", ErrBatch, len(msgs), msgs[0])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(configWait):
		}
	}
}

// configRetries and configWait bound how long a write waits out another
// client's class config update.
const (
	configRetries = 10
	configWait    = 200 * time.Millisecond
)

func (x *Index) checkObject(o Object) error {
	if len(o.Vector) != x.spec.Dim {
		return fmt.Errorf("%w: item %d: got %d, index has %d", index.ErrDimension, o.ID, len(o.Vector), x.spec.Dim)
	}
	for i, v := range o.Vector {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: item %d: component %d is %v", index.ErrNotFinite, o.ID, i, v)
		}
	}
	if o.Attrs != nil && len(o.Attrs) != len(x.spec.Attrs) {
		return fmt.Errorf("%w: item %d has %d attribute values, the class %d", ErrQuery, o.ID, len(o.Attrs), len(x.spec.Attrs))
	}
	return nil
}

// Add inserts one vector without attribute values ([index.Index]).
func (x *Index) Add(ctx context.Context, id uint64, vec []float32) error {
	return x.AddObjects(ctx, []Object{{ID: id, Vector: vec}})
}

// Delete removes an item; deleting an absent item is not an error.
func (x *Index) Delete(ctx context.Context, id uint64) error { return x.DeleteIDs(ctx, []uint64{id}) }

// DeleteIDs removes items, absent ones ignored.
func (x *Index) DeleteIDs(ctx context.Context, ids []uint64) error {
	if x.closed.Load() {
		return ErrClosed
	}
	x.configMu.RLock()
	defer x.configMu.RUnlock()
	for _, id := range ids {
		err := x.c.Data().Deleter().WithClassName(x.class).WithID(ObjectID(x.spec.Version, id)).Do(ctx)
		if err != nil && !notFound(err) {
			return x.wrap(fmt.Errorf("delete item %d: %w", id, err))
		}
	}
	return nil
}

// Count is the number of objects in the class.
func (x *Index) Count(ctx context.Context) (int, error) {
	if x.closed.Load() {
		return 0, ErrClosed
	}
	resp, err := x.c.GraphQL().Raw().WithQuery(fmt.Sprintf("{Aggregate{%s{meta{count}}}}", x.class)).Do(ctx)
	if err != nil {
		return 0, x.wrap(err)
	}
	if len(resp.Errors) > 0 {
		return 0, x.wrap(errors.New(resp.Errors[0].Message))
	}
	agg, _ := resp.Data["Aggregate"].(map[string]any)
	rows, _ := agg[x.class].([]any)
	if len(rows) != 1 {
		return 0, x.wrap(fmt.Errorf("count of %s: unexpected answer %v", x.class, resp.Data))
	}
	meta, _ := rows[0].(map[string]any)["meta"].(map[string]any)
	return intOf(meta["count"]), nil
}

// Len is Count, 0 when the cluster does not answer ([index.Index]).
func (x *Index) Len() int {
	n, _ := x.Count(context.Background())
	return n
}

// Query is a search.
type Query struct {
	Vector []float32
	K      int
	// Ef is the beam width; non-zero and different from the class's, it
	// becomes the class's (for every client of the class).
	Ef int
	// Where requires attribute values: index in Spec.Attrs -> +1 or -1.
	Where map[int]int8
	// Exclude is an item never returned (0: none).
	Exclude uint64
}

// Answer is a search's results; Partial is set (with AllowPartial) when
// some shard had no healthy replica.
type Answer struct {
	Results []index.Result
	Partial bool
	Health  Health
}

// Find searches, then checks that every shard of the class was reachable.
func (x *Index) Find(ctx context.Context, q Query) (Answer, error) {
	if x.closed.Load() {
		return Answer{}, ErrClosed
	}
	if q.K <= 0 || q.Ef < 0 || (q.Ef != 0 && q.Ef < q.K) {
		return Answer{}, fmt.Errorf("%w: k = %d, ef = %d", index.ErrBadK, q.K, q.Ef)
	}
	if len(q.Vector) != x.spec.Dim {
		return Answer{}, fmt.Errorf("%w: got %d, index has %d", index.ErrDimension, len(q.Vector), x.spec.Dim)
	}
	if q.Ef != 0 {
		if err := x.SetEf(ctx, q.Ef); err != nil {
			return Answer{}, err
		}
	}
	var ops []*filters.WhereBuilder
	for a, v := range q.Where {
		if a < 0 || a >= len(x.spec.Attrs) || (v != 1 && v != -1) {
			return Answer{}, fmt.Errorf("%w: filter on attribute %d = %d", ErrQuery, a, v)
		}
		ops = append(ops, filters.Where().WithPath([]string{attrProp(x.spec.Attrs[a])}).WithOperator(filters.Equal).WithValueInt(int64(v)))
	}
	if q.Exclude != 0 {
		ops = append(ops, filters.Where().WithPath([]string{"item"}).WithOperator(filters.NotEqual).WithValueInt(int64(q.Exclude)))
	}
	var where *filters.WhereBuilder
	switch len(ops) {
	case 0:
	case 1:
		where = ops[0]
	default:
		where = filters.Where().WithOperator(filters.And).WithOperands(ops)
	}
	// While the cluster settles after losing a node, its status call
	// fails or a member reports itself not ready: search again until it
	// settles (up to Settle), so that the answer comes with a status
	// taken after it.
	deadline := time.Now().Add(x.o.Settle)
	for {
		a, err := x.find(ctx, q, where)
		if err != nil {
			return Answer{}, err
		}
		if a.Health, err = x.Health(ctx); err != nil {
			if errors.Is(err, errUnsettled) && time.Now().Before(deadline) {
				if err := pause(ctx); err != nil {
					return Answer{}, err
				}
				continue
			}
			return Answer{}, err
		}
		if !a.Health.Complete() {
			if a.Health.settling && time.Now().Before(deadline) {
				// A member is up but not ready: ask again rather than
				// call a shard lost that a replica will serve shortly.
				if err := pause(ctx); err != nil {
					return Answer{}, err
				}
				continue
			}
			if !x.o.AllowPartial {
				return Answer{}, fmt.Errorf("%w: %s (pass --allow-partial for results marked partial)", ErrPartial, a.Health)
			}
			a.Partial = true
		}
		return a, nil
	}
}

// pause waits a quarter second between looks at a settling cluster.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(250 * time.Millisecond):
		return nil
	}
}

func (x *Index) find(ctx context.Context, q Query, where *filters.WhereBuilder) (Answer, error) {
	s := x.c.Experimental().Search().WithCollection(x.class).WithLimit(q.K).
		WithNearVector((&graphql.NearVectorArgumentBuilder{}).WithVector(q.Vector)).
		WithProperties("item").WithMetadata(&graphql.Metadata{ID: true, Distance: true})
	if where != nil {
		s = s.WithWhere(where)
	}
	res, err := s.Do(ctx)
	if err != nil {
		return Answer{}, x.wrap(fmt.Errorf("search %s: %w", x.class, err))
	}
	var a Answer
	for _, r := range res {
		id := intOf(r.Properties["item"])
		if id <= 0 {
			return Answer{}, fmt.Errorf("weaviate: object %s of %s has no item id", r.ID, x.class)
		}
		a.Results = append(a.Results, index.Result{ID: uint64(id), Distance: r.Metadata.Distance})
	}
	return a, nil
}

// Search is Find without where-filters ([index.Index]); opts.Filter is
// applied here, fetching more results until k pass it. A partial answer
// is an error unless Options.AllowPartial.
func (x *Index) Search(ctx context.Context, q []float32, k int, opts *index.SearchOptions) ([]index.Result, error) {
	var o index.SearchOptions
	if opts != nil {
		o = *opts
	}
	fetch := k
	for {
		a, err := x.Find(ctx, Query{Vector: q, K: fetch, Ef: o.Ef})
		if err != nil {
			return nil, err
		}
		if o.Filter == nil {
			return a.Results, nil
		}
		var out []index.Result
		for _, r := range a.Results {
			if o.Filter(r.ID) {
				out = append(out, r)
			}
		}
		if len(out) >= k || len(a.Results) < fetch || fetch >= 1<<16 {
			return out[:min(k, len(out))], nil
		}
		fetch *= 4
	}
}

// SetEf sets the class's HNSW ef when it differs. A search at the
// class's ef takes the lock shared, so it never waits for a write.
func (x *Index) SetEf(ctx context.Context, ef int) error {
	x.configMu.RLock()
	same := ef == x.ef
	x.configMu.RUnlock()
	if same {
		return nil
	}
	x.configMu.Lock()
	defer x.configMu.Unlock()
	if ef == x.ef {
		return nil
	}
	cl, err := x.c.Schema().ClassGetter().WithClassName(x.class).Do(ctx)
	if err != nil {
		return x.wrap(err)
	}
	m, ok := cl.VectorIndexConfig.(map[string]any)
	if !ok {
		return fmt.Errorf("weaviate: class %s has no vector index config", x.class)
	}
	m["ef"] = ef
	if err := x.c.Schema().ClassUpdater().WithClass(cl).Do(ctx); err != nil {
		return x.wrap(fmt.Errorf("set ef of %s: %w", x.class, err))
	}
	x.ef = ef
	return nil
}

// Drop deletes the class and every object in it.
func (x *Index) Drop(ctx context.Context) error {
	return x.wrap(x.c.Schema().ClassDeleter().WithClassName(x.class).Do(ctx))
}

// Close releases the index; safe to call more than once.
func (x *Index) Close() error {
	x.closed.Store(true)
	return nil
}

var _ index.Index = (*Index)(nil)

// DropClass deletes the class of model version ver on x's cluster (under
// x's prefix), if it exists.
func DropClass(ctx context.Context, x *Index, ver uint64) error {
	if ver == x.spec.Version {
		return fmt.Errorf("%w: DropClass of the index's own version %d (use Drop)", ErrQuery, ver)
	}
	err := x.c.Schema().ClassDeleter().WithClassName(x.o.Class(Spec{Version: ver})).Do(ctx)
	if err != nil && !notFound(err) {
		return x.wrap(err)
	}
	return nil
}
