package kb_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

// newFixtureIndex indexes the testdata knowledge base.
func newFixtureIndex(tb testing.TB, opts kb.Options) *kb.Index {
	tb.Helper()
	ix := kb.NewIndex(opts)
	for _, a := range mustReadFixtures(tb) {
		ix.Put(a)
	}
	return ix
}

func topID(hits []kb.Hit) string {
	if len(hits) == 0 {
		return ""
	}
	return hits[0].ID
}

func TestSearchRanking(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{Synonyms: map[string][]string{"pw": {"password"}}})
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{name: "title words", query: "how do I reset my password", want: "password-reset"},
		{name: "alias", query: "I'm locked out of my account", want: "password-reset"},
		{name: "synonym", query: "forgot my pw", want: "password-reset"},
		{name: "plural to singular", query: "printers", want: "printer-add"},
		{name: "-ing to stem", query: "connecting to the vpn", want: "vpn-connect"},
		{name: "-ed form of an alias word", query: "GlobalProtect disconnected", want: "vpn-connect"},
		{name: "hyphenated in query and text", query: "wi-fi", want: "wifi-connect"},
		{name: "joined form", query: "wifi keeps dropping", want: "wifi-connect"},
		{name: "split form", query: "wi fi", want: "wifi-connect"},
		{name: "hex error code", query: "0x80070005", want: "windows-update-0x80070005"},
		{name: "error code in a sentence", query: "Update fails with 0x80070005", want: "windows-update-0x80070005"},
		{name: "file extension", query: "how to open a .pst", want: "outlook-pst"},
		{name: "letters and digits", query: "2fa on my new phone", want: "mfa-setup"},
		{name: "product code", query: "o365 on android", want: "email-phone"},
		{name: "body only", query: "print spooler", want: "printer-add"},
		{name: "case and punctuation", query: "ACCESS DENIED!!!", want: "windows-update-0x80070005"},
		{name: "tag", query: "wireless", want: "wifi-connect"},
		{name: "category", query: "hardware", want: "printer-add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, 3)
			if got := topID(hits); got != tt.want {
				t.Fatalf("Search(%q) top = %q, want %q (hits %v)", tt.query, got, tt.want, hits)
			}
			for i, h := range hits {
				if i > 0 && h.Score > hits[i-1].Score {
					t.Fatalf("hits not sorted by score: %v", hits)
				}
				if h.Confidence < 0 || h.Confidence > 1 || math.IsNaN(h.Confidence) {
					t.Fatalf("hit %s confidence %v outside 0..1", h.ID, h.Confidence)
				}
			}
		})
	}
}

func TestSearchConfidence(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	tests := []struct {
		name     string
		query    string
		answered bool // Confidence of the top hit >= DefaultMinConfidence
	}{
		{name: "clear vpn", query: "vpn not connecting", answered: true},
		{name: "clear password", query: "I forgot my password", answered: true},
		{name: "clear printer", query: "add a printer", answered: true},
		{name: "clear mfa", query: "set up 2fa on my new phone", answered: true},
		{name: "clear email", query: "company email on my iphone", answered: true},
		{name: "clear error code", query: "error 0x80070005 windows update", answered: true},
		{name: "clear pst", query: "open an old pst archive", answered: true},
		{name: "off-topic, no shared word", query: "how do I bake sourdough bread", answered: false},
		{name: "off-topic, weather", query: "what's the weather in Paris", answered: false},
		{name: "off-topic sharing one word", query: "how do I reset the oil light on my car", answered: false},
		{name: "off-topic sharing a rare word", query: "how do I book a meeting room", answered: false},
		{name: "off-topic, football", query: "who won the football match yesterday", answered: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, 5)
			conf := 0.0
			if len(hits) > 0 {
				conf = hits[0].Confidence
			}
			if got := conf >= kb.DefaultMinConfidence; got != tt.answered {
				t.Fatalf("Search(%q): top %q confidence %.3f, answered = %v, want %v", tt.query, topID(hits), conf, got, tt.answered)
			}
			if tt.answered {
				return
			}
			// Off-topic questions must not come close either: the
			// threshold is a setting, and lowering it a little must not
			// start answering them.
			if conf > kb.DefaultMinConfidence-0.25 {
				t.Fatalf("Search(%q): confidence %.3f for an off-topic question", tt.query, conf)
			}
		})
	}
}

