package storage_test

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// openClosing opens the data file at path for a test that closes it itself, to reopen it.
func openClosing(t *testing.T, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return db
}

func TestVectorsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db := openClosing(t, path)
	want := map[string][]float32{
		"a": {0.25, -1.5, 3},
		"b": {float32(math.SmallestNonzeroFloat32), math.MaxFloat32, -0},
		"c": {},
	}
	if err := db.PutVectors(want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Vectors([]string{"a", "b", "c", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The vectors are the caller's: changing one changes nothing stored.
	got["a"][0] = 99
	again, err := db.Vectors([]string{"a"})
	if err != nil || again["a"][0] != 0.25 {
		t.Fatalf("after changing a returned vector: %v, %v", again, err)
	}
	if n, err := db.CountVectors(); err != nil || n != 3 {
		t.Fatalf("count %d, %v", n, err)
	}

	// Little-endian float32s, as documented, so other tools can read them.
	err = db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("vectors")).Get([]byte("a")); !reflect.DeepEqual(v, []byte{0, 0, 0x80, 0x3e, 0, 0, 0xc0, 0xbf, 0, 0, 0x40, 0x40}) {
			t.Errorf("stored bytes % x", v)
		}
		return nil
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	if got, err := db.Vectors([]string{"a"}); err != nil || !reflect.DeepEqual(got["a"], want["a"]) {
		t.Fatalf("after reopening: %v, %v", got, err)
	}
}

func TestPruneVectors(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	vecs := map[string][]float32{}
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
		vecs[k] = []float32{1, 2}
	}
	if err := db.PutVectors(vecs); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneVectors(map[string]bool{"k2": true, "k4": true, "other": true})
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	got, err := db.Vectors([]string{"k1", "k2", "k3", "k4", "k5"})
	if err != nil || len(got) != 2 || got["k2"] == nil || got["k4"] == nil {
		t.Fatalf("left %v, %v", got, err)
	}
}

func TestVectorsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	openClosing(t, path).Close()
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("vectors")).Put([]byte("bad"), []byte{1, 2, 3}) }); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db := mustOpen(t, path)
	if _, err := db.Vectors([]string{"bad"}); err == nil {
		t.Fatal("3 bytes read as a vector")
	}
}

// A hybrid search keeps its vectors in the data file: after a restart nothing is embedded again.
func TestVectorsBackAHybridSearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	articles := []kb.Article{
		{ID: "vpn", Title: "Connect to the VPN", Body: "Open the client and sign in."},
		{ID: "printer", Title: "Add a printer", Body: "Open Settings, then Printers."},
	}
	emb := &countingEmbedder{}
	db := openClosing(t, path)
	h := kb.NewHybrid(kb.NewLibrary(articles, kb.Options{}), emb, db, kb.HybridOptions{})
	if stats, err := h.Sync(context.Background()); err != nil || stats.Embedded != 2 {
		t.Fatalf("first sync: %+v, %v", stats, err)
	}
	db.Close()

	db = mustOpen(t, path)
	h = kb.NewHybrid(kb.NewLibrary(articles, kb.Options{}), emb, db, kb.HybridOptions{})
	if stats, err := h.Sync(context.Background()); err != nil || stats.Loaded != 2 || stats.Embedded != 0 || emb.texts != 2 {
		t.Fatalf("after a restart: %+v, %v, %d texts embedded in all", stats, err, emb.texts)
	}
	h.Delete("printer")
	if n, err := db.PruneVectors(h.VectorKeys()); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
}

type countingEmbedder struct{ texts int }

func (*countingEmbedder) Model() string { return "counting" }

func (e *countingEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.texts += len(texts)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = []float32{float32(len(t)), 1}
	}
	return out, nil
}
