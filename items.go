package rgunit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rgunit/split"
	"rgunit/storage"
)

// Item is a stored item as the CLI's --json and the HTTP API show it.
type Item struct {
	ID     uint64         `json:"id"`
	Path   string         `json:"path"` // the path ingest was given
	Width  int            `json:"width"`
	Height int            `json:"height"` // of the original file
	Labels storage.Labels `json:"labels,omitempty"`
	SHA256 string         `json:"sha256"` // of the original file's bytes
	Added  time.Time      `json:"added"`
}

func itemOf(it storage.Item) Item {
	return Item{ID: it.ID, Path: it.Path, Width: it.Width, Height: it.Height, Labels: it.Labels,
		SHA256: hex.EncodeToString(it.Hash[:]), Added: it.Added}
}

// ItemFilter selects items for EachItem. The zero value selects all.
type ItemFilter struct {
	Labelled   bool // only items with at least one known label
	Unlabelled bool // only items without labels
	// HeldBack: only the held-back tenth, the items no training sees and
	// the benches score (split.HeldBack); to evaluate a model on them
	// elsewhere, for instance ingested without labels.
	HeldBack bool
	Offset   int // skip this many selected items
	Limit    int // at most this many (0: no limit)
}

// ErrFilter: an ItemFilter that selects nothing by construction.
var ErrFilter = errors.New("rgunit: bad item filter")

// EachItem calls fn for the items f selects, in id order, until fn
// returns an error (returned) or ctx is cancelled.
func (d *DB) EachItem(ctx context.Context, f ItemFilter, fn func(Item) error) error {
	switch {
	case f.Labelled && f.Unlabelled:
		return fmt.Errorf("%w: labelled and unlabelled exclude each other", ErrFilter)
	case f.Offset < 0 || f.Limit < 0:
		return fmt.Errorf("%w: offset %d, limit %d: want counts (limit 0: all)", ErrFilter, f.Offset, f.Limit)
	}
	errStop := errors.New("stop")
	seen, sent := 0, 0
	err := d.st.ForEach(func(it storage.Item) error {
		if (f.Labelled && !it.Labelled()) || (f.Unlabelled && it.Labelled()) || (f.HeldBack && !split.HeldBack(it.ID)) {
			return nil
		}
		if seen++; seen <= f.Offset {
			return nil
		}
		if f.Limit > 0 && sent >= f.Limit {
			return errStop
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sent++
		return fn(itemOf(it))
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Item returns item id (storage.ErrNotFound when there is none).
func (d *DB) Item(id uint64) (Item, error) {
	it, err := d.st.Get(id)
	if err != nil {
		return Item{}, err
	}
	return itemOf(it), nil
}

// Image returns item id's stored image: a PNG at the database's image
// size.
func (d *DB) Image(id uint64) ([]byte, error) { return d.st.Image(id) }

// ItemTable writes items as rgunit ls lists them: a header, then one
// aligned row per item; Flush ends it.
type ItemTable struct{ tw *tabwriter.Writer }

// NewItemTable starts a table on w.
func NewItemTable(w io.Writer) *ItemTable {
	t := &ItemTable{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.tw, "ID\tSIZE\tLABELS\tPATH")
	return t
}

// Add writes its row.
func (t *ItemTable) Add(it Item) error {
	lab := it.Labels.String()
	if lab == "" {
		lab = "-"
	}
	_, err := fmt.Fprintf(t.tw, "%d\t%dx%d\t%s\t%s\n", it.ID, it.Width, it.Height, lab, printable(relPath(it.Path)))
	return err
}

// Flush writes the rows out.
func (t *ItemTable) Flush() error { return t.tw.Flush() }

// WriteText writes it as rgunit show prints it (size: the database's
// image side; image: where its image was written, if anywhere).
func (it Item) WriteText(w io.Writer, size int, image string) error {
	lab := it.Labels.String()
	if lab == "" {
		lab = "(unlabelled)"
	}
	_, err := fmt.Fprintf(w, "id       %d\npath     %s\nsize     %dx%d (stored %dx%d)\nlabels   %s\nsha256   %s\nadded    %s\n",
		it.ID, it.Path, it.Width, it.Height, size, size, lab, it.SHA256, it.Added.Local().Format(time.RFC3339))
	if err == nil && image != "" {
		_, err = fmt.Fprintf(w, "image    %s\n", image)
	}
	return err
}

// printable quotes a file name that holds control characters (a newline or
// a tab would break a listing's lines and columns); others print as they
// are.
func printable(name string) string {
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return strconv.Quote(name)
		}
	}
	return name
}

// relPath shortens an absolute path to one relative to the working
// directory when it lies below it.
func relPath(p string) string {
	wd, err := filepath.Abs(".")
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// Predicted returns P(attribute = +1) for item id as the attribute
// encoder of the retrieval model reads it (nil when the database has no
// retrieval model or the item has not been embedded yet).
func (d *DB) Predicted(id uint64) (map[string]float32, error) {
	defer d.reading()()
	idx, err := d.index()
	if errors.Is(err, ErrNoModels) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return idx.Predicted(id)
}

// Attributes are the attributes the retrieval model queries and
// translates, in its order (ErrNoModels without one).
func (d *DB) Attributes() ([]string, error) {
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	return slices.Clone(idx.Model.Schema().Attrs), nil
}
