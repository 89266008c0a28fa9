package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firstline-desk/firstline/bot"
)

// tx implements bot.Tx over one PostgreSQL transaction. bot.Tx's methods take no context: the one of
// the Update or View that opened the transaction is used.
type tx struct {
	ctx   context.Context
	pg    pgx.Tx
	write bool
	// failed is the first error a statement returned: it ends the transaction in PostgreSQL, whatever
	// fn does with it, and Update retries on it when it is a serialization failure.
	failed error
	// texts are the searchable texts of the tickets this transaction read or wrote, by sequence:
	// PutTicket changes only the words that changed (ticket_terms).
	texts map[int64]ticketText
}

var _ bot.Tx = (*tx)(nil)

// fail records the first error of a statement.
func (t *tx) fail(err error) error {
	if err != nil && t.failed == nil && !errors.Is(err, pgx.ErrNoRows) {
		t.failed = err
	}
	return err
}

func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.pg.Exec(t.ctx, sql, args...)
	return tag, t.fail(err)
}

// scanOne runs a query of one row into dest; found is false (and err nil) when there is no row.
func (t *tx) scanOne(sql string, args []any, dest ...any) (found bool, err error) {
	err = t.pg.QueryRow(t.ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail(err)
	}
	return true, nil
}

// each runs a query and calls fn with each row's scanner.
func (t *tx) each(sql string, args []any, fn func(pgx.Rows) error) error {
	rows, err := t.pg.Query(t.ctx, sql, args...)
	if err != nil {
		return t.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return t.fail(err)
		}
	}
	return t.fail(rows.Err())
}

// nextval takes the next number of a sequence.
func (t *tx) nextval(seq string) (int64, error) {
	var n int64
	if _, err := t.scanOne("SELECT nextval('"+seq+"')", nil, &n); err != nil {
		return 0, fmt.Errorf("next %s: %w", seq, err)
	}
	return n, nil
}
