package storage

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Labels maps an attribute name to +1 or -1. An attribute that is absent is
// unknown; a nil or empty Labels means the item is unlabelled.
type Labels map[string]int8

// Names returns the attribute names in sorted order.
func (l Labels) Names() []string {
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// String formats the labels as "Black_Hair,-Male,Young" in name order.
func (l Labels) String() string {
	var b strings.Builder
	for i, n := range l.Names() {
		if i > 0 {
			b.WriteByte(',')
		}
		if l[n] < 0 {
			b.WriteByte('-')
		}
		b.WriteString(n)
	}
	return b.String()
}

// Equal reports whether two label sets hold the same values.
func (l Labels) Equal(o Labels) bool {
	if len(l) != len(o) {
		return false
	}
	for n, v := range l {
		if w, ok := o[n]; !ok || w != v {
			return false
		}
	}
	return true
}

// Item is what the store knows about one ingested image.
type Item struct {
	ID     uint64
	Hash   [32]byte // sha256 of the original file's bytes
	Path   string   // source path as given to ingest
	Width  int      // original width in pixels
	Height int      // original height in pixels
	Labels Labels   // nil when unlabelled
	Added  time.Time
}

// Labelled reports whether the item carries at least one known label.
func (it Item) Labelled() bool { return len(it.Labels) > 0 }

const recordFormat = 1

// maxRecordString bounds paths and attribute names in a record.
const maxRecordString = 1 << 16

func validateLabels(l Labels) error {
	for n, v := range l {
		if n == "" || len(n) > maxRecordString {
			return fmt.Errorf("%w: attribute name of length %d", ErrInvalid, len(n))
		}
		if v != 1 && v != -1 {
			return fmt.Errorf("%w: label %s=%d (want +1 or -1)", ErrInvalid, n, v)
		}
	}
	return nil
}

// encodeItem serializes an item (without its id, which is the key).
func encodeItem(it *Item) []byte {
	buf := make([]byte, 0, 64+len(it.Path)+16*len(it.Labels))
	buf = append(buf, recordFormat)
	buf = append(buf, it.Hash[:]...)
	buf = binary.AppendUvarint(buf, uint64(it.Width))
	buf = binary.AppendUvarint(buf, uint64(it.Height))
	buf = binary.AppendVarint(buf, it.Added.UnixNano())
	buf = binary.AppendUvarint(buf, uint64(len(it.Path)))
	buf = append(buf, it.Path...)
	buf = binary.AppendUvarint(buf, uint64(len(it.Labels)))
	for _, n := range it.Labels.Names() {
		buf = binary.AppendUvarint(buf, uint64(len(n)))
		buf = append(buf, n...)
		buf = append(buf, byte(it.Labels[n]))
	}
	return buf
}

// decodeItem parses a record written by encodeItem. It never panics: any
// malformed input returns an error wrapping ErrCorrupt.
func decodeItem(id uint64, b []byte) (Item, error) {
	it := Item{ID: id}
	d := decoder{b: b}
	if f := d.byte(); f != recordFormat {
		return it, fmt.Errorf("%w: item %d: record format %d", ErrCorrupt, id, f)
	}
	copy(it.Hash[:], d.bytes(32))
	it.Width = int(d.uvarint(1 << 31))
	it.Height = int(d.uvarint(1 << 31))
	it.Added = time.Unix(0, d.varint()).UTC()
	it.Path = string(d.bytes(int(d.uvarint(maxRecordString))))
	n := int(d.uvarint(maxRecordString))
	if n > 0 && d.err == nil {
		it.Labels = make(Labels, min(n, 256))
		prev := ""
		for i := 0; i < n && d.err == nil; i++ {
			name := string(d.bytes(int(d.uvarint(maxRecordString))))
			v := int8(d.byte())
			if d.err != nil {
				break
			}
			if name == "" || (i > 0 && name <= prev) || (v != 1 && v != -1) {
				d.fail("bad label")
				break
			}
			it.Labels[name] = v
			prev = name
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return Item{ID: id}, fmt.Errorf("%w: item %d: %s", ErrCorrupt, id, d.err.Error())
	}
	return it, nil
}

// decoder reads a record, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = decodeError(msg)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("short record")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.fail("short record")
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) uvarint(limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit || n != len(binary.AppendUvarint(nil, v)) { // canonical only
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || n != len(binary.AppendVarint(nil, v)) {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}
