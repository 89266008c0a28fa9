package markdown

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestSplitGolden records how Split cuts the render table (markdowntest.Cases) at 40 and 300
// characters, Discord's 2,000 for the long texts, and the split tests' and fuzz seeds' own texts, in
// testdata/split.golden. A diff there is a change of where long posts are cut: review it case by case.
func TestSplitGolden(t *testing.T) {
	var entries []markdowntest.Entry
	add := func(name, text string, limit int) {
		var parts []string
		for _, p := range Split(text, limit) {
			parts = append(parts, markdowntest.Quote(p))
		}
		entries = append(entries, markdowntest.Entry{Name: fmt.Sprintf("%s @%d", name, limit), Out: strings.Join(parts, "\n|")})
	}
	for _, c := range markdowntest.Cases {
		add(c.Name, c.Text, 40)
		add(c.Name, c.Text, 300)
		if strings.HasPrefix(c.Name, "long: ") {
			add(c.Name, c.Text, 2000)
		}
	}
	for _, c := range splitCases {
		add("split: "+c.name, c.text, c.limit)
	}
	for i, s := range splitSeeds {
		add(fmt.Sprintf("seed: FuzzSplit %c", 'a'+i), s.text, s.limit)
	}
	for _, s := range markdowntest.Seeds(t, "testdata/fuzz/FuzzSplit") {
		add("seed: "+s.Name, s.Values[0].(string), s.Values[1].(int))
	}
	markdowntest.Golden(t, "testdata/split.golden", entries)
}
