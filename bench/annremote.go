package bench

import (
	"context"
	"fmt"
	"time"

	"rgunit/index/weaviate"
)

// ANNRemote measures a Weaviate cluster on d as ANN measures the embedded
// index: gRPC batch insert throughput, then recall@10 and single-thread
// QPS at each ef (set on the class before its queries; each search is
// followed by the shard check rgunit does on every query). The class
// (prefix from the URL, "RgunitBench" by default) is dropped before and
// after. d.Truth must be filled (ANN does it first).
func ANNRemote(ctx context.Context, d *ANNData, url string, efs []int, say func(string, ...any)) ([]ANNRow, error) {
	o, err := weaviate.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if o.Prefix == "Rgunit" {
		o.Prefix = "RgunitBench"
	}
	if len(d.Truth) != len(d.Queries) {
		if _, err := d.ExactTruth(ctx, 10); err != nil {
			return nil, err
		}
	}
	dim := len(d.Base[0])
	spec := weaviate.Spec{Version: 1, Dim: dim}
	x, err := weaviate.Open(ctx, o, spec)
	if err != nil {
		return nil, err
	}
	if err := x.Drop(ctx); err != nil {
		return nil, err
	}
	if x, err = weaviate.Open(ctx, o, spec); err != nil {
		return nil, err
	}
	defer x.Drop(context.Background())
	h, err := x.Health(ctx)
	if err != nil {
		return nil, err
	}
	say("%s: weaviate %s: %d node(s), %d shard(s), replication %d; inserting %d vectors (gRPC batches of 1000)", d.Name, o.HTTP, h.Nodes, x.Shards(), x.Replication(), len(d.Base))
	objs := make([]weaviate.Object, len(d.Base))
	for i, v := range d.Base {
		objs[i] = weaviate.Object{ID: uint64(i + 1), Vector: v}
	}
	start := time.Now()
	for lo := 0; lo < len(objs); lo += 10_000 {
		if err := x.AddObjects(ctx, objs[lo:min(lo+10_000, len(objs))]); err != nil {
			return nil, err
		}
	}
	insert := time.Since(start).Seconds()
	// Weaviate may index asynchronously: wait until every object counts.
	for {
		n, err := x.Count(ctx)
		if err != nil {
			return nil, err
		}
		if n >= len(objs) {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return nil, fmt.Errorf("bench: weaviate holds %d of %d objects after 10 minutes", n, len(objs))
		}
		time.Sleep(200 * time.Millisecond)
	}
	say("%s: weaviate inserted %d vectors in %.1f s (%.0f/s)", d.Name, len(objs), insert, float64(len(objs))/insert)
	var rows []ANNRow
	raw := float64(4 * dim)
	engine := fmt.Sprintf("weaviate-%dn", h.Nodes)
	for _, ef := range efs {
		recall, qps, _, err := measure(x, d, ef)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ANNRow{Dataset: d.Name, Engine: engine, Ef: ef, Recall: recall, QPS: qps,
			BuildSeconds: insert, Nodes: h.Nodes, Replication: x.Replication(), InsertPerSec: float64(len(objs)) / insert, RawBytesPerVec: raw})
		say("%s: %s ef=%d recall@10=%.4f qps=%.0f", d.Name, engine, ef, recall, qps)
	}
	return rows, nil
}
