// Package weaviate keeps rgunit's retrieval index on a Weaviate cluster, for
// retrieval sets that outgrow one machine. [Index] implements
// [rgunit/index.Index] over Weaviate's gRPC batch and search APIs, plus
// what rgunit needs besides: label where-filters, shard readiness checks
// and partial-answer detection.
//
// The types are few: [Options] (parsed from a weaviate:// URL with
// [ParseURL]), [Spec] (the class an index lives in), [Index] (open with
// [Open], close with [Index.Close]), [Object] (one item to add) and
// [Health] (what the cluster says of the class's shards).
//
// # Data model
//
// One Weaviate class (collection) per rgunit database and retrieval model
// version, named Prefix + "V" + version (prefix from the URL's path,
// "Rgunit" by default). One object per item:
//
//	id        UUID v5 of "rgunit/<version>/<item id>" in a fixed namespace:
//	          the same item and model always get the same object, so a
//	          retried batch overwrites instead of duplicating
//	vector    the item's embedding (distance l2-squared, as the embedded index)
//	item      int: the item id in the bbolt store (the source of truth)
//	a_<Attr>  int per attribute of the model: +1 / -1, the known label, else
//	          the sign of the predicted one (0 when undecided), so that
//	          rgunit's label filters become Weaviate where-filters
//
// Classes are created with replication factor 2 (or Options.Replication)
// when the cluster has two nodes or more, one shard per node.
//
// # Partial answers
//
// With a node down, Weaviate answers a search from the shards it can reach
// and reports no error: with replication factor 1 the answer silently
// misses a part of the data. Every search here is followed by a check of
// the class's shards (GET /v1/nodes/<class>?output=verbose): unless every
// shard has a replica on a healthy node, the search fails with
// [ErrPartial], or, with Options.AllowPartial, returns its results marked
// partial.
package weaviate
