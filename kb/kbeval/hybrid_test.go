package kbeval_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

// topicEmbedder puts each text on a few topic dimensions by its words, so "wireless internet" is near
// an article about the office network without sharing a word with it. failQueries makes it fail on
// single texts, as the queries are embedded one at a time.
type topicEmbedder struct {
	failQueries bool
	failAll     bool
}

var topics = map[string]int{
	"vpn": 0, "tunnel": 0, "remote": 0,
	"printer": 1, "printers": 1, "printing": 1,
	"wi": 2, "fi": 2, "wireless": 2, "internet": 2, "network": 2,
	"phone": 3, "mobile": 3, "outlook": 3, "email": 3,
	"bread": 4, "sourdough": 4, "recipe": 5,
}

func (topicEmbedder) Model() string { return "topics" }

func (e topicEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if e.failAll || e.failQueries && len(texts) == 1 {
		return nil, errors.New("embeddings endpoint: 401 Unauthorized")
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, 7)
		v[6] = 0.3 // a little in common, as any two texts have
		for _, w := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return r < 'a' || r > 'z' }) {
			if d, ok := topics[w]; ok {
				v[d]++
			}
		}
		out[i] = v
	}
	return out, nil
}

func hybridSet() ([]kb.Article, []kbeval.Query) {
	articles := []kb.Article{
		{ID: "vpn", Title: "Connect to the VPN", Body: "Open the VPN client and sign in with your password."},
		{ID: "printer", Title: "Add a printer", Body: "Open Settings, then Printers, then Add, and pick the office printer."},
		{ID: "wifi", Title: "Join the office Wi-Fi", Body: "Pick the CorpNet network and sign in."},
		{ID: "mail", Title: "Email on your phone", Body: "Install Outlook on the phone and sign in."},
	}
	queries := []kbeval.Query{
		{ID: "q1", Text: "vpn client", Relevant: []string{"vpn"}},
		{ID: "q2", Text: "add printers", Relevant: []string{"printer"}},
		{ID: "q3", Text: "wireless internet is down", Relevant: []string{"wifi"}}, // no word in common
		{ID: "q4", Text: "sourdough bread recipe", Relevant: []string{"bread"}},   // out of the KB
	}
	return articles, queries
}

func TestEvaluateHybridAgainstLexical(t *testing.T) {
	ctx := context.Background()
	articles, queries := hybridSet()
	lex := kbeval.EvaluateArticles(articles, queries, kb.Options{}, 0.6)
	hyb, err := kbeval.EvaluateHybrid(ctx, articles, queries, kbeval.HybridSetup{Embedder: topicEmbedder{}}, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	if lex.Hybrid || !hyb.Hybrid || hyb.Fallbacks != 0 || hyb.Sync.Embedded != len(articles) || hyb.SyncTime <= 0 {
		t.Fatalf("lexical hybrid=%v; hybrid %v, %d fallbacks, sync %+v in %v", lex.Hybrid, hyb.Hybrid, hyb.Fallbacks, hyb.Sync, hyb.SyncTime)
	}
	// The lexical search misses q3 altogether; the hybrid one ranks it first.
	if lex.PerQuery[2].FirstRelevant != 0 || lex.MRR != 2.0/3 {
		t.Fatalf("lexical q3 %+v, MRR %v", lex.PerQuery[2], lex.MRR)
	}
	q3 := hyb.PerQuery[2]
	if q3.FirstRelevant != 1 || q3.TopSource != "vector" || q3.Nearest != "wifi" || !q3.NearestRelevant || q3.Cosine < 0.5 {
		t.Fatalf("hybrid q3 %+v", q3)
	}
	if hyb.MRR != 1 || hyb.P1 != 1 {
		t.Fatalf("hybrid MRR %v, P@1 %v", hyb.MRR, hyb.P1)
	}
	if q1 := hyb.PerQuery[0]; q1.TopSource != "both" || q1.TopID != "vpn" {
		t.Fatalf("hybrid q1 %+v", q1)
	}
	if c := kbeval.Compare(lex, hyb); c != (kbeval.Comparison{Better: 1, Same: 2}) {
		t.Fatalf("compare %+v", c)
	}

	// The out-of-KB question's nearest article is far: in the lowest bins, and wrong.
	bins := hyb.CosineBins(0, 0.5, 1)
	if len(bins) != 2 || bins[0].Queries != 1 || bins[0].OutOfKB != 1 || bins[1].Queries != 3 || bins[1].Right != 3 || bins[1].Precision() != 1 {
		t.Fatalf("bins %+v", bins)
	}
	total := 0
	for _, b := range hyb.CosineBins() {
		total += b.Queries
	}
	if total != len(queries) {
		t.Fatalf("the default bins hold %d queries, want %d", total, len(queries))
	}
	if lex.CosineBins() != nil {
		t.Fatal("a lexical evaluation has no cosine bins")
	}
}

func TestEvaluateHybridFallsBack(t *testing.T) {
	ctx := context.Background()
	articles, queries := hybridSet()
	lex := kbeval.EvaluateArticles(articles, queries, kb.Options{}, 0.6)
	hyb, err := kbeval.EvaluateHybrid(ctx, articles, queries, kbeval.HybridSetup{Embedder: topicEmbedder{failQueries: true}}, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	if hyb.Fallbacks != len(queries) || hyb.FallbackErr == nil || !strings.Contains(hyb.FallbackErr.Error(), "401") {
		t.Fatalf("%d fallbacks, %v", hyb.Fallbacks, hyb.FallbackErr)
	}
	if hyb.MRR != lex.MRR || !reflect.DeepEqual(hyb.Answers, lex.Answers) {
		t.Fatalf("a hybrid that cannot embed queries measures %v %+v, the lexical %v %+v", hyb.MRR, hyb.Answers, lex.MRR, lex.Answers)
	}
	if _, err := kbeval.EvaluateHybrid(ctx, articles, queries, kbeval.HybridSetup{Embedder: topicEmbedder{failAll: true}}, 0.6); err == nil {
		t.Fatal("a corpus that cannot be embedded evaluates")
	}
}

func TestEvaluateSearcherLexicalIsEvaluate(t *testing.T) {
	articles, queries := mustRead(t)
	index := kb.Build(articles, kb.Options{})
	a := kbeval.Evaluate(index, queries, kbeval.IDs(articles), 0.5)
	b := kbeval.EvaluateSearcher(context.Background(), kbeval.Lexical(index), queries, kbeval.IDs(articles), 0.5)
	if !reflect.DeepEqual(a.PerQuery, b.PerQuery) || a.MRR != b.MRR || a.Answers != b.Answers || math.IsNaN(a.NDCG10) {
		t.Fatalf("%+v\n%+v", a, b)
	}
}
