package openai

import (
	"context"
	"fmt"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

// Embed implements kb.Embedder: one vector per text, in order, sent EmbedBatch texts per request. Each
// request is a call of its own for the retries, the breaker, the log and Stats (purpose PurposeEmbed);
// embeddings count against no hourly limit. Errors are EUNAVAILABLE as for Complete, and EINVALID when
// no EmbeddingModel is configured.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if c.cfg.EmbeddingModel == "" {
		return nil, bot.Errorf(bot.EINVALID, "embed: no embedding model is configured")
	}
	out := make([][]float32, len(texts))
	dims := 0
	for start := 0; start < len(texts); start += EmbedBatch {
		batch := texts[start:min(start+EmbedBatch, len(texts))]
		err := c.run(ctx, call{purpose: PurposeEmbed, model: c.cfg.EmbeddingModel, texts: len(batch)}, func(ctx context.Context) (result, error) {
			resp, err := c.api.CreateEmbeddings(ctx, openaiapi.EmbeddingRequest{Input: batch, Model: openaiapi.EmbeddingModel(c.cfg.EmbeddingModel)})
			if err != nil {
				return result{}, err
			}
			vecs, err := ordered(resp.Data, len(batch), dims)
			if err != nil {
				return result{}, err
			}
			copy(out[start:], vecs)
			dims = len(vecs[0])
			return result{promptTokens: resp.Usage.PromptTokens}, nil
		})
		if err != nil {
			return nil, fmt.Errorf("embed texts %d to %d of %d: %w", start+1, start+len(batch), len(texts), err)
		}
	}
	return out, nil
}

// ordered puts a response's vectors in the order of its inputs by their index (the API does not promise
// to keep the order) and checks there is exactly one per input, all of one length (dims, when not 0).
func ordered(data []openaiapi.Embedding, n, dims int) ([][]float32, error) {
	if len(data) != n {
		return nil, &replyError{msg: fmt.Sprintf("%s for %s", plural.Count(len(data), "vector", "vectors"), plural.Count(n, "text", "texts"))}
	}
	vecs := make([][]float32, n)
	for _, e := range data {
		switch {
		case e.Index < 0 || e.Index >= n:
			return nil, &replyError{msg: fmt.Sprintf("vector index %d out of range for %s", e.Index, plural.Count(n, "text", "texts"))}
		case vecs[e.Index] != nil:
			return nil, &replyError{msg: fmt.Sprintf("vector index %d given twice", e.Index)}
		case len(e.Embedding) == 0:
			return nil, &replyError{msg: fmt.Sprintf("vector %d is empty", e.Index)}
		case dims == 0:
			dims = len(e.Embedding)
		case len(e.Embedding) != dims:
			return nil, &replyError{msg: fmt.Sprintf("vector %d has %d dimensions, not %d", e.Index, len(e.Embedding), dims)}
		}
		vecs[e.Index] = e.Embedding
	}
	return vecs, nil
}
