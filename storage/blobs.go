package storage

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// PutModel stores a model blob under name and returns its new version
// (1, 2, ... per name).
func (s *Store) PutModel(name string, blob []byte) (uint64, error) {
	vers, err := s.PutModels(ModelPut{Name: name, Blob: blob})
	if err != nil {
		return 0, err
	}
	return vers[0], nil
}

// PutModelKeep stores a model blob as a new version and deletes all but
// the latest keep versions (a checkpoint and its pruning), in one
// transaction.
func (s *Store) PutModelKeep(name string, blob []byte, keep int) (uint64, error) {
	vers, err := s.PutModels(ModelPut{Name: name, Blob: blob, Keep: keep})
	if err != nil {
		return 0, err
	}
	return vers[0], nil
}

// ModelPut is one model blob for PutModels: stored as a new version of
// Name; with Keep > 0, all but the latest Keep versions are deleted.
type ModelPut struct {
	Name string
	Blob []byte
	Keep int
}

// PutModels stores several model blobs in one transaction (all or none:
// models that only work together, such as a bundle's) and returns their
// new versions.
func (s *Store) PutModels(puts ...ModelPut) ([]uint64, error) {
	for _, p := range puts {
		if p.Name == "" || len(p.Name) > 255 {
			return nil, fmt.Errorf("%w: model name %q", ErrInvalid, p.Name)
		}
	}
	vers := make([]uint64, len(puts))
	err := s.update(func(tx *bolt.Tx) error {
		for i, p := range puts {
			b, err := tx.Bucket(bucketModels).CreateBucketIfNotExists([]byte(p.Name))
			if err != nil {
				return err
			}
			if vers[i], err = b.NextSequence(); err != nil {
				return err
			}
			if err := b.Put(idKey(vers[i]), s.seal(slices.Clip(p.Blob))); err != nil {
				return err
			}
			if p.Keep > 0 {
				if _, err := pruneModels(b, p.Keep); err != nil {
					return fmt.Errorf("pruning %s: %w", p.Name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vers, nil
}

// NextModelVersion is the version the next PutModel of name will get.
func (s *Store) NextModelVersion(name string) (uint64, error) {
	var next uint64
	err := s.view(func(tx *bolt.Tx) error {
		next = 1
		if b := tx.Bucket(bucketModels).Bucket([]byte(name)); b != nil {
			next = b.Sequence() + 1
		}
		return nil
	})
	return next, err
}

// Model returns a model blob; version 0 means the latest. The error wraps
// ErrNotFound when there is none.
func (s *Store) Model(name string, version uint64) ([]byte, uint64, error) {
	var blob []byte
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels).Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("%w: model %q", ErrNotFound, name)
		}
		var k, v []byte
		if version == 0 {
			k, v = b.Cursor().Last()
		} else {
			k, v = idKey(version), b.Get(idKey(version))
		}
		if v == nil {
			return fmt.Errorf("%w: model %q version %d", ErrNotFound, name, version)
		}
		version = binary.BigEndian.Uint64(k)
		body, err := s.unseal(v, fmt.Sprintf("model %s version %d", name, version))
		blob = slices.Clone(body)
		return err
	})
	return blob, version, err
}

// PutVectors stores one vector per id under a model version, in one
// transaction. Ids must be stored items.
func (s *Store) PutVectors(model string, ids []uint64, vecs [][]float32) error {
	return s.PutVectorSets(VectorSet{Model: model, IDs: ids, Vecs: vecs})
}

// VectorSet is vectors for PutVectorSets: Vecs[i] is item IDs[i]'s under
// Model.
type VectorSet struct {
	Model string
	IDs   []uint64
	Vecs  [][]float32
}

// PutVectorSets stores several sets of vectors in one transaction (an
// item's embedding and its attribute posteriors: both or neither). Ids
// must be stored items.
func (s *Store) PutVectorSets(sets ...VectorSet) error {
	for _, v := range sets {
		if v.Model == "" || len(v.IDs) != len(v.Vecs) {
			return fmt.Errorf("%w: model %q, %d ids, %d vectors", ErrInvalid, v.Model, len(v.IDs), len(v.Vecs))
		}
	}
	return s.update(func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		for _, v := range sets {
			b, err := tx.Bucket(bucketVectors).CreateBucketIfNotExists([]byte(v.Model))
			if err != nil {
				return err
			}
			for i, id := range v.IDs {
				if items.Get(idKey(id)) == nil {
					return fmt.Errorf("%w: id %d", ErrNotFound, id)
				}
				buf := make([]byte, 0, 4*len(v.Vecs[i])+4)
				for _, f := range v.Vecs[i] {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
				}
				if err := b.Put(idKey(id), s.seal(buf)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Vector returns an item's vector under a model version.
func (s *Store) Vector(model string, id uint64) ([]float32, error) {
	var vec []float32
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVectors).Bucket([]byte(model))
		var v []byte
		if b != nil {
			v = b.Get(idKey(id))
		}
		if v == nil {
			return fmt.Errorf("%w: vector of id %d under model %q", ErrNotFound, id, model)
		}
		v, err := s.unseal(v, fmt.Sprintf("item %d's %s vector", id, model))
		if err != nil {
			return err
		}
		if len(v)%4 != 0 {
			return fmt.Errorf("%w: vector of id %d is %d bytes", ErrCorrupt, id, len(v))
		}
		vec = make([]float32, len(v)/4)
		for i := range vec {
			vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
		}
		return nil
	})
	return vec, err
}

// PruneModels deletes all but the latest keep versions of a model (at least
// one is always kept) and returns how many it deleted. Versions are never
// reused.
func (s *Store) PruneModels(name string, keep int) (int, error) {
	removed := 0
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels).Bucket([]byte(name))
		if b == nil {
			return nil
		}
		var err error
		removed, err = pruneModels(b, keep)
		return err
	})
	return removed, err
}

// pruneModels deletes all but the latest keep (at least 1) versions in a
// model's bucket.
func pruneModels(b *bolt.Bucket, keep int) (int, error) {
	keep = max(keep, 1)
	var old [][]byte
	c := b.Cursor()
	n := 0
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if n++; n > keep {
			old = append(old, slices.Clone(k))
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// ForEachVector calls fn with every id and vector stored under a model
// version, in id order (none when there are none).
func (s *Store) ForEachVector(model string, fn func(id uint64, vec []float32) error) error {
	return s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVectors).Bucket([]byte(model))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) == 8 {
				var err error
				if v, err = s.unseal(v, fmt.Sprintf("item %d's %s vector", binary.BigEndian.Uint64(k), model)); err != nil {
					return err
				}
			}
			if len(k) != 8 || len(v)%4 != 0 {
				return fmt.Errorf("%w: vector record of %d+%d bytes under model %q", ErrCorrupt, len(k), len(v), model)
			}
			vec := make([]float32, len(v)/4)
			for i := range vec {
				vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
			}
			return fn(binary.BigEndian.Uint64(k), vec)
		})
	})
}

