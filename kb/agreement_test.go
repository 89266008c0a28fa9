package kb_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

func TestAgreementConfidence(t *testing.T) {
	a := kb.DefaultAgreement
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	// The lexical confidence alone, for identity weights.
	for _, p := range []float64{0.05, 0.3, 0.6, 0.9} {
		if got := (kb.Agreement{Lexical: 1}).Confidence(p, 2); math.Abs(got-p) > 1e-9 {
			t.Errorf("identity weights: %v for %v", got, p)
		}
	}
	// Nothing known lexically stays nothing, whatever the embedding says.
	if got := a.Confidence(0, 5); got != 0 {
		t.Errorf("confidence %v for a question the lexical search has no confidence in", got)
	}
	// Ahead gains, behind loses, and the more so the further.
	prev := 0.0
	for _, lead := range []float64{-3, -1, 0, 1, 3} {
		got := a.Confidence(0.6, lead)
		if got <= prev || got <= 0 || got >= 1 {
			t.Fatalf("confidence %v at lead %v after %v: it must rise with the lead, within (0, 1)", got, lead, prev)
		}
		prev = got
	}
	if a.Confidence(0.6, -1) >= 0.6 || a.Confidence(0.6, 1) <= 0.6 {
		t.Errorf("at 0.6: behind %v, ahead %v", a.Confidence(0.6, -1), a.Confidence(0.6, 1))
	}
	err := kb.Agreement{Bias: math.NaN(), Lexical: -1, Lead: -1}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("every problem at once: %v", err)
	}
	if err := (kb.Agreement{Bias: 0.4, Lexical: 1, Lead: math.NaN()}).Validate(); err == nil {
		t.Fatal("a lead weight that is no number passes")
	}
}

// The confidence of an article the lexical search found moves with the embedding: "vpn on phone"
// matches the phone article best by its words and the VPN article by its meaning.
func TestHybridConfidenceWeighsTheEmbedding(t *testing.T) {
	const q = "vpn on phone"
	h := mustHybrid(t, helpdeskArticles(), &conceptEmbedder{}, nil, kb.HybridOptions{})
	lex := h.Library().Index.Search(q, 10)
	hits, tr := h.SearchTrace(context.Background(), q, 10)
	if len(lex) < 2 || lex[0].ID != "mail-phone" || tr.Nearest != "vpn" {
		t.Fatalf("lexical %+v, nearest %s: the test needs the two searches to disagree", lex, tr.Nearest)
	}
	conf := map[string]float64{}
	for i, hit := range hits {
		conf[hit.ID] = hit.Confidence
		ht := tr.Hits[i]
		if want := kb.DefaultAgreement.Confidence(ht.LexicalConfidence, ht.LeadZ); ht.LexicalRank > 0 && hit.Confidence != want {
			t.Errorf("%s: confidence %v, want Agreement's %v (trace %+v)", hit.ID, hit.Confidence, want, ht)
		}
	}
	if conf["mail-phone"] >= lex[0].Confidence {
		t.Errorf("the lexical top the embedding puts behind: %v, lexically %v", conf["mail-phone"], lex[0].Confidence)
	}
	if conf["vpn"] <= lex[1].Confidence || hits[0].ID != "vpn" {
		t.Errorf("the runner-up the embedding puts first: %v, lexically %v; first hit %s", conf["vpn"], lex[1].Confidence, hits[0].ID)
	}
}

// tableEmbedder embeds a text by its first line (an article's title, or the query) from a table, so a
// test sets the cosines it needs; other texts are far from everything.
type tableEmbedder map[string][]float32

func (tableEmbedder) Model() string { return "table" }

func (e tableEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, text := range texts {
		first, _, _ := strings.Cut(text, "\n")
		if v, ok := e[first]; ok {
			out[i] = v
		} else {
			out[i] = []float32{0, 0, 0, 1}
		}
	}
	return out, nil
}

// Two answers of one question share its title, so the words score them alike; a third article the
// embedding puts nearest, but whose words match less, must not come between them. Reciprocal rank
// fusion, which sees only ranks, puts it second.
func TestHybridScoreFusionKeepsAnswersTogether(t *testing.T) {
	articles := []kb.Article{
		{ID: "add-printer-1", Title: "Add a printer", Body: "Open Settings, then Printers, then Add."},
		{ID: "add-printer-2", Title: "Add a printer", Body: "Ask the desk to install the driver, then pick it in the list of devices."},
		{ID: "printer-drivers", Title: "Printer drivers", Body: "Drivers come from the print server."},
		{ID: "vpn", Title: "Connect to the VPN", Body: "Open the client and sign in."},
		{ID: "wifi", Title: "Join the office Wi-Fi", Body: "Pick the CorpNet network."},
		{ID: "monitor", Title: "External monitor shows nothing", Body: "Check the cable."},
	}
	emb := tableEmbedder{
		"add a printer":   {1, 0, 0, 0},
		"Printer drivers": {1, 0, 0, 0},
		"Add a printer":   {0.8, 0.6, 0, 0},
	}
	ctx := context.Background()
	const q = "add a printer"
	first2 := func(fusion string) []string {
		h := mustHybrid(t, articles, emb, nil, kb.HybridOptions{Fusion: fusion, PromoteConfidence: 1.01})
		hits := h.Search(ctx, q, 3)
		return []string{hits[0].ID, hits[1].ID}
	}
	lex := kb.NewLibrary(articles, kb.Options{}).Index.Search(q, 3)
	if len(lex) != 3 || lex[2].ID != "printer-drivers" {
		t.Fatalf("lexical %+v: the test needs both answers ahead of the drivers article", lex)
	}
	if got := strings.Join(first2(kb.FusionScore), " "); !strings.Contains(got, "add-printer-1") || !strings.Contains(got, "add-printer-2") {
		t.Errorf("score fusion ranks %s first; want both answers", got)
	}
	if got := first2(kb.FusionRRF); got[1] != "printer-drivers" && got[0] != "printer-drivers" {
		t.Errorf("rank fusion ranks %v first; the test expects it to put the drivers article between the answers", got)
	}
}

// With one article (or articles the query cannot tell apart) the cosines do not spread: the embedding
// says nothing, and the confidence is Agreement's with no lead, never NaN.
func TestHybridConfidenceWithoutSpread(t *testing.T) {
	articles := []kb.Article{{ID: "vpn", Title: "Connect to the VPN", Body: "Open the client and sign in."}}
	h := mustHybrid(t, articles, tableEmbedder{}, nil, kb.HybridOptions{})
	hits, tr := h.SearchTrace(context.Background(), "connect vpn", 5)
	lex := h.Library().Index.Search("connect vpn", 5)
	if tr.Lexical || len(hits) != 1 || len(lex) != 1 {
		t.Fatalf("hits %+v, trace %+v", hits, tr)
	}
	if want := kb.DefaultAgreement.Confidence(lex[0].Confidence, 0); hits[0].Confidence != want || tr.Hits[0].LeadZ != 0 {
		t.Fatalf("confidence %v (trace %+v), want %v", hits[0].Confidence, tr.Hits[0], want)
	}
}
