package rgunit

import (
	"context"
	"fmt"

	"rgunit/retrieval"
)

// Remove deletes items, all or none: an unknown id removes nothing. The
// retrieval index's deletions commit first, together, then the store's: a
// crash in between leaves items stored but not searchable, which removing
// them again finishes; never an index entry without its item. A remote
// index gets them recorded as pending before anything is deleted.
func (d *DB) Remove(ctx context.Context, ids ...uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.st.Has(ids...); err != nil {
		return err
	}
	d.forget() // the index is reopened with the deletions
	if err := retrieval.Remove(ctx, d.st, ids); err != nil {
		return fmt.Errorf("nothing removed: the retrieval index refused: %w", err)
	}
	if err := d.st.Delete(ids...); err != nil { // not cancelled: the index has lost them already
		return fmt.Errorf("removed from the retrieval index but not from the database (remove them again): %w", err)
	}
	return nil
}
