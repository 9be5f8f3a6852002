package rgunit

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"rgunit/imageio"
	"rgunit/index"
)

// DefaultDupeThreshold is the largest thumbnail distance of two copies
// (see DupesOptions). On faces12k with copies of 100 faces (rgunit bench
// dupes): JPEG re-encoded and resized copies all join their original
// from 0.003 (227 of 300 at 0.002), and distinct faces start to join
// from 0.01 (one false group; 28 at 0.02).
const DefaultDupeThreshold = 0.006

// DupesOptions configure Dupes. The zero value checks 8 candidates per
// item at DefaultDupeThreshold.
type DupesOptions struct {
	// Threshold is the largest distance of two copies: the mean absolute
	// difference of their 16x16 grey thumbnails, in [0, 1].
	Threshold float64
	// Candidates is the number of nearest items, by the index, compared
	// with each item.
	Candidates int
}

// DupeGroup is a set of near-identical items.
type DupeGroup struct {
	IDs   []uint64 `json:"ids"`
	Paths []string `json:"paths"`
	// MaxDistance is the largest thumbnail distance of a pair that joined
	// the group.
	MaxDistance float64 `json:"max_distance"`
}

// Dupes finds groups of near-identical images (re-encoded and resized
// copies; exact copies never get in: ingest stores each content once;
// crops that move the picture by more than about 1% are not found): the index proposes each item's nearest items by
// embedding, and two items are copies when their thumbnails differ by at
// most the threshold. Groups are the connected sets of copies, by their
// first id.
func (d *DB) Dupes(ctx context.Context, o DupesOptions) ([]DupeGroup, error) {
	if o.Threshold == 0 {
		o.Threshold = DefaultDupeThreshold
	}
	if o.Candidates == 0 {
		o.Candidates = 8
	}
	if o.Threshold < 0 || o.Threshold > 1 || o.Candidates < 1 || o.Candidates > 1000 {
		return nil, badRequest("threshold %v, %d candidates: want a threshold in [0, 1] and 1 to 1000 candidates", o.Threshold, o.Candidates)
	}
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	thumbs := map[uint64][]float32{}
	thumb := func(id uint64) ([]float32, error) {
		if t, ok := thumbs[id]; ok {
			return t, nil
		}
		img, err := storedImage(d.st, id)
		if err != nil {
			return nil, err
		}
		t := imageio.GreyThumbnail(img, 16)
		thumbs[id] = t
		return t, nil
	}
	c := copies{parent: map[uint64]uint64{}, maxDist: map[uint64]float64{}}
	err = idx.EachSimilar(ctx, o.Candidates, func(id uint64, near []index.Result) error {
		a, err := thumb(id)
		if err != nil {
			return err
		}
		for _, h := range near {
			b, err := thumb(h.ID)
			if err != nil {
				return err
			}
			if dist := meanAbsDiff(a, b); dist <= o.Threshold {
				c.join(id, h.ID, dist)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := c.groups()
	for i := range out {
		for _, id := range out[i].IDs {
			it, err := d.st.Get(id)
			if err != nil {
				return nil, err
			}
			out[i].Paths = append(out[i].Paths, it.Path)
		}
	}
	return out, nil
}

// copies are the connected sets of copies found so far (a union-find
// whose root is the set's smallest id), with the largest distance that
// joined each set.
type copies struct {
	parent  map[uint64]uint64
	maxDist map[uint64]float64 // root -> largest joining distance
}

func (c *copies) find(x uint64) uint64 {
	p, ok := c.parent[x]
	if !ok || p == x {
		return x
	}
	r := c.find(p)
	c.parent[x] = r
	return r
}

// join records that a and b are copies, dist apart.
func (c *copies) join(a, b uint64, dist float64) {
	ra, rb := c.find(a), c.find(b)
	m := max(dist, c.maxDist[ra], c.maxDist[rb])
	if ra != rb {
		r, child := min(ra, rb), max(ra, rb)
		c.parent[child] = r
		c.parent[r] = r
		ra = r
	}
	c.maxDist[ra] = m
}

// groups returns the sets, each sorted, in order of their first id.
func (c *copies) groups() []DupeGroup {
	byRoot := map[uint64]*DupeGroup{}
	for id := range c.parent {
		r := c.find(id)
		g := byRoot[r]
		if g == nil {
			g = &DupeGroup{MaxDistance: c.maxDist[r]}
			byRoot[r] = g
		}
		g.IDs = append(g.IDs, id)
	}
	out := make([]DupeGroup, 0, len(byRoot))
	for _, g := range byRoot {
		slices.Sort(g.IDs)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b DupeGroup) int { return cmp.Compare(a.IDs[0], b.IDs[0]) })
	return out
}

func meanAbsDiff(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i] - b[i]))
	}
	return s / float64(len(a))
}

// WriteDupes writes groups as rgunit dupes prints them.
func WriteDupes(w io.Writer, groups []DupeGroup) error {
	n := 0
	for _, g := range groups {
		n += len(g.IDs)
		ids := make([]string, len(g.IDs))
		for i, id := range g.IDs {
			ids[i] = fmt.Sprintf("id:%d %s", id, relPath(g.Paths[i]))
		}
		fmt.Fprintf(w, "%d copies (distance <= %.4f): %s\n", len(g.IDs), g.MaxDistance, strings.Join(ids, ", "))
	}
	_, err := fmt.Fprintf(w, "%d groups of near-identical images, %d items\n", len(groups), n)
	return err
}