func TestSearchConfidenceOfRunnersUp(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	hits := ix.Search("connect to the network", 0)
	if len(hits) < 2 {
		t.Fatalf("want several hits, got %v", hits)
	}
	for _, h := range hits[1:] {
		if h.Confidence >= kb.DefaultMinConfidence {
			t.Fatalf("runner-up %s has confidence %.3f: only the top hit can be an answer", h.ID, h.Confidence)
		}
	}
	// A copy of an article (kept twice by mistake, or two versions).
	for _, a := range mustReadFixtures(t) {
		if a.ID == "vpn-connect" {
			a.ID = "vpn-connect-copy"
			ix.Put(a)
		}
	}
	// Two identical articles make neither an answer, but both likely: the
	// chance that one of them is right is shared.
	for _, limit := range []int{1, 2} {
		hits = ix.Search("connect to the company vpn", limit)
		if hits[0].Confidence >= kb.DefaultMinConfidence || hits[0].Confidence < 0.3 {
			t.Fatalf("top of a near tie %v has confidence %.3f, want likely but not an answer", hits, hits[0].Confidence)
		}
		if limit == 2 && hits[1].Confidence < 0.25 {
			t.Fatalf("near tie %v: the runner-up has confidence %.3f, want it likely enough to offer", hits, hits[1].Confidence)
		}
	}
}

func TestSearchExcluding(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	for _, a := range mustReadFixtures(t) {
		if a.ID == "vpn-connect" {
			a.ID = "vpn-connect-copy"
			ix.Put(a)
		}
	}
	all := ix.Search("connect to the company vpn", 5)
	if len(all) < 2 {
		t.Fatalf("want a near tie, got %v", all)
	}
	rest := ix.Search("connect to the company vpn", 5, all[0].ID, "no-such-article")
	for _, h := range rest {
		if h.ID == all[0].ID {
			t.Fatalf("excluded %s came back: %v", all[0].ID, rest)
		}
	}
	if rest[0].ID != all[1].ID {
		t.Fatalf("without %s the top should be %s, got %v", all[0].ID, all[1].ID, rest)
	}
	// Among the rest the former runner-up stands alone: its margin, and so its confidence, rise.
	if rest[0].Confidence <= all[1].Confidence || rest[0].Confidence < kb.DefaultMinConfidence {
		t.Fatalf("confidence of %s: %.3f alone vs %.3f as runner-up", rest[0].ID, rest[0].Confidence, all[1].Confidence)
	}
	if again := ix.Search("connect to the company vpn", 5); again[0].ID != all[0].ID || again[0].Score != all[0].Score {
		t.Fatalf("an excluding search changed later searches: %v vs %v", again, all)
	}
}

func TestSearchNothingToFind(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	tests := []struct {
		name  string
		ix    *kb.Index
		query string
	}{
		{name: "empty query", ix: ix, query: ""},
		{name: "blank query", ix: ix, query: "  \t\n"},
		{name: "punctuation", ix: ix, query: "?!..."},
		{name: "stop words only", ix: ix, query: "how do I do this?"},
		{name: "unknown words", ix: ix, query: "sourdough"},
		{name: "empty index", ix: kb.NewIndex(kb.Options{}), query: "vpn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if hits := tt.ix.Search(tt.query, 5); hits != nil {
				t.Fatalf("Search(%q) = %v, want nil", tt.query, hits)
			}
		})
	}
}

func TestSearchLimit(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	all := ix.Search("company account password phone", 0)
	if len(all) < 4 {
		t.Fatalf("want at least 4 hits, got %d", len(all))
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{name: "one", limit: 1, want: 1},
		{name: "three", limit: 3, want: 3},
		{name: "more than matches", limit: 100, want: len(all)},
		{name: "zero means all", limit: 0, want: len(all)},
		{name: "negative means all", limit: -1, want: len(all)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search("company account password phone", tt.limit)
			if len(hits) != tt.want {
				t.Fatalf("len = %d, want %d", len(hits), tt.want)
			}
			for i := range hits {
				if hits[i] != all[i] {
					t.Fatalf("hit %d = %+v, want %+v (the limit must not change scores or confidences)", i, hits[i], all[i])
				}
			}
		})
	}
}

