package postgres

// Article vectors for hybrid search, by content key (see kb.Hybrid): float32s, little-endian, as the
// bbolt file keeps them. A key names the embedding model and the text, so a value never changes once
// written.

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/kb"
)

var _ kb.VectorStore = (*DB)(nil)

// Vectors returns the stored vectors of the keys that are present, read in one transaction.
func (db *DB) Vectors(keys []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(keys))
	err := db.View(context.Background(), func(btx bot.Tx) error {
		return btx.(*tx).each("SELECT key, data FROM vectors WHERE key = ANY($1)", []any{keys}, func(r pgx.Rows) error {
			var key string
			var data []byte
			if err := r.Scan(&key, &data); err != nil {
				return err
			}
			vec, err := decodeVector(data)
			if err != nil {
				return fmt.Errorf("vector %s: %w", key, err)
			}
			out[key] = vec
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	return out, nil
}

// PutVectors stores vectors by key, all in one transaction. Two replicas that embed the same text
// write the same value: the second write changes nothing.
func (db *DB) PutVectors(vecs map[string][]float32) error {
	if len(vecs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(vecs))
	values := make([][]byte, 0, len(vecs))
	for k, vec := range vecs {
		if k == "" {
			return fmt.Errorf("store vectors: a vector with an empty key")
		}
		keys, values = append(keys, k), append(values, encodeVector(vec))
	}
	err := db.Update(context.Background(), func(btx bot.Tx) error {
		_, err := btx.(*tx).exec(`INSERT INTO vectors (key, data) SELECT * FROM unnest($1::text[], $2::bytea[])
			ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data`, keys, values)
		return err
	})
	if err != nil {
		return fmt.Errorf("store vectors: %w", err)
	}
	return nil
}

// PruneVectors deletes every stored vector whose key is not in keep, and returns how many it deleted.
func (db *DB) PruneVectors(keep map[string]bool) (int, error) {
	keys := make([]string, 0, len(keep))
	for k := range keep {
		keys = append(keys, k)
	}
	n := 0
	err := db.Update(context.Background(), func(btx bot.Tx) error {
		tag, err := btx.(*tx).exec("DELETE FROM vectors WHERE NOT key = ANY($1)", keys)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune vectors: %w", err)
	}
	return n, nil
}

// CountVectors returns how many vectors are stored.
func (db *DB) CountVectors() (int, error) {
	n := 0
	err := db.View(context.Background(), func(btx bot.Tx) error {
		_, err := btx.(*tx).scanOne("SELECT count(*) FROM vectors", nil, &n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count vectors: %w", err)
	}
	return n, nil
}

func encodeVector(vec []float32) []byte {
	b := make([]byte, 4*len(vec))
	for i, x := range vec {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func decodeVector(v []byte) ([]float32, error) {
	if len(v)%4 != 0 {
		return nil, fmt.Errorf("%s is not a whole number of float32s", plural.Count(len(v), "byte", "bytes"))
	}
	vec := make([]float32, len(v)/4)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
	}
	return vec, nil
}
