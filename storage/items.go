package storage

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Record is one image handed to Add: the item's metadata and its normalized
// image as PNG bytes.
type Record struct {
	Hash   [32]byte
	Path   string
	Width  int
	Height int
	Labels Labels
	// PNG is the normalized image. It may be nil when the caller already
	// knows the hash is stored (a duplicate needs no image).
	PNG []byte
}

// Outcome says what Add did with one record.
type Outcome uint8

const (
	// Added: a new item was created.
	Added Outcome = iota
	// Duplicate: an item with the same content hash already existed.
	Duplicate
	// Relabelled: a duplicate whose stored labels were updated from the record.
	Relabelled
)

func (o Outcome) String() string {
	switch o {
	case Added:
		return "added"
	case Duplicate:
		return "duplicate"
	case Relabelled:
		return "relabelled"
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// AddResult is the fate of one record passed to Add.
type AddResult struct {
	ID      uint64
	Outcome Outcome
}

// Add stores the records in one transaction: all of them or none. A record
// whose content hash is already stored (earlier, or earlier in the same
// call) becomes a Duplicate of that item; if it carries labels that differ
// from the stored ones, they are merged into the stored item (the record's
// values win) and the outcome is Relabelled.
func (s *Store) Add(recs []Record) ([]AddResult, error) {
	for i := range recs {
		if err := validateLabels(recs[i].Labels); err != nil {
			return nil, fmt.Errorf("record %d (%s): %w", i, recs[i].Path, err)
		}
		if len(recs[i].Path) > maxRecordString {
			return nil, fmt.Errorf("%w: record %d: path of %d bytes", ErrInvalid, i, len(recs[i].Path))
		}
	}
	res := make([]AddResult, len(recs))
	now := time.Now()
	err := s.update(func(tx *bolt.Tx) error {
		items, images, hashes := tx.Bucket(bucketItems), tx.Bucket(bucketImages), tx.Bucket(bucketHashes)
		items.FillPercent, images.FillPercent = 1.0, 1.0 // ids only grow
		for i := range recs {
			r := &recs[i]
			if v := hashes.Get(r.Hash[:]); v != nil {
				id := binary.BigEndian.Uint64(v)
				res[i] = AddResult{ID: id, Outcome: Duplicate}
				if len(r.Labels) == 0 {
					continue
				}
				it, err := s.decodeItem(id, items.Get(idKey(id)))
				if err != nil {
					return err
				}
				merged := Labels{}
				for n, v := range it.Labels {
					merged[n] = v
				}
				for n, v := range r.Labels {
					merged[n] = v
				}
				if merged.Equal(it.Labels) {
					continue
				}
				it.Labels = merged
				if err := items.Put(idKey(id), s.seal(encodeItem(&it))); err != nil {
					return err
				}
				res[i].Outcome = Relabelled
				continue
			}
			if len(r.PNG) == 0 {
				return fmt.Errorf("%w: record %d (%s) has no image and is not stored", ErrInvalid, i, r.Path)
			}
			id, err := items.NextSequence()
			if err != nil {
				return err
			}
			it := Item{ID: id, Hash: r.Hash, Path: r.Path, Width: r.Width, Height: r.Height, Labels: r.Labels, Added: now}
			k := idKey(id)
			if err := items.Put(k, s.seal(encodeItem(&it))); err != nil {
				return err
			}
			if err := images.Put(k, s.seal(slices.Clip(r.PNG))); err != nil {
				return err
			}
			if err := hashes.Put(r.Hash[:], k); err != nil {
				return err
			}
			res[i] = AddResult{ID: id, Outcome: Added}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// LookupHash returns the id of the item with this content hash.
func (s *Store) LookupHash(h [32]byte) (uint64, bool, error) {
	var id uint64
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketHashes).Get(h[:]); v != nil {
			id, ok = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	return id, ok, err
}

// Get returns the item with this id, or an error wrapping ErrNotFound.
func (s *Store) Get(id uint64) (Item, error) {
	var it Item
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketItems).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("%w: id %d", ErrNotFound, id)
		}
		var err error
		it, err = s.decodeItem(id, v)
		return err
	})
	return it, err
}

// Image returns the normalized image of an item as PNG bytes.
func (s *Store) Image(id uint64) ([]byte, error) {
	var png []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketImages).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("%w: id %d", ErrNotFound, id)
		}
		body, err := s.unseal(v, fmt.Sprintf("item %d's image", id))
		png = slices.Clone(body)
		return err
	})
	return png, err
}

// ForEach calls fn for every item in id order, inside one read transaction.
// Returning an error from fn stops the walk and returns that error.
func (s *Store) ForEach(fn func(Item) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: item key of %d bytes", ErrCorrupt, len(k))
			}
			it, err := s.decodeItem(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			return fn(it)
		})
	})
}