func TestSynonyms(t *testing.T) {
	articles := []kb.Article{
		{ID: "remote", Title: "Remote access", Body: "Use the virtual private network from home."},
		{ID: "network", Title: "Office network", Body: "The private network in the office."},
		{ID: "password", Title: "Password reset", Body: "Reset your password."},
	}
	tests := []struct {
		name     string
		synonyms map[string][]string
		query    string
		want     string
	}{
		{name: "no synonym, no match", synonyms: nil, query: "pw", want: ""},
		{name: "one word", synonyms: map[string][]string{"pw": {"password"}}, query: "pw", want: "password"},
		{name: "key analyzed like text", synonyms: map[string][]string{"PW": {"Passwords"}}, query: "pw", want: "password"},
		{name: "several words need all of them", synonyms: map[string][]string{"vpn": {"virtual private network"}}, query: "vpn", want: "remote"},
		{name: "several-word keys are ignored", synonyms: map[string][]string{"pass word": {"password"}}, query: "pass", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := kb.NewIndex(kb.Options{Synonyms: tt.synonyms})
			for _, a := range articles {
				ix.Put(a)
			}
			hits := ix.Search(tt.query, 5)
			if got := topID(hits); got != tt.want {
				t.Fatalf("Search(%q) top = %q, want %q (%v)", tt.query, got, tt.want, hits)
			}
			if tt.name == "several words need all of them" && len(hits) != 1 {
				t.Fatalf("Search(%q) = %v, want only the article with all three words", tt.query, hits)
			}
		})
	}
}

// TestIncrementalMatchesRebuild checks that after a series of puts, replaces
// and deletes the index ranks exactly like one built from the final set: no
// stale postings, document frequencies or field lengths.
func TestIncrementalMatchesRebuild(t *testing.T) {
	fixtures := mustReadFixtures(t)
	ix := kb.NewIndex(kb.Options{})
	for _, a := range fixtures {
		ix.Put(a)
	}
	extra := kb.Article{ID: "teams", Title: "Install Microsoft Teams", Tags: []string{"teams"}, Body: "Teams comes from the Company Portal."}
	ix.Put(extra)
	ix.Delete("printer-add")
	replaced := fixtures[0]
	replaced.Title = "Company mail on a phone"
	replaced.Body = "Use Outlook. Printer settings are elsewhere."
	ix.Put(replaced)
	ix.Delete("no-such-article")
	ix.Put(fixtures[4]) // put back printer-add, reusing the freed slot

	final := kb.NewIndex(kb.Options{})
	for _, a := range append([]kb.Article{extra, replaced}, fixtures[1:]...) {
		final.Put(a)
	}
	if ix.Len() != final.Len() {
		t.Fatalf("Len = %d, rebuilt %d", ix.Len(), final.Len())
	}
	for _, q := range []string{"printer", "company mail phone", "teams", "outlook", "vpn password wifi", "install"} {
		got, want := ix.Search(q, 0), final.Search(q, 0)
		if len(got) != len(want) {
			t.Fatalf("Search(%q): %d hits, rebuilt %d", q, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9 || math.Abs(got[i].Confidence-want[i].Confidence) > 1e-9 {
				t.Fatalf("Search(%q) hit %d = %+v, rebuilt %+v", q, i, got[i], want[i])
			}
		}
	}
}

func TestPutDeleteReplace(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	steps := []struct {
		name  string
		do    func()
		query string
		want  string
		len   int
	}{
		{name: "not there yet", do: func() {}, query: "zoom meetings", want: "", len: 8},
		{name: "put", do: func() {
			ix.Put(kb.Article{ID: "video", Title: "Install Zoom", Body: "Zoom meetings from the Company Portal."})
		}, query: "zoom meetings", want: "video", len: 9},
		{name: "replace drops old words", do: func() {
			ix.Put(kb.Article{ID: "video", Title: "Install Webex", Body: "From the Company Portal."})
		}, query: "zoom meetings", want: "", len: 9},
		{name: "replace adds new words", do: func() {}, query: "webex", want: "video", len: 9},
		{name: "delete", do: func() { ix.Delete("video") }, query: "webex", want: "", len: 8},
		{name: "delete twice", do: func() { ix.Delete("video") }, query: "webex", want: "", len: 8},
		{name: "delete a fixture", do: func() { ix.Delete("vpn-connect") }, query: "globalprotect", want: "", len: 7},
	}
	for _, s := range steps {
		s.do()
		if got := topID(ix.Search(s.query, 1)); got != s.want {
			t.Fatalf("after %s: Search(%q) top = %q, want %q", s.name, s.query, got, s.want)
		}
		if ix.Len() != s.len {
			t.Fatalf("after %s: Len = %d, want %d", s.name, ix.Len(), s.len)
		}
	}
}

func TestLibraryAccessors(t *testing.T) {
	ix := kb.NewLibrary(nil, kb.Options{})
	a := kb.Article{ID: "b", Title: "B", Tags: []string{"x"}, Body: "b"}
	ix.Put(a)
	ix.Put(kb.Article{ID: "a", Title: "A", Body: "a"})
	ix.Put(kb.Article{ID: "c", Title: "C", Body: "c"})
	a.Tags[0] = "changed by caller"

	got, ok := ix.Article("b")
	if !ok || got.Title != "B" || got.Tags[0] != "x" {
		t.Fatalf("Article(b) = %+v, %v; want the article as put", got, ok)
	}
	got.Tags[0] = "changed by reader"
	if again, _ := ix.Article("b"); again.Tags[0] != "x" {
		t.Fatalf("Article returned the index's own slice: %v", again.Tags)
	}
	if _, ok := ix.Article("nope"); ok {
		t.Fatal("Article(nope) found")
	}
	if got := ids(ix.Articles()); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Articles() = %v, want sorted [a b c]", got)
	}
}

