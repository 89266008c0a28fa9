package slack

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/markdown/markdowntest"
)

// TestRenderGolden records what Slack gets for the render table (markdowntest.Cases) and for the
// posts of the render and fuzz tests: mrkdwn in testdata/mrkdwn.golden, Block Kit in
// testdata/blocks.golden. A diff there is a change of what people see: review it case by case.
func TestRenderGolden(t *testing.T) {
	var texts, posts []markdowntest.Entry
	for _, c := range markdowntest.Cases {
		texts = append(texts, markdowntest.Entry{Name: c.Name, Out: markdowntest.Quote(mrkdwn(c.Text))})
		posts = append(posts, markdowntest.Entry{Name: c.Name, Out: blocksJSON(t, bot.Post{Text: c.Text})})
		if !strings.HasPrefix(c.Name, "long: ") {
			card := bot.Post{Title: c.Text, Text: c.Text, Fields: []bot.Field{{Name: c.Text, Value: c.Text}}}
			posts = append(posts, markdowntest.Entry{Name: "card: " + c.Name, Out: blocksJSON(t, card)})
		}
	}
	for i, s := range blocksSeeds {
		p := fuzzPost(s.title, s.text, s.fields, s.choices, s.nFields, s.nChoices)
		p.Notify = strings.Split(s.notify, ",")
		posts = append(posts, markdowntest.Entry{Name: "seed: FuzzBlocks " + string(rune('a'+i)), Out: blocksJSON(t, p)})
	}
	for _, s := range markdowntest.Seeds(t, "testdata/fuzz/FuzzBlocks") {
		v := s.Values
		p := fuzzPost(v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].(uint8), v[5].(uint8))
		p.Notify = strings.Split(v[6].(string), ",")
		posts = append(posts, markdowntest.Entry{Name: "seed: " + s.Name, Out: blocksJSON(t, p)})
	}
	markdowntest.Golden(t, "testdata/mrkdwn.golden", texts)
	markdowntest.Golden(t, "testdata/blocks.golden", posts)
}

// blocksJSON is a post's fallback text and blocks as Slack receives them, quoted on one line.
func blocksJSON(t *testing.T, p bot.Post) string {
	fallback, blks := blocks(p)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(slackapi.Blocks{BlockSet: blks}); err != nil {
		t.Fatal(err)
	}
	return markdowntest.Quote(fallback) + " " + strings.TrimSpace(b.String())
}
