package postgres

// Rewriting the whole desk in place, for what only a whole copy does: erase-user on PostgreSQL erases
// through a data file's erasure (storage.DB.EraseUser) and writes the result back.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/storage/dump"
)

// Rewrite replaces every record of the desk by what fn makes of them, in one transaction. fn reads the
// desk with export (as Export, every kind in dump.Kinds' order) and gives the new desk to put, in the
// same order, once export has returned (they share one connection). Every table of the desk is locked against writes before it is read, so nothing a running
// replica writes meanwhile is lost: its transactions wait (its events are not acknowledged until then)
// and go on with the rewritten desk once Rewrite commits; readers are not blocked. A sequence is never
// set back: a replica may have taken numbers while it waited. An error from fn, or a put of nothing,
// leaves the desk as it was.
func (db *DB) Rewrite(ctx context.Context, fn func(export func(func(dump.Record) error) error, put func(dump.Record) error) error) error {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return db.unavailable(err)
	}
	committed := false
	defer func() {
		if !committed {
			ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	names := []string{"ticket_terms"}
	for _, name := range tables {
		names = append(names, name)
	}
	slices.Sort(names)
	// EXCLUSIVE blocks every write and no read; the desk's own transactions take their row locks after.
	if _, err := ptx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock the desk's tables: %w", err)
	}
	t := &tx{ctx: ctx, pg: ptx}
	im := &Importer{db: db, ctx: ctx, ptx: ptx}
	emptied := false
	put := func(r dump.Record) error {
		if !emptied {
			// DELETE, not TRUNCATE: a read command's snapshot taken before the commit still sees the desk.
			for _, name := range names {
				if _, err := ptx.Exec(ctx, "DELETE FROM "+name); err != nil {
					return fmt.Errorf("empty %s: %w", name, err)
				}
			}
			emptied = true
		}
		if r.Kind == dump.Sequence {
			seq, ok := sequences[r.Name]
			if !ok {
				return fmt.Errorf("no sequence %q", r.Name)
			}
			var now int64
			if err := ptx.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "+seq).Scan(&now); err != nil {
				return fmt.Errorf("read %s: %w", seq, err)
			}
			r.Seq = max(r.Seq, uint64(now))
		}
		return im.Put(r)
	}
	if err := fn(t.export, put); err != nil {
		return err
	}
	if !emptied {
		return errors.New("the rewrite gave no records: the desk is left as it was")
	}
	if err := im.flush(); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the rewritten desk: %w", err)
	}
	committed = true
	return nil
}
