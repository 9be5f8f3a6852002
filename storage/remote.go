package storage

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A database whose index lives on a remote engine keeps two things here:
// the engine's address (meta "index_url") and, per index name, the items
// whose change the engine has not acknowledged yet (bucket "remote",
// created on first use, so older files need no migration).
var (
	bucketRemote = []byte("remote")
	keyIndexURL  = []byte("index_url")
	// keyIndexQuantize: the embedded index's vectors, "sq8" or absent
	// (float).
	keyIndexQuantize = []byte("index_quantize")
)

// Pending operations.
const (
	PendingAdd    byte = 'a'
	PendingDelete byte = 'd'
)

// IndexURL is the remote index the database uses ("" for the embedded one).
func (s *Store) IndexURL() (string, error) { return s.metaString(keyIndexURL) }

// SetIndexURL records the remote index ("" goes back to the embedded one).
func (s *Store) SetIndexURL(u string) error { return s.setMetaString(keyIndexURL, u, 4096) }

// IndexQuantize is how the embedded index keeps its vectors: "sq8", or ""
// for float.
func (s *Store) IndexQuantize() (string, error) { return s.metaString(keyIndexQuantize) }

// SetIndexQuantize records how the embedded index keeps its vectors ("" or
// "float": float); an index already built keeps its own until rebuilt.
func (s *Store) SetIndexQuantize(q string) error {
	if q == "float" {
		q = ""
	}
	return s.setMetaString(keyIndexQuantize, q, 16)
}

// metaString reads a string kept under key in the meta bucket ("" when
// there is none).
func (s *Store) metaString(key []byte) (string, error) {
	var v string
	err := s.view(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(key))
		return nil
	})
	return v, err
}

// setMetaString keeps v (at most limit bytes) under key in the meta
// bucket; "" deletes it.
func (s *Store) setMetaString(key []byte, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("%w: %s of %d bytes", ErrInvalid, key, len(v))
	}
	return s.update(func(tx *bolt.Tx) error {
		if v == "" {
			return tx.Bucket(bucketMeta).Delete(key)
		}
		return tx.Bucket(bucketMeta).Put(key, []byte(v))
	})
}

// MarkPending records op (PendingAdd or PendingDelete) for ids under an
// index name; a later op on the same id replaces an earlier one.
func (s *Store) MarkPending(name string, op byte, ids []uint64) error {
	if name == "" || (op != PendingAdd && op != PendingDelete) {
		return fmt.Errorf("%w: pending %q op %q", ErrInvalid, name, op)
	}
	return s.update(func(tx *bolt.Tx) error { return markPending(tx, name, op, ids) })
}

func markPending(tx *bolt.Tx, name string, op byte, ids []uint64) error {
	if name == "" || (op != PendingAdd && op != PendingDelete) {
		return fmt.Errorf("%w: pending %q op %q", ErrInvalid, name, op)
	}
	r, err := tx.CreateBucketIfNotExists(bucketRemote)
	if err != nil {
		return err
	}
	b, err := r.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := b.Put(idKey(id), []byte{op}); err != nil {
			return err
		}
	}
	return nil
}

// ClearPending forgets the pending ops of ids under name.
func (s *Store) ClearPending(name string, ids []uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		b := pendingBucket(tx, name)
		if b == nil {
			return nil
		}
		for _, id := range ids {
			if err := b.Delete(idKey(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Pending returns the ids with a pending op under name, by op, in id order.
func (s *Store) Pending(name string) (adds, deletes []uint64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := pendingBucket(tx, name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) != 1 {
				return fmt.Errorf("%w: pending record under %s", ErrCorrupt, name)
			}
			id := binary.BigEndian.Uint64(k)
			if v[0] == PendingDelete {
				deletes = append(deletes, id)
			} else {
				adds = append(adds, id)
			}
			return nil
		})
	})
	return adds, deletes, err
}

// PendingCount is how many ids have a pending op under name.
func (s *Store) PendingCount(name string) (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error {
		if b := pendingBucket(tx, name); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// DropPending forgets every pending op under name.
func (s *Store) DropPending(name string) error {
	return s.update(func(tx *bolt.Tx) error {
		r := tx.Bucket(bucketRemote)
		if r == nil || r.Bucket([]byte(name)) == nil {
			return nil
		}
		return r.DeleteBucket([]byte(name))
	})
}

func pendingBucket(tx *bolt.Tx, name string) *bolt.Bucket {
	r := tx.Bucket(bucketRemote)
	if r == nil {
		return nil
	}
	return r.Bucket([]byte(name))
}

// keyModelChoice records that a database was created without models
// (ingest --model none), so that a later ingest does not give it the
// shipped ones.
var keyModelChoice = []byte("model_choice")

// ModelChoice is what the database's creator chose for its models: "none",
// or "" (the default: the shipped bundle, or models trained in it).
func (s *Store) ModelChoice() (string, error) { return s.metaString(keyModelChoice) }

// SetModelChoice records the creator's choice of models ("" clears it).
func (s *Store) SetModelChoice(c string) error { return s.setMetaString(keyModelChoice, c, 255) }
