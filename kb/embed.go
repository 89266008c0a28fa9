package kb

import "context"

// Embedder turns texts into vectors for hybrid search; adapters/openai implements it with an embeddings
// endpoint. Vectors of one Embedder have one length and are compared by cosine similarity.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Model names the embedding model, so stored vectors of another model are not mixed in.
	Model() string
}

// VectorStore keeps article vectors across restarts, so an article is embedded again only when its text
// changes. Keys are content hashes (see Hybrid); storage implements it in bbolt.
type VectorStore interface {
	// Vectors returns the stored vectors of keys that are present.
	Vectors(keys []string) (map[string][]float32, error)
	// PutVectors stores vectors by key.
	PutVectors(vecs map[string][]float32) error
}
