package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sync"
	"unsafe"
)

// floatFile holds an SQ8 stored index's float vectors in a flat file beside
// its database, mapped read-only, so that re-ranking reads a vector at a
// computed offset instead of looking it up in the vectors bucket (a bbolt
// Get per candidate halved the queries per second). The bucket stays the
// truth and the file a cache of it:
//
//	header  "RGUNITF1", the index's token (uint64 LE), dim (uint32 LE)
//	record  dim x float32 LE, CRC-32C of the id (uint32 LE) and them
//	        (uint32 LE); record i is internal id i
//
// Records are appended after the commit that wrote them to the bucket, so
// the file may lag the index (a crash between the two); opening maps the
// whole records up to the index's committed nodes when the header matches
// (another token or dimension: the file is started again), so records past
// them (the database put back from an older copy) are never read and are
// overwritten by the next appends; reads of ids past the mapping, or of a
// record failing its CRC, go to the bucket.
type floatFile struct {
	mu   sync.RWMutex // held shared while a mapping is read; exclusively to remap
	f    *os.File
	data []byte // the mapping (header included)
	n    int    // whole records in data
	dim  int
	rec  int // bytes per record
	// writable: records can be appended (the database is not read-only).
	writable bool
}

var floatMagic = [8]byte{'R', 'G', 'U', 'N', 'I', 'T', 'F', '1'}

const floatHeader = 20

// openFloatFile opens (or, writable, creates or restarts) the float file at
// path for an index of token and dim holding n nodes. It returns nil when
// the platform cannot map files or a read-only file is missing or foreign:
// re-ranking then reads the bucket.
func openFloatFile(path string, token uint64, dim, n int, writable bool) (*floatFile, error) {
	if !canMap {
		return nil, nil
	}
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR | os.O_CREATE
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if errors.Is(err, os.ErrNotExist) && !writable {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: float file: %w", err)
	}
	ff := &floatFile{f: f, dim: dim, rec: 4*dim + 4, writable: writable}
	var h [floatHeader]byte
	want := floatHeaderBytes(token, dim)
	if _, err := f.ReadAt(h[:], 0); (err != nil && !errors.Is(err, io.EOF)) || h != want {
		if !writable {
			f.Close()
			return nil, nil
		}
		// New, or another index's: start it again.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, fmt.Errorf("index: float file: %w", err)
		}
		if _, err := f.WriteAt(want[:], 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("index: float file: %w", err)
		}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("index: float file: %w", err)
	}
	whole := min(int(st.Size()-floatHeader)/ff.rec, n) // never ahead of the index
	if err := ff.remap(whole); err != nil {
		f.Close()
		return nil, err
	}
	return ff, nil
}

func floatHeaderBytes(token uint64, dim int) [floatHeader]byte {
	var h [floatHeader]byte
	copy(h[:], floatMagic[:])
	binary.LittleEndian.PutUint64(h[8:], token)
	binary.LittleEndian.PutUint32(h[16:], uint32(dim))
	return h
}

// remap maps the header and the first n records (mu held exclusively or
// not yet shared).
func (ff *floatFile) remap(n int) error {
	if ff.data != nil {
		if err := unmap(ff.data); err != nil {
			return fmt.Errorf("index: float file: %w", err)
		}
		ff.data = nil
	}
	ff.n = 0
	data, err := mapFile(ff.f, floatHeader+n*ff.rec)
	if err != nil {
		return fmt.Errorf("index: float file: %w", err)
	}
	ff.data, ff.n = data, n
	return nil
}

// vector returns record i's vector, or nil when the file lacks it or it
// fails its CRC (mu held shared). On a little-endian machine it is the
// mapping itself (records lie at multiples of 4 bytes from the page-aligned
// mapping), valid while mu is held; else it is decoded into buf.
func (ff *floatFile) vector(i uint32, buf []float32) []float32 {
	if int(i) >= ff.n {
		return nil
	}
	r := ff.data[floatHeader+int(i)*ff.rec:][:ff.rec]
	if recordSum(i, r[:ff.rec-4]) != binary.LittleEndian.Uint32(r[ff.rec-4:]) {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&r[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&r[0])), ff.dim)
	}
	decodeFloats(r, buf)
	return buf
}

// extend appends vecs as the records from the file's end on, and maps
// them. A failure leaves the file as it was mapped (the bucket still
// answers).
func (ff *floatFile) extend(vecs [][]float32) error {
	if len(vecs) == 0 {
		return nil
	}
	n := ff.n + len(vecs)
	buf := make([]byte, 0, len(vecs)*ff.rec)
	for j, v := range vecs {
		start := len(buf)
		for _, x := range v {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
		buf = binary.LittleEndian.AppendUint32(buf, recordSum(uint32(ff.n+j), buf[start:]))
	}
	if _, err := ff.f.WriteAt(buf, int64(floatHeader+ff.n*ff.rec)); err != nil {
		return fmt.Errorf("index: float file: %w", err)
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	return ff.remap(n)
}

// prefetch asks for record i's cache lines (mu held shared).
func (ff *floatFile) prefetch(i uint32) {
	if int(i) < ff.n {
		prefetch(unsafe.Pointer(&ff.data[floatHeader+int(i)*ff.rec]), prefetchLines(ff.rec))
	}
}

// recordSum is record i's CRC-32C: of its id (uint32 LE), then its
// vector, so that a record moved to another place fails it.
func recordSum(i uint32, vec []byte) uint32 {
	var id [4]byte
	binary.LittleEndian.PutUint32(id[:], i)
	return crc32.Update(crc32.Checksum(id[:], castagnoli), castagnoli, vec)
}

// disable gives the file up: reads find no record (the bucket answers)
// and nothing more is appended.
func (ff *floatFile) disable() {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.data != nil {
		unmap(ff.data)
	}
	ff.data, ff.n, ff.writable = nil, 0, false
}

// close unmaps and closes the file (nil-safe).
func (ff *floatFile) close() error {
	if ff == nil {
		return nil
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	var err error
	if ff.data != nil {
		err = unmap(ff.data)
		ff.data, ff.n = nil, 0
	}
	return errors.Join(err, ff.f.Close())
}
