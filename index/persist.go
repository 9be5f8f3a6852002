package index

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"runtime"
	"sync"
	"unsafe"

	faults "rgunit/internal/guard"

	bolt "go.etcd.io/bbolt"
)

// Layout of a stored index (see the package documentation): a bucket with
// a "meta" key and two sub-buckets keyed by the 4-byte big-endian internal
// id.
var (
	keyMeta       = []byte("meta")
	bucketVectors = []byte("vectors")
	bucketLinks   = []byte("links")
)

// Stored formats: 1, and 2, whose vector and links records end with a
// CRC-32C of the record (indexes created since; format 1 is still read).
const (
	formatVersion = 2
	formatNoSums  = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// unseal checks a record's CRC-32C (format 2) and returns its content.
func (h *HNSW) unseal(v []byte, what string, i uint32) ([]byte, error) {
	if !h.sums {
		return v, nil
	}
	if len(v) < 4 || crc32.Checksum(v[:len(v)-4], castagnoli) != binary.LittleEndian.Uint32(v[len(v)-4:]) {
		return nil, fmt.Errorf("%w: %s record %d fails its checksum", ErrCorrupt, what, i)
	}
	return v[:len(v)-4], nil
}

// meta is the stored index's header (JSON: it is small and written once per
// commit).
type meta struct {
	Format         int    `json:"format"`
	Dim            int    `json:"dim"`
	Metric         string `json:"metric"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	EfSearch       int    `json:"ef_search"`
	Seed           uint64 `json:"seed"`
	Entry          uint32 `json:"entry"`
	Top            int    `json:"top"` // -1: empty
	// Reachable: the writer walked the graph before this commit and every
	// live node is reachable from the entry point, so an open need not
	// walk it again (written by every commit since; older files are walked).
	Reachable bool `json:"reachable,omitempty"`
	// Quantize and Quantizer: an SQ8 index's per-dimension ranges (its
	// vector records keep the float vectors: the codes are made from them
	// on open). Absent: float.
	Quantize  string     `json:"quantize,omitempty"`
	Quantizer *quantizer `json:"quantizer,omitempty"`
	// Token identifies an SQ8 index to the float file beside it.
	Token uint64 `json:"token,omitempty"`
}

func metricByName(s string) (Metric, bool) {
	for m := L2; m <= InnerProduct; m++ {
		if m.String() == s {
			return m, true
		}
	}
	return 0, false
}

func nodeKey(i uint32) []byte { return binary.BigEndian.AppendUint32(nil, i) }

// encodeVector appends a vectors record: store id (uint64 LE), level
// (byte), then dim float32 LE.
func (h *HNSW) encodeVector(i uint32, buf []byte) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, h.extOf(i))
	buf = append(buf, h.levels[i])
	for _, x := range h.floatVec(i) {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return buf
}

// floatVec is node i's float vector: in the node's record, in raw, or (an
// SQ8 stored index) pending its commit.
func (h *HNSW) floatVec(i uint32) []float32 {
	if !h.onDisk {
		return h.vec(i)
	}
	h.pendMu.Lock()
	defer h.pendMu.Unlock()
	return h.pending[i]
}

// committed drops the pending float vectors of the nodes below n, which a
// commit has written.
func (h *HNSW) committed(n uint32) {
	h.pendMu.Lock()
	defer h.pendMu.Unlock()
	for i := range h.pending {
		if i < n {
			delete(h.pending, i)
		}
	}
}

// encodeLinks appends a links record: state (byte: 1 live, 2 deleted),
// then per layer 0..level a uint16 LE count and that many uint32 LE
// internal ids.
func (h *HNSW) encodeLinks(i uint32, buf []byte) []byte {
	buf = append(buf, byte(h.nodeState(i)))
	var ns []uint32
	for l := 0; l <= int(h.levels[i]); l++ {
		ns = h.readList(i, l, ns[:0])
		buf = binary.LittleEndian.AppendUint16(buf, uint16(len(ns)))
		for _, x := range ns {
			buf = binary.LittleEndian.AppendUint32(buf, x)
		}
	}
	return buf
}

// writeNodes writes the vectors of internal ids [from, n), the links of
// dirty and the header in tx.
func (h *HNSW) writeNodes(b *bolt.Bucket, from, n uint32, dirty []uint32) error {
	vb, lb := b.Bucket(bucketVectors), b.Bucket(bucketLinks)
	if vb == nil || lb == nil {
		return fmt.Errorf("%w: missing vectors or links bucket", ErrCorrupt)
	}
	vb.FillPercent = 1 // keys only ever append
	// bbolt keeps the value slices until the commit, so records are encoded
	// into an arena that is only ever appended to.
	var arena []byte
	put := func(b *bolt.Bucket, i uint32, enc func(uint32, []byte) []byte) error {
		start := len(arena)
		arena = enc(i, arena)
		if h.sums {
			arena = binary.LittleEndian.AppendUint32(arena, crc32.Checksum(arena[start:], castagnoli))
		}
		return b.Put(nodeKey(i), arena[start:len(arena):len(arena)])
	}
	arena = make([]byte, 0, int(n-from)*(13+4*h.dim)+len(dirty)*(4*h.m0+12))
	for i := from; i < n; i++ {
		if err := put(vb, i, h.encodeVector); err != nil {
			return err
		}
	}
	for _, i := range dirty {
		if err := put(lb, i, h.encodeLinks); err != nil {
			return err
		}
	}
	ep, top := h.entry()
	o := h.opts
	format := formatNoSums
	if h.sums {
		format = formatVersion
	}
	hd := meta{Format: format, Dim: h.dim, Metric: o.Metric.String(), M: o.M,
		EfConstruction: o.EfConstruction, EfSearch: o.EfSearch, Seed: o.Seed, Entry: ep, Top: top, Reachable: true}
	if o.Quantize != Float {
		hd.Quantize, hd.Quantizer, hd.Token = o.Quantize.String(), h.q, h.token
	}
	m, err := json.Marshal(hd)
	if err != nil {
		return err
	}
	return b.Put(keyMeta, m)
}

// readMeta decodes a stored index's header.
func readMeta(b *bolt.Bucket) (meta, error) {
	var m meta
	raw := b.Get(keyMeta)
	if raw == nil {
		return m, fmt.Errorf("%w: no header", ErrCorrupt)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if m.Format != formatVersion && m.Format != formatNoSums {
		return m, fmt.Errorf("%w: format %d, this build reads %d and %d", ErrCorrupt, m.Format, formatNoSums, formatVersion)
	}
	return m, nil
}

// load reads a stored index into a new HNSW. Nodes whose vector was stored
// without a links record come back in unlinked (they get relinked by the
// caller). It reads each record once: no graph is rebuilt.
func load(b *bolt.Bucket) (h *HNSW, unlinked []uint32, err error) {
	m, err := readMeta(b)
	if err != nil {
		return nil, nil, err
	}
	metric, ok := metricByName(m.Metric)
	if !ok {
		return nil, nil, fmt.Errorf("%w: unknown metric %q", ErrCorrupt, m.Metric)
	}
	quant := Float
	if m.Quantize != "" {
		if quant, err = ParseQuantization(m.Quantize); err != nil {
			return nil, nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
		}
	}
	h, err = NewHNSW(m.Dim, &Options{M: m.M, EfConstruction: m.EfConstruction, EfSearch: m.EfSearch, Metric: metric, Seed: m.Seed, Quantize: quant})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if quant == SQ8 {
		h.onDisk, h.token = true, m.Token
		if m.Quantizer != nil { // nil: no vector was ever added
			if err := m.Quantizer.check(m.Dim); err != nil {
				return nil, nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
			}
			h.q = m.Quantizer
		}
	}
	h.sums = m.Format == formatVersion
	h.reachable = m.Reachable
	vb, lb := b.Bucket(bucketVectors), b.Bucket(bucketLinks)
	if vb == nil || lb == nil {
		return nil, nil, fmt.Errorf("%w: missing vectors or links bucket", ErrCorrupt)
	}
	// The vector keys are 0..n-1 in order (checked below): the last one
	// gives n without walking the bucket.
	n := 0
	if k, _ := vb.Cursor().Last(); k != nil {
		// A damaged key must not size the arrays: n records of 9+4*dim
		// bytes each must fit in the file.
		if len(k) != 4 || int64(binary.BigEndian.Uint32(k)) >= b.Tx().Size()/int64(9+4*m.Dim) {
			return nil, nil, fmt.Errorf("%w: vector record %x is beyond what the file can hold", ErrCorrupt, k)
		}
		n = int(binary.BigEndian.Uint32(k)) + 1
	}
	h.resize(n)
	h.fittedOn = n
	h.ids = make(map[uint64]uint32, n) // no rehashing while it fills
	// The records are gathered in key order (bbolt's cursor is serial),
	// then checked and decoded on all cores.
	recs := make([][]byte, 0, n)
	err = vb.ForEach(func(k, v []byte) error {
		if i := len(recs); len(k) != 4 || binary.BigEndian.Uint32(k) != uint32(i) || i >= n {
			return fmt.Errorf("%w: vector record %x out of sequence (want %d)", ErrCorrupt, k, i)
		}
		recs = append(recs, v)
		return nil
	})
	if err == nil {
		err = decodeAll(len(recs), func(i uint32) error {
			v, err := h.unseal(recs[i], "vector", i)
			if err != nil {
				return err
			}
			if err := h.decodeVector(i, v); err != nil {
				return err
			}
			if v[8] > 0 {
				h.upper[i] = &make([]uint32, int(v[8])*(h.m+1))[0]
			}
			return nil
		})
	}
	if err != nil {
		return nil, nil, err
	}
	i := uint32(len(recs))
	h.n.Store(i)
	linked := make([]bool, n)
	ids := make([]uint32, 0, n)
	recs = recs[:0]
	err = lb.ForEach(func(k, v []byte) error {
		if len(k) != 4 || binary.BigEndian.Uint32(k) >= i {
			return fmt.Errorf("%w: links record %x has no vector", ErrCorrupt, k)
		}
		ids, recs = append(ids, binary.BigEndian.Uint32(k)), append(recs, v)
		return nil
	})
	if err == nil {
		err = decodeAll(len(recs), func(j uint32) error {
			id := ids[j]
			v, err := h.unseal(recs[j], "links", id)
			if err != nil {
				return err
			}
			if err := h.decodeLinks(id, v, i); err != nil {
				return err
			}
			linked[id] = true
			return nil
		})
	}
	if err != nil {
		return nil, nil, err
	}
	for j := range i {
		switch {
		case !linked[j]:
			unlinked = append(unlinked, j)
		case (*h.statep(j)) == stateLive:
			if _, dup := h.ids[h.extOf(j)]; dup {
				return nil, nil, fmt.Errorf("%w: id %d is live twice", ErrCorrupt, h.extOf(j))
			}
			h.ids[h.extOf(j)] = j
			h.live.Add(1)
		}
	}
	if m.Top >= 0 {
		if i == 0 || m.Entry >= i || int(h.levels[m.Entry]) != m.Top {
			return nil, nil, fmt.Errorf("%w: entry point %d (top %d) does not match its node", ErrCorrupt, m.Entry, m.Top)
		}
		h.setEntry(m.Entry, m.Top)
	}
	return h, unlinked, nil
}

// decodeFloats fills vec from len(vec) float32 LE in b.
func decodeFloats(b []byte, vec []float32) {
	if littleEndian { // the record's bytes are the vector's: one copy
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vec))), 4*len(vec)), b)
		return
	}
	for j := range vec {
		vec[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
	}
}

// littleEndian: this machine's floats have the stored records' byte order.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// decodeAll runs decode(0..n-1) on all cores (each index's records are
// independent) and returns the error of the lowest index that failed, so a
// damaged file always gets the same message. Each worker reads the mapped
// file under the fault guard of the transactions.
func decodeAll(n int, decode func(i uint32) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/4096))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = faults.Do(func() error {
				for i := w * n / workers; i < (w+1)*n/workers; i++ {
					if err := decode(uint32(i)); err != nil {
						return err
					}
				}
				return nil
			}, corrupt)
		}()
	}
	wg.Wait()
	for _, err := range errs { // workers hold ascending ranges
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeBufs are decodeVector's buffers for SQ8 records (*[]float32).
var decodeBufs sync.Pool

// decodeVector fills node i's id, level and vector from a vectors record.
func (h *HNSW) decodeVector(i uint32, v []byte) error {
	if want := 9 + 4*h.dim; len(v) != want {
		return fmt.Errorf("%w: vector record %d: %d bytes, want %d", ErrCorrupt, i, len(v), want)
	}
	if v[8] > maxLevel {
		return fmt.Errorf("%w: vector record %d: level %d", ErrCorrupt, i, v[8])
	}
	var vec []float32
	if h.opts.Quantize == SQ8 {
		if h.q == nil {
			return fmt.Errorf("%w: vector record %d in an SQ8 index without a quantizer", ErrCorrupt, i)
		}
		// The record's floats become codes below, through a pooled buffer
		// (a million records would otherwise allocate 512 MB at 128-d).
		p, _ := decodeBufs.Get().(*[]float32)
		if p == nil || len(*p) != h.dim {
			b := make([]float32, h.dim)
			p = &b
		}
		defer decodeBufs.Put(p)
		vec = *p
	} else {
		vec = h.vec(i)
	}
	decodeFloats(v[9:], vec)
	if err := checkVector(vec, h.dim); err != nil {
		return fmt.Errorf("%w: vector record %d: %v", ErrCorrupt, i, err)
	}
	if h.q != nil {
		h.q.encode(vec, h.codes(i))
	}
	h.setExt(i, binary.LittleEndian.Uint64(v))
	h.levels[i] = v[8]
	return nil
}

// decodeLinks fills node id's lists from a links record; n is the number of
// stored nodes.
func (h *HNSW) decodeLinks(id uint32, v []byte, n uint32) error {
	bad := func(why string) error { return fmt.Errorf("%w: links record %d: %s", ErrCorrupt, id, why) }
	if len(v) < 1 || (v[0] != byte(stateLive) && v[0] != byte(stateDeleted)) {
		return bad("bad state")
	}
	(*h.statep(id)) = uint32(v[0])
	v = v[1:]
	for l := 0; l <= int(h.levels[id]); l++ {
		if len(v) < 2 {
			return bad("truncated")
		}
		c := int(binary.LittleEndian.Uint16(v))
		v = v[2:]
		if c > h.mmax(l) || len(v) < 4*c {
			return bad(fmt.Sprintf("layer %d: %d neighbours", l, c))
		}
		s := h.slots(id, l)
		for j := range c {
			x := binary.LittleEndian.Uint32(v[4*j:])
			if x >= n || x == id || int(h.levels[x]) < l {
				return bad(fmt.Sprintf("layer %d: neighbour %d", l, x))
			}
			s[j+1] = x
		}
		s[0] = uint32(c)
		v = v[4*c:]
	}
	if len(v) != 0 {
		return bad("trailing bytes")
	}
	return nil
}