// IDsAfter returns the ids above after, in order (the items added since
// an id was the last: ids only grow), reading keys only.
func (s *Store) IDsAfter(after uint64) ([]uint64, error) {
	var ids []uint64
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketItems).Cursor()
		for k, _ := c.Seek(idKey(after + 1)); k != nil; k, _ = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("%w: item key of %d bytes", ErrCorrupt, len(k))
			}
			ids = append(ids, binary.BigEndian.Uint64(k))
		}
		return nil
	})
	return ids, err
}

// LastID returns the largest item id (0: none).
func (s *Store) LastID() (uint64, error) {
	var id uint64
	err := s.view(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketItems).Cursor().Last(); len(k) == 8 {
			id = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	return id, err
}

// Len returns the number of items.
func (s *Store) Len() (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error { n = tx.Bucket(bucketItems).Stats().KeyN; return nil })
	return n, err
}

// Has returns nil when every id is a stored item, else an error wrapping
// ErrNotFound naming the missing ones.
func (s *Store) Has(ids ...uint64) error {
	return s.view(func(tx *bolt.Tx) error {
		var missing []uint64
		for _, id := range ids {
			if tx.Bucket(bucketItems).Get(idKey(id)) == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: ids %v (nothing deleted)", ErrNotFound, missing)
		}
		return nil
	})
}

// Delete removes the items, their images, hashes and vectors in one
// transaction. If any id is unknown nothing is deleted and the error wraps
// ErrNotFound, naming the missing ids.
func (s *Store) Delete(ids ...uint64) error {
	return s.update(func(tx *bolt.Tx) error { return s.deleteItems(tx, ids) })
}

func (s *Store) deleteItems(tx *bolt.Tx, ids []uint64) error {
	items := tx.Bucket(bucketItems)
	var missing []uint64
	for _, id := range ids {
		if items.Get(idKey(id)) == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: ids %v (nothing deleted)", ErrNotFound, missing)
	}
	vectors := tx.Bucket(bucketVectors)
	for _, id := range ids {
		k := idKey(id)
		v := items.Get(k)
		if v == nil { // listed twice
			continue
		}
		it, err := s.decodeItem(id, v)
		if err != nil {
			return err
		}
		for _, del := range []func() error{
			func() error { return items.Delete(k) },
			func() error { return tx.Bucket(bucketImages).Delete(k) },
			func() error { return tx.Bucket(bucketHashes).Delete(it.Hash[:]) },
			func() error {
				return vectors.ForEachBucket(func(name []byte) error { return vectors.Bucket(name).Delete(k) })
			},
		} {
			if err := del(); err != nil {
				return fmt.Errorf("storage: delete %d: %w", id, err)
			}
		}
	}
	return nil
}

// AttrCount counts an attribute's known values.
type AttrCount struct {
	Pos int `json:"pos"`
	Neg int `json:"neg"`
}

// Stats summarizes the database.
type Stats struct {
	Items      int                  `json:"items"`
	Labelled   int                  `json:"labelled"`
	Unlabelled int                  `json:"unlabelled"`
	SizeBytes  int64                `json:"size_bytes"`
	ImageBytes int64                `json:"image_bytes"`
	ModelBytes int64                `json:"model_bytes"` // model checkpoints (every version kept)
	ImageSize  int                  `json:"image_size"`
	Schema     int                  `json:"schema_version"`
	Attributes map[string]AttrCount `json:"attributes"`
	// ModelVersions lists the model versions that have stored vectors, with
	// their vector counts.
	Vectors map[string]int `json:"vectors"`
}

// Stats scans the database once and returns its summary.
func (s *Store) Stats() (Stats, error) {
	st := Stats{ImageSize: s.imageSize, Schema: SchemaVersion, Attributes: map[string]AttrCount{}, Vectors: map[string]int{}}
	err := s.view(func(tx *bolt.Tx) error {
		st.SizeBytes = tx.Size()
		err := tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			it, err := s.decodeItem(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			st.Items++
			if it.Labelled() {
				st.Labelled++
			} else {
				st.Unlabelled++
			}
			for n, v := range it.Labels {
				c := st.Attributes[n]
				if v > 0 {
					c.Pos++
				} else {
					c.Neg++
				}
				st.Attributes[n] = c
			}
			return nil
		})
		if err != nil {
			return err
		}
		crc := 0
		if s.sums {
			crc = 4
		}
		tx.Bucket(bucketImages).ForEach(func(_, v []byte) error { st.ImageBytes += int64(len(v) - crc); return nil })
		models := tx.Bucket(bucketModels)
		models.ForEachBucket(func(name []byte) error {
			return models.Bucket(name).ForEach(func(_, v []byte) error { st.ModelBytes += int64(len(v)); return nil })
		})
		vectors := tx.Bucket(bucketVectors)
		return vectors.ForEachBucket(func(name []byte) error {
			st.Vectors[string(name)] = vectors.Bucket(name).Stats().KeyN
			return nil
		})
	})
	return st, err
}
