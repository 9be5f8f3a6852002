package rgunit

import (
	"context"

	"rgunit/retrieval"
)

// Remove deletes items, all or none: an unknown id removes nothing, and
// the store and the retrieval index lose them in one transaction (a crash
// leaves both or neither). A remote index gets them recorded as pending in
// that transaction, and deleted from the cluster after.
func (d *DB) Remove(ctx context.Context, ids ...uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.st.Has(ids...); err != nil {
		return err
	}
	d.forget()
	defer d.forget() // queries reopen the index with the deletions
	return retrieval.Remove(ctx, d.st, ids)
}
