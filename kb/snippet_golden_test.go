package kb_test

import (
	"testing"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestSnippetGolden records the snippets of the render table (markdowntest.Cases) in
// testdata/snippet.golden: the whole text as plain text (no query, no limit), and a window of 80
// characters around the words of a query. A diff there is a change of what people see: review it case
// by case.
func TestSnippetGolden(t *testing.T) {
	var entries []markdowntest.Entry
	for _, c := range markdowntest.Cases {
		entries = append(entries,
			markdowntest.Entry{Name: c.Name, Out: markdowntest.Quote(kb.Snippet("", c.Text, 0))},
			markdowntest.Entry{Name: "query: " + c.Name, Out: markdowntest.Quote(kb.Snippet("vpn code link guide", c.Text, 80))})
	}
	markdowntest.Golden(t, "testdata/snippet.golden", entries)
}
