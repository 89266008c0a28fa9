package console

import (
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestRenderGolden records the console lines of the render table (markdowntest.Cases), as a message and
// as a card, in testdata/render.golden. A diff there is a change of what people see: review it case by
// case.
func TestRenderGolden(t *testing.T) {
	var entries []markdowntest.Entry
	for _, c := range markdowntest.Cases {
		m := message{ID: "m1", Channel: "help", Author: "Firstline", Text: c.Text}
		entries = append(entries, markdowntest.Entry{Name: c.Name, Out: markdowntest.Quote(strings.Join(render(m, false), "\n"))})
		if !strings.HasPrefix(c.Name, "long: ") {
			m.Title, m.Fields = c.Text, []bot.Field{{Name: c.Text, Value: c.Text}}
			m.Choices = []bot.Choice{{ID: "a", Label: c.Text}}
			entries = append(entries, markdowntest.Entry{Name: "card: " + c.Name, Out: markdowntest.Quote(strings.Join(render(m, true), "\n"))})
		}
	}
	markdowntest.Golden(t, "testdata/render.golden", entries)
}