// TestConcurrentSearchAndPut is for -race: searches run while articles are
// added, replaced and deleted.
func TestConcurrentSearchAndPut(t *testing.T) {
	ix := kb.NewLibrary(mustReadFixtures(t), kb.Options{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("gen-%d-%d", w, i%20)
				ix.Put(kb.Article{ID: id, Title: fmt.Sprintf("Printer %d on floor %d", i, w), Body: "Add the printer from Settings."})
				if i%3 == 0 {
					ix.Delete(id)
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				for _, h := range ix.Index.Search("add a printer on floor 2", 5) {
					if h.ID == "" || h.Confidence < 0 || h.Confidence > 1 {
						t.Errorf("bad hit %+v", h)
						return
					}
				}
				_ = ix.Articles()
				_, _ = ix.Article("vpn-connect")
			}
		}()
	}
	wg.Wait()
	if _, ok := ix.Article("vpn-connect"); !ok {
		t.Fatal("fixture lost")
	}
}

// TestBuildMatchesPut checks that the parallel bulk load ranks exactly like
// articles put one by one, including an id that comes twice (the later one
// wins) and more articles than one batch of the loader.
func TestBuildMatchesPut(t *testing.T) {
	articles := mustReadFixtures(t)
	for i := range 300 {
		articles = append(articles, kb.Article{
			ID:    fmt.Sprintf("gen-%03d", i),
			Title: fmt.Sprintf("Printer %d on floor %d", i, i%7),
			Body:  fmt.Sprintf("Add printer %d from Settings. Toner is in room %d.", i, i%13),
		})
	}
	again := articles[0]
	again.Title, again.Body = "Company mail on a phone", "Use Outlook from the Company Portal."
	articles = append(articles, again)

	built := kb.Build(articles, kb.Options{})
	put := kb.NewIndex(kb.Options{})
	for _, a := range articles {
		put.Put(a)
	}
	if built.Len() != put.Len() || built.Len() != len(articles)-1 {
		t.Fatalf("Len: built %d, put %d, want %d", built.Len(), put.Len(), len(articles)-1)
	}
	for _, q := range []string{"printer floor 3", "company mail phone", "outlook", "vpn password wifi", "toner room 12", "install"} {
		got, want := built.Search(q, 0), put.Search(q, 0)
		if len(got) != len(want) {
			t.Fatalf("Search(%q): %d hits, put %d", q, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9 || math.Abs(got[i].Confidence-want[i].Confidence) > 1e-9 {
				t.Fatalf("Search(%q) hit %d = %+v, put %+v", q, i, got[i], want[i])
			}
		}
	}
}

func TestBuildFromStopsOnError(t *testing.T) {
	n := 0
	ix, err := kb.BuildFrom(func() (kb.Article, error) {
		n++
		if n > 200 {
			return kb.Article{}, errors.New("disk on fire")
		}
		return kb.Article{ID: fmt.Sprint(n), Title: "t", Body: "b"}, nil
	}, kb.Options{})
	if err == nil || ix != nil {
		t.Fatalf("BuildFrom = %v, %v; want the reader's error", ix, err)
	}
}

// TestSpellingCorrection checks that a word with a typo finds the article
// the right spelling would, and that correction stays out of the way of
// words the index knows and of short words.
func TestSpellingCorrection(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{})
	tests := []struct {
		query, want string
	}{
		{"printr", "printer-add"},         // a missing letter
		{"netwrok printr", "printer-add"}, // a swap and a missing letter
		{"pasword", "password-reset"},
		{"authentcation", "mfa-setup"},
		{"outlok", "outlook-pst"},
		{"archvie", "outlook-pst"}, // a swap
	}
	for _, tt := range tests {
		hits := ix.Search(tt.query, 3)
		if got := topID(hits); got != tt.want {
			t.Errorf("Search(%q) top = %q, want %q (%v)", tt.query, got, tt.want, hits)
		}
	}
	// "vpm" is one letter from "vpn" but too short to correct: a short
	// unknown word is as likely a name or a code.
	if hits := ix.Search("vpm", 3); len(hits) != 0 {
		t.Errorf("Search(vpm) = %v, want nothing", hits)
	}
	// A word with no neighbour stays unknown and keeps the confidence down.
	if hits := ix.Search("sourdough", 3); len(hits) != 0 {
		t.Errorf("Search(sourdough) = %v, want nothing", hits)
	}
}

