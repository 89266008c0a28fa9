package storage

import (
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/kb"
)

// bucketVectors holds article vectors for hybrid search: content key (see kb.Hybrid) -> float32s,
// little-endian. A key names the embedding model and the text, so a value never changes once written.
var bucketVectors = []byte("vectors")

var _ kb.VectorStore = (*DB)(nil)

// Vectors returns the stored vectors of the keys that are present, read in one transaction. The
// vectors are copies: nothing of bbolt's memory outlives the transaction.
func (db *DB) Vectors(keys []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(keys))
	err := db.view(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketVectors)
		for _, k := range keys {
			v := b.Get([]byte(k))
			if v == nil {
				continue
			}
			vec, err := decodeVector(v)
			if err != nil {
				return fmt.Errorf("vector %s: %w", k, err)
			}
			out[k] = vec
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	return out, nil
}

// PutVectors stores vectors by key, all in one transaction.
func (db *DB) PutVectors(vecs map[string][]float32) error {
	if len(vecs) == 0 {
		return nil
	}
	err := db.update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketVectors)
		for k, vec := range vecs {
			if k == "" {
				return fmt.Errorf("a vector with an empty key")
			}
			if err := b.Put([]byte(k), encodeVector(vec)); err != nil {
				return fmt.Errorf("vector %s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store vectors: %w", err)
	}
	return nil
}

// PruneVectors deletes every stored vector whose key is not in keep, in one transaction, and returns
// how many it deleted. Vectors of old article texts and of an embedding model no longer used are
// never read again; kb.Hybrid's VectorKeys are the ones to keep.
func (db *DB) PruneVectors(keep map[string]bool) (int, error) {
	var n int
	err := db.update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketVectors)
		// Collected first: deleting under a running cursor can skip the key after each deletion.
		var drop [][]byte
		if err := b.ForEach(func(k, _ []byte) error {
			if !keep[string(k)] {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune vectors: %w", err)
	}
	return n, nil
}

// CountVectors returns how many vectors are stored.
func (db *DB) CountVectors() (int, error) {
	var n int
	err := db.view(func(btx *bolt.Tx) error {
		n = btx.Bucket(bucketVectors).Stats().KeyN
		return nil
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

// decodeVector copies v into a new slice, so the result does not point into the transaction's pages.
func decodeVector(v []byte) ([]float32, error) {
	if len(v)%4 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of float32s", len(v))
	}
	vec := make([]float32, len(v)/4)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
	}
	return vec, nil
}
