package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestKBPayloadGolden records how the text of a !kb add is read for the render table
// (markdowntest.Cases), each with a tags: line after every line, in testdata/kbpayload.golden: a tags:
// line inside a fenced code block is text, elsewhere it is a field. A diff there is a change of which
// lines are read as code: review it case by case.
func TestKBPayloadGolden(t *testing.T) {
	var entries []markdowntest.Entry
	for _, c := range markdowntest.Cases {
		var b strings.Builder
		for i, line := range strings.Split(c.Text, "\n") {
			fmt.Fprintf(&b, "%s\ntags: t%d\n", line, i)
		}
		p := parseKBPayload("Title\n"+b.String(), true)
		entries = append(entries, markdowntest.Entry{Name: c.Name, Out: fmt.Sprintf("%q %q", p.tags, p.body)})
	}
	markdowntest.Golden(t, "testdata/kbpayload.golden", entries)
}
