package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"

	"rgunit/internal/guard"
)

// ErrDamaged: the database file is damaged (truncated, or pages that bbolt
// cannot read). Restore a backup; rgunit check says what is damaged.
var ErrDamaged = errors.New("storage: the database file is damaged")

// bbolt's meta page, after the 16-byte page header: magic, version, page
// size, flags (4 bytes each), the root bucket (16), the freelist page (8),
// the high-water page id (8), the transaction id (8), then an FNV-64a of
// all that.
const (
	metaAt       = 16
	metaPageSize = metaAt + 8
	metaPgid     = metaAt + 40
	metaTxid     = metaAt + 48
	metaSum      = metaAt + 56
)

// checkSize refuses a file shorter than its valid meta page says it is:
// bbolt maps the file and would fault (SIGBUS) reading the missing pages.
// It reads the two meta pages itself; when neither is valid it leaves the
// verdict to bbolt's own checks.
func checkSize(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var best struct {
		txid, need uint64
		ok         bool
	}
	// Meta page 0 is at offset 0, page 1 one page in (bbolt's page size:
	// the operating system's, or ours, 16 KiB).
	for _, off := range []int64{0, 4096, 8192, 16384, 32768, 65536} {
		var page [metaSum + 8]byte
		if _, err := f.ReadAt(page[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		h := fnv.New64a()
		h.Write(page[metaAt:metaSum])
		if binary.LittleEndian.Uint32(page[metaAt:]) != boltMagic || h.Sum64() != binary.LittleEndian.Uint64(page[metaSum:]) {
			continue
		}
		size := uint64(binary.LittleEndian.Uint32(page[metaPageSize:]))
		pgid, txid := binary.LittleEndian.Uint64(page[metaPgid:]), binary.LittleEndian.Uint64(page[metaTxid:])
		if size == 0 || (off != 0 && uint64(off) != size) || pgid > 1<<40 {
			continue
		}
		if !best.ok || txid > best.txid {
			best.txid, best.need, best.ok = txid, pgid*size, true
		}
	}
	if best.ok && uint64(fi.Size()) < best.need {
		return fmt.Errorf("%w: %s is %d bytes, its header says %d (truncated): restore a backup", ErrDamaged, path, fi.Size(), best.need)
	}
	return nil
}

// guarded runs fn (a transaction, or bbolt's open), turning a panic of bbolt
// (it asserts with panics) or a memory fault while reading the mapped file
// into an error wrapping ErrDamaged that names path.
func guarded(path string, fn func() error) error {
	return guard.Do(fn, func(reason string) error {
		return fmt.Errorf("%w: %s: %s (restore a backup; rgunit check --db %s says what is damaged)", ErrDamaged, path, reason, path)
	})
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// seal returns a record to store: b followed by its CRC-32C when the
// database checksums its records (b's capacity may be used).
func (s *Store) seal(b []byte) []byte {
	if !s.sums {
		return b
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// unseal checks a stored record's CRC-32C and returns its content (a
// sub-slice of v); what names the record in the error.
func (s *Store) unseal(v []byte, what string) ([]byte, error) {
	if !s.sums {
		return v, nil
	}
	if len(v) < 4 || crc32.Checksum(v[:len(v)-4], castagnoli) != binary.LittleEndian.Uint32(v[len(v)-4:]) {
		return nil, fmt.Errorf("%w: %s: %s fails its checksum (restore a backup; rgunit check --db %s lists the damage)", ErrDamaged, s.path, what, s.path)
	}
	return v[:len(v)-4], nil
}

// decodeItem checks and decodes an item record.
func (s *Store) decodeItem(id uint64, v []byte) (Item, error) {
	body, err := s.unseal(v, fmt.Sprintf("item %d's record", id))
	if err != nil {
		return Item{}, err
	}
	return decodeItem(id, body)
}
