package storage

import (
	bolt "go.etcd.io/bbolt"
)

// Tx is a transaction on the store: several writes through it commit
// together or not at all. Packages that keep records of their own in the
// database file (the retrieval index, under [IndexBucket]) write them
// through Bolt in the same transaction.
type Tx struct {
	tx *bolt.Tx
	s  *Store
}

// Update runs fn in a read-write transaction, committed when fn returns
// nil and rolled back otherwise.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, s: s}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.view(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, s: s}) })
}

// Bolt is the transaction's bbolt transaction, for the records other
// packages keep in the file; it is valid only inside the function given to
// Update or View.
func (t *Tx) Bolt() *bolt.Tx { return t.tx }

// Delete deletes items with their images and vectors; an unknown id fails
// the transaction before anything is deleted.
func (t *Tx) Delete(ids ...uint64) error { return t.s.deleteItems(t.tx, ids) }

// MarkPending records ops to replay on a remote index under name (see
// Store.MarkPending).
func (t *Tx) MarkPending(name string, op byte, ids []uint64) error {
	return markPending(t.tx, name, op, ids)
}
