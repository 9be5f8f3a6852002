package storage

import (
	"errors"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestEveryFlipDetected: flipping any one byte of an item record, an image
// or a vector (one bit at a time, every byte) makes its read fail with
// ErrDamaged, never return other data.
func TestEveryFlipDetected(t *testing.T) {
	t.Parallel()
	st, _ := openTemp(t, nil)
	if _, err := st.Add([]Record{rec(1, Labels{"Male": 1, "Young": -1})}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutVectors("emb-1", []uint64{1}, [][]float32{{0.5, -1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutModel("m", []byte("a model blob")); err != nil {
		t.Fatal(err)
	}
	reads := []struct {
		name   string
		bucket []string
		key    []byte
		read   func() error
	}{
		{"item", []string{"items"}, idKey(1), func() error { _, err := st.Get(1); return err }},
		{"image", []string{"images"}, idKey(1), func() error { _, err := st.Image(1); return err }},
		{"vector", []string{"vectors", "emb-1"}, idKey(1), func() error { _, err := st.Vector("emb-1", 1); return err }},
		{"vectors walked", []string{"vectors", "emb-1"}, idKey(1), func() error {
			return st.ForEachVector("emb-1", func(uint64, []float32) error { return nil })
		}},
		{"model", []string{"models", "m"}, idKey(1), func() error { _, _, err := st.Model("m", 0); return err }},
	}
	bucket := func(tx *bolt.Tx, path []string) *bolt.Bucket {
		b := tx.Bucket([]byte(path[0]))
		for _, p := range path[1:] {
			b = b.Bucket([]byte(p))
		}
		return b
	}
	for _, r := range reads {
		if err := r.read(); err != nil {
			t.Fatalf("%s before damage: %v", r.name, err)
		}
		var orig []byte
		st.db.View(func(tx *bolt.Tx) error { orig = slices.Clone(bucket(tx, r.bucket).Get(r.key)); return nil })
		for i := range orig {
			for _, bit := range []byte{1, 0x80} {
				bad := slices.Clone(orig)
				bad[i] ^= bit
				st.db.Update(func(tx *bolt.Tx) error { return bucket(tx, r.bucket).Put(r.key, bad) })
				if err := r.read(); !errors.Is(err, ErrDamaged) {
					t.Fatalf("%s: byte %d bit %x flipped: %v", r.name, i, bit, err)
				}
			}
		}
		st.db.Update(func(tx *bolt.Tx) error { return bucket(tx, r.bucket).Put(r.key, orig) })
		if err := r.read(); err != nil {
			t.Fatalf("%s restored: %v", r.name, err)
		}
	}
}