// TestDeadHeat checks that articles that score the same share the
// confidence evenly, whatever the limit.
func TestDeadHeat(t *testing.T) {
	ix := kb.NewIndex(kb.Options{})
	for _, id := range []string{"a", "b"} {
		ix.Put(kb.Article{ID: id, Title: "Reset a forgotten password", Body: "Go to id.example.com/reset."})
	}
	ix.Put(kb.Article{ID: "c", Title: "Add a network printer", Body: "Settings > Printers."})
	one := ix.Search("forgotten password reset", 1)
	two := ix.Search("forgotten password reset", 2)
	if len(one) != 1 || len(two) != 2 {
		t.Fatalf("hits %v and %v", one, two)
	}
	if math.Abs(two[0].Confidence-two[1].Confidence) > 1e-9 || math.Abs(one[0].Confidence-two[0].Confidence) > 1e-9 {
		t.Fatalf("dead heat: confidences %v (limit 1) and %v (limit 2), want all equal", one, two)
	}
	if c := two[0].Confidence; c >= kb.DefaultMinConfidence || c < 0.3 {
		t.Fatalf("dead heat confidence %.3f: want likely, not an answer", c)
	}
}

func TestQueryTerms(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{Synonyms: map[string][]string{"pw": {"password"}}})
	got := ix.QueryTerms("reset my PW, outlok archive?")
	for _, want := range []string{"reset", "pw", "password", "outlook", "archiv"} {
		if !slices.Contains(got, want) {
			t.Errorf("QueryTerms = %q, lacks %q", got, want)
		}
	}
	if got := ix.QueryTerms("how do I ?!"); len(got) != 0 {
		t.Errorf("QueryTerms of stop words = %q, want none", got)
	}
}

// TestSnippetTermsMarkSynonymsAndCorrections checks that what the search
// looked for, not only what was typed, is marked in the snippet.
func TestSnippetTermsMarkSynonymsAndCorrections(t *testing.T) {
	ix := newFixtureIndex(t, kb.Options{Synonyms: map[string][]string{"pw": {"password"}}})
	a := kb.Article{ID: "x", Title: "Outlook asks for a password", Body: "Outlook keeps asking for your password after a reset."}
	got := kb.SnippetTerms(ix.QueryTerms("outlok pw"), a, 200)
	for _, want := range []string{"**Outlook**", "**password**"} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet %q lacks %q", got, want)
		}
	}
}
