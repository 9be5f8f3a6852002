package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrVecs: a .fvecs or .ivecs file that does not parse.
var ErrVecs = errors.New("bench: bad vecs file")

// maxVecsDim bounds the dimension a vecs record may declare, so a corrupt
// header cannot ask for gigabytes.
const maxVecsDim = 1 << 16

// ReadFvecs reads the .fvecs format of public ANN benchmark sets (each
// record: int32 LE dimension d, then d float32 LE), at most limit records
// (0: all). Every record must have the first one's dimension and finite
// components.
func ReadFvecs(r io.Reader, limit int) ([][]float32, error) {
	var out [][]float32
	err := readVecs(r, limit, func(rec []byte, d int) error {
		v := make([]float32, d)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(rec[4*j:]))
			if math.IsNaN(float64(v[j])) || math.IsInf(float64(v[j]), 0) {
				return fmt.Errorf("component %d is %v", j, v[j])
			}
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// ReadIvecs reads the .ivecs format (int32 components: ground-truth
// neighbour positions, 0-based), at most limit records (0: all).
func ReadIvecs(r io.Reader, limit int) ([][]int32, error) {
	var out [][]int32
	err := readVecs(r, limit, func(rec []byte, d int) error {
		v := make([]int32, d)
		for j := range v {
			v[j] = int32(binary.LittleEndian.Uint32(rec[4*j:]))
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func readVecs(r io.Reader, limit int, each func(rec []byte, d int) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var hdr [4]byte
	var rec []byte
	dim := -1
	for n := 0; limit <= 0 || n < limit; n++ {
		if _, err := io.ReadFull(br, hdr[:]); err == io.EOF {
			if n == 0 {
				return fmt.Errorf("%w: no records", ErrVecs)
			}
			return nil
		} else if err != nil {
			return fmt.Errorf("%w: record %d: truncated header", ErrVecs, n)
		}
		d := int(int32(binary.LittleEndian.Uint32(hdr[:])))
		if d <= 0 || d > maxVecsDim {
			return fmt.Errorf("%w: record %d: dimension %d", ErrVecs, n, d)
		}
		if dim >= 0 && d != dim {
			return fmt.Errorf("%w: record %d: dimension %d, earlier records %d", ErrVecs, n, d, dim)
		}
		dim = d
		if cap(rec) < 4*d {
			rec = make([]byte, 4*d)
		}
		rec = rec[:4*d]
		if _, err := io.ReadFull(br, rec); err != nil {
			return fmt.Errorf("%w: record %d: truncated (%d-dimensional)", ErrVecs, n, d)
		}
		if err := each(rec, d); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrVecs, n, err)
		}
	}
	return nil
}

// LoadVecs reads a base set, queries and (if gtPath is not empty) ground
// truth from .fvecs / .ivecs files. Ids are base positions + 1. Without a
// query file the last queries base vectors are the queries (an exported
// database's embeddings, for instance).
func LoadVecs(basePath, queryPath, gtPath string, limit, queries int) (*ANNData, error) {
	read := func(p string, lim int) ([][]float32, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		v, err := ReadFvecs(f, lim)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return v, nil
	}
	d := &ANNData{Name: basePath}
	var err error
	if d.Base, err = read(basePath, limit); err != nil {
		return nil, err
	}
	if queryPath == "" {
		if len(d.Base) <= queries || queries < 1 {
			return nil, fmt.Errorf("%w: %s has %d vectors, need more than %d to keep as queries", ErrVecs, basePath, len(d.Base), queries)
		}
		d.Base, d.Queries = SplitQueries(d.Base, queries)
		return d, nil // any ground truth file was for other queries
	}
	if d.Queries, err = read(queryPath, 0); err != nil {
		return nil, err
	}
	if len(d.Queries[0]) != len(d.Base[0]) {
		return nil, fmt.Errorf("%w: queries have dimension %d, base %d", ErrVecs, len(d.Queries[0]), len(d.Base[0]))
	}
	if gtPath == "" || limit > 0 { // a truncated base invalidates the file's ground truth
		return d, nil
	}
	f, err := os.Open(gtPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gt, err := ReadIvecs(f, len(d.Queries))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gtPath, err)
	}
	if len(gt) != len(d.Queries) {
		return nil, fmt.Errorf("%w: %s has %d rows for %d queries", ErrVecs, gtPath, len(gt), len(d.Queries))
	}
	d.Truth = make([][]uint64, len(gt))
	for i, row := range gt {
		if len(row) < 10 {
			return nil, fmt.Errorf("%w: %s: row %d has %d neighbours, need 10", ErrVecs, gtPath, i, len(row))
		}
		for _, p := range row[:10] {
			if p < 0 || int(p) >= len(d.Base) {
				return nil, fmt.Errorf("%w: %s: row %d: position %d outside the base set", ErrVecs, gtPath, i, p)
			}
			d.Truth[i] = append(d.Truth[i], uint64(p)+1)
		}
	}
	return d, nil
}