// DropVectors deletes every vector stored under a model version.
func (s *Store) DropVectors(model string) error {
	return s.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketVectors).DeleteBucket([]byte(model))
		if err == bolt.ErrBucketNotFound {
			return nil
		}
		return err
	})
}

// Indexes lists the indexes kept in the store (the sub-buckets of
// IndexBucket).
func (s *Store) Indexes() ([]string, error) {
	var names []string
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIndex).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// DropIndex deletes an index kept in the store (close it first).
func (s *Store) DropIndex(name string) error {
	return s.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketIndex).DeleteBucket([]byte(name))
		if err == bolt.ErrBucketNotFound {
			return nil
		}
		return err
	})
}

// VectorSets lists the model versions that have vectors stored.
func (s *Store) VectorSets() ([]string, error) {
	var names []string
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVectors).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// ModelVersions lists the stored versions of every model, by name.
func (s *Store) ModelVersions() (map[string][]uint64, error) {
	out := map[string][]uint64{}
	err := s.view(func(tx *bolt.Tx) error {
		models := tx.Bucket(bucketModels)
		return models.ForEachBucket(func(name []byte) error {
			return models.Bucket(name).ForEach(func(k, _ []byte) error {
				if len(k) == 8 {
					out[string(name)] = append(out[string(name)], binary.BigEndian.Uint64(k))
				}
				return nil
			})
		})
	})
	return out, err
}
