package discord

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestRenderGolden records what Discord gets for the render table (markdowntest.Cases) and for the
// posts of the fuzz tests: content in testdata/markdown.golden, the messages sent (and the edit of a
// plain post) in testdata/messages.golden. A diff there is a change of what people see: review it case
// by case.
func TestRenderGolden(t *testing.T) {
	var texts, posts []markdowntest.Entry
	for _, c := range markdowntest.Cases {
		texts = append(texts, markdowntest.Entry{Name: c.Name, Out: markdowntest.Quote(markdown(c.Text))})
		p := bot.Post{Text: c.Text}
		posts = append(posts, markdowntest.Entry{Name: c.Name, Out: messagesJSON(t, messageSend(p))})
		posts = append(posts, markdowntest.Entry{Name: "edit: " + c.Name, Out: messagesJSON(t, messageEdit("C1", "M1", p))})
		if !strings.HasPrefix(c.Name, "long: ") {
			card := bot.Post{Title: c.Text, Text: c.Text, Fields: []bot.Field{{Name: c.Text, Value: c.Text}}}
			posts = append(posts, markdowntest.Entry{Name: "card: " + c.Name, Out: messagesJSON(t, messageSend(card))})
		}
	}
	for i, s := range messageSeeds {
		p := fuzzPost(s.title, s.text, s.fields, s.choices, s.nChoices, s.notify)
		posts = append(posts, markdowntest.Entry{Name: "seed: FuzzMessageSend " + string(rune('a'+i)), Out: messagesJSON(t, messageSend(p))})
	}
	for _, s := range markdowntest.Seeds(t, "testdata/fuzz/FuzzMessageSend") {
		v := s.Values
		p := fuzzPost(v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].(uint8), v[5].(string))
		posts = append(posts, markdowntest.Entry{Name: "seed: " + s.Name, Out: messagesJSON(t, messageSend(p))})
	}
	markdowntest.Golden(t, "testdata/markdown.golden", texts)
	markdowntest.Golden(t, "testdata/messages.golden", posts)
}

// messagesJSON is what Discord receives, as JSON on one line.
func messagesJSON(t *testing.T, v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}
