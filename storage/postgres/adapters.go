package postgres

// Small state adapters keep in the database (the console's message ids, a platform's cursors): a
// key/value table and a sequence per adapter, each write its own transaction.

import (
	"context"
	"fmt"

	"github.com/firstline-desk/firstline/bot"
)

// AdapterState is the key/value state of one adapter.
type AdapterState struct {
	db   *DB
	name string
}

// Adapter returns the state store of the named adapter.
func (db *DB) Adapter(name string) *AdapterState { return &AdapterState{db: db, name: name} }

// NextID returns the next number of a sequence that survives restarts and is shared by every replica:
// 1, 2, 3, ...
func (s *AdapterState) NextID(ctx context.Context) (uint64, error) {
	var id int64
	err := s.db.Update(ctx, func(btx bot.Tx) error {
		_, err := btx.(*tx).scanOne(`INSERT INTO adapter_sequences (adapter, value) VALUES ($1, 1)
			ON CONFLICT (adapter) DO UPDATE SET value = adapter_sequences.value + 1 RETURNING value`, []any{s.name}, &id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", s.name, err)
	}
	return uint64(id), nil
}

// Put stores a value under key.
func (s *AdapterState) Put(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	err := s.db.Update(ctx, func(btx bot.Tx) error {
		_, err := btx.(*tx).exec(`INSERT INTO adapter_state (adapter, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (adapter, key) DO UPDATE SET value = EXCLUDED.value`, s.name, []byte(key), value)
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s %q: %w", s.name, key, err)
	}
	return nil
}

// Get returns the value under key, or an ENOTFOUND error.
func (s *AdapterState) Get(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	found := false
	err := s.db.View(ctx, func(btx bot.Tx) error {
		var err error
		found, err = btx.(*tx).scanOne("SELECT value FROM adapter_state WHERE adapter = $1 AND key = $2", []any{s.name, []byte(key)}, &out)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", s.name, key, err)
	}
	if !found {
		return nil, bot.Errorf(bot.ENOTFOUND, "%s has no %q", s.name, key)
	}
	return out, nil
}
