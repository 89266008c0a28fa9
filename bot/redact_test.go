package bot_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/redact"
	"github.com/firstline-desk/firstline/storage"
)

// textFields are the string fields the desk redacts as text, by type and path. Every other string
// field of these types is tagged `redact:"-"`: an identifier that redaction must not touch.
var textFields = map[string][]string{
	"Ticket": {
		"Category", "RequesterName", "AssigneeName", "Subject", "Offers[].Title", "Cards[].Note", "Cards[].Owner",
		"Transcript[].Name", "Transcript[].Text", "Transitions[].Detail", "CSAT.Comment", "Vendor.Name",
		"Vendor.Reference", "Draft.Title", "Draft.Body", "Draft.Aliases[]", "Summary.Text",
		"Intake.ByName", "Form.Title", "Form.Answers[].Label", "Form.Answers[].Value", "Form.Answers[].Display",
		"Files[].File.Name", "Files[].FromName", "Files[].Refused",
		"Alert.Labels{}", "Alert.Annotations{}", "Alert.Alerts[].Labels{}", "Alert.Alerts[].Annotations{}",
		"Alert.Alerts[].GeneratorURL", "Alert.ExternalURL", "Suggestions[].Params{}",
	},
	"Effect": {
		"Post.Title", "Post.Text", "Post.Fields[].Name", "Post.Fields[].Value", "Post.Choices[].Label", "Post.ThreadName", "Query",
		"File.Name", "Intake.ByName",
	},
	"AuditEntry": {"Detail"},
	"KBArticle": {
		"Article.Title", "Article.Tags[]", "Article.Category", "Article.Aliases[]", "Article.Owner", "Article.Body",
	},
	"Event": {"UserName", "Text", "Mentions[].Name", "Files[].Name", "Form.Values{}", "Form.Names{}", "KB.Title", "KB.Body", "KB.Tags[]", "KB.Aliases[]",
		"Alert.GroupKey", "Alert.Monitor", "Alert.Receiver", "Alert.GroupLabels{}", "Alert.CommonLabels{}",
		"Alert.CommonAnnotations{}", "Alert.ExternalURL", "Alert.Alerts[].Labels{}", "Alert.Alerts[].Annotations{}", "Alert.Alerts[].GeneratorURL"},
	"ActionRun": {
		"Title", "RequestedByName", "ForName", "Params{}", "Approvals[].Name", "Decision.Name", "Preview.Detail",
		"Preview.Output", "Result.Detail", "Result.Output", "History[].Detail",
	},
}

// leaf is a string reachable in a value, and whether it is an identifier.
type leaf struct {
	path string
	id   bool
	v    reflect.Value
}

// leaves fills every string reachable from v with s (making pointers, slices and maps of one element
// on the way) and lists them, identifiers included.
func leaves(v reflect.Value, path string, id bool, s string, out *[]leaf) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
		*out = append(*out, leaf{path: path, id: id, v: v})
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		leaves(v.Elem(), path, id, s, out)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		leaves(v.Index(0), path+"[]", id, s, out)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		var sub []leaf
		leaves(e, path+"{}", id, s, &sub)
		k := reflect.New(v.Type().Key()).Elem()
		if k.Kind() == reflect.String {
			k.SetString("key")
		}
		v.SetMapIndex(k, e)
		for _, l := range sub {
			// A map's values are copies: read them back from the map after redaction.
			*out = append(*out, leaf{path: l.path, id: l.id})
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			leaves(v.Field(i), p, id || f.Tag.Get("redact") == "-", s, out)
		}
	}
}

// TestEveryStringFieldIsDecided: every string a ticket, an effect, an audit entry, an article or an
// event can hold is either text, redacted when it is written, or an identifier tagged `redact:"-"`,
// kept byte for byte. A new string field fails here until someone decides which it is.
func TestEveryStringFieldIsDecided(t *testing.T) {
	const secret = "card 4111 1111 1111 1111 and password: Tr0ub4dor&3x"
	for name, v := range map[string]any{
		"Ticket": &bot.Ticket{}, "Effect": &bot.Effect{}, "AuditEntry": &bot.AuditEntry{},
		"KBArticle": &bot.KBArticle{}, "Event": &bot.Event{}, "ActionRun": &bot.ActionRun{},
	} {
		var ls []leaf
		leaves(reflect.ValueOf(v).Elem(), "", false, secret, &ls)
		var text []string
		for _, l := range ls {
			if !l.id {
				text = append(text, l.path)
			}
		}
		for _, p := range text {
			if !slices.Contains(textFields[name], p) {
				t.Errorf("%s.%s is a new string field: decide whether it is text (add it to textFields in this test) "+
					"or an identifier that redaction must not touch (tag it `redact:\"-\"`)", name, p)
			}
		}
		for _, p := range textFields[name] {
			if !slices.Contains(text, p) {
				t.Errorf("%s.%s is listed as text but is gone or tagged `redact:\"-\"`: update textFields", name, p)
			}
		}
		redact.Fields(v)
		for _, l := range ls {
			if !l.v.IsValid() {
				continue // in a map
			}
			got := l.v.String()
			switch {
			case l.id && got != secret:
				t.Errorf("%s.%s is an identifier, but redaction changed it to %q", name, l.path, got)
			case !l.id && (strings.Contains(got, "4111") || strings.Contains(got, "Tr0ub4dor")):
				t.Errorf("%s.%s is text, but redaction left %q", name, l.path, got)
			}
		}
	}
	// Map values: message references (where a ticket's messages went, by key) are identifiers.
	refs := map[string]bot.MessageRef{"card-1": {Platform: "p", Channel: secret, Thread: secret, ID: secret}}
	redact.Fields(&refs)
	if r := refs["card-1"]; r.Channel != secret || r.ID != secret {
		t.Errorf("a message reference was redacted: %+v", r)
	}
}

// leakDesk is a desk on a data file whose raw bytes the test reads.
type leakDesk struct {
	*bottest.Desk
	path  string
	model *fakeModel
}

func newLeakDesk(t *testing.T, cfg bot.Config, search *bottest.Library, model *fakeModel, opts bot.ModelOptions) *leakDesk {
	t.Helper()
	path := filepath.Join(t.TempDir(), "firstline.db")
	db := openStore(t, path)
	d := bottest.NewDesk(t, cfg, db, search)
	if model != nil {
		d.Engine.SetModel(model, opts)
	}
	return &leakDesk{Desk: d, path: path, model: model}
}

// assertGone checks that secret is nowhere: not in the data file's bytes (tickets, outbox, audit log,
// articles, free pages included), not in anything posted, not in anything sent to the model.
func (d *leakDesk) assertGone(t *testing.T, secret string) {
	t.Helper()
	raw, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(raw, []byte(secret)); i >= 0 {
		t.Errorf("the data file holds %q: ...%q...", secret, raw[max(0, i-200):min(len(raw), i+len(secret)+40)])
	}
	for _, m := range d.Chat.Messages("") {
		all := m.Text()
		for _, f := range m.Post.Fields {
			all += "\n" + f.Name + ": " + f.Value
		}
		for _, c := range m.Post.Choices {
			all += "\n" + c.Label
		}
		if strings.Contains(all, secret) {
			t.Errorf("posted in %s: %q", m.Ref.Channel, all)
		}
	}
	if d.model != nil {
		for _, r := range d.model.reqs {
			for _, msg := range r.Messages {
				if strings.Contains(r.System+msg.Content, secret) {
					t.Errorf("sent to the model: %q", msg.Content)
				}
			}
		}
	}
}

// auditDetails returns the audit log's details.
func auditDetails(t *testing.T, d *leakDesk) string {
	t.Helper()
	var b strings.Builder
	es, err := d.Store.(*storage.DB).AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b.WriteString(e.Action + " " + e.Detail + "\n")
	}
	return b.String()
}

// TestNoSecretReachesTheDataFile pushes a known secret through each way text gets into the desk, on a
// real data file, and greps the file's raw bytes, the posts and the model's requests for it.
func TestNoSecretReachesTheDataFile(t *testing.T) {
	guestWiFi := kb.Article{ID: "guest-wifi", Title: "Guest Wi-Fi", Body: "Join Example-Guest. The guest password: Gu3stPa55-Wifi7 (changes monthly)."}
	search := func() *bottest.Library {
		s := testLibrary()
		s.Articles = append(s.Articles, guestWiFi)
		s.Rules = append([]bottest.Rule{{Contains: "guest", Hits: []kb.Hit{{ID: "guest-wifi", Confidence: 0.9}}}}, s.Rules...)
		return s
	}
	claimed := func(d *leakDesk, question string) (string, *bottest.Message) {
		t.Helper()
		q := d.Say(alice, "help", question)
		d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
		card := d.Chat.Last("tier2")
		d.React(tom, card, "raising_hand")
		return q, card
	}
	tests := []struct {
		name   string
		secret string
		model  *fakeModel
		opts   bot.ModelOptions
		cfg    func(*bot.Config)
		run    func(t *testing.T, d *leakDesk, secret string)
	}{
		{name: "question", secret: "Qu3stion-Pw9", run: func(t *testing.T, d *leakDesk, s string) {
			d.Say(alice, "help", "my vpn says wrong password, my password: "+s)
			mustContain(t, "subject", ticket(t, d.Store, "T-000001").Subject, "[redacted password]")
		}},
		{name: "question clipped into a subject", secret: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", run: func(t *testing.T, d *leakDesk, s string) {
			// The subject is clipped to 120 bytes: the token straddles the cut.
			d.Say(alice, "help", strings.Repeat("vpn ", 25)+"token "+s)
			mustContain(t, "subject", ticket(t, d.Store, "T-000001").Subject, "[redacted")
		}},
		{name: "greeting then the problem as subject", secret: "Gr33ting-Pw8", run: func(t *testing.T, d *leakDesk, s string) {
			q := d.Say(alice, "help", "hi")
			d.SayIn(alice, "help", q, "the printer asks for my password: "+s)
		}},
		{name: "card", secret: "C4rd-Pw-77", run: func(t *testing.T, d *leakDesk, s string) {
			q := d.Say(alice, "help", "vpn broken, password: "+s)
			d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
			mustContain(t, "card", d.Chat.Last("tier2").Text(), "[redacted password]")
		}},
		{name: "relay to the card", secret: "R3layUp-Pw5", run: func(t *testing.T, d *leakDesk, s string) {
			q, card := claimed(d, "vpn broken")
			d.SayIn(alice, "help", q, "it asks for my password: "+s)
			mustContain(t, "relay", d.Chat.Last("tier2").Text(), "[redacted password]")
			_ = card
		}},
		{name: "relay to the requester", secret: "R3layDown-Pw4", run: func(t *testing.T, d *leakDesk, s string) {
			q, card := claimed(d, "vpn broken")
			d.SayIn(tom, "tier2", card.Ref.ID, "try the temporary password: "+s)
			mustContain(t, "relay", d.Chat.Last("help").Text(), "[redacted password]")
			_ = q
		}},
		{name: "internal note", secret: "N0te-Pw-31", run: func(t *testing.T, d *leakDesk, s string) {
			_, card := claimed(d, "vpn broken")
			d.SayIn(tom, "tier2", card.Ref.ID, "note: the admin password: "+s)
		}},
		{name: "rating comment", secret: "R4ting-Pw-62", cfg: func(c *bot.Config) { c.CSAT.CommentWindow = time.Hour }, run: func(t *testing.T, d *leakDesk, s string) {
			q, card := claimed(d, "vpn broken")
			d.React(tom, card, "white_check_mark")
			d.Click(alice, d.Chat.Last("help"), "5")
			d.SayIn(alice, "help", q, "thanks! my new password: "+s)
			tk := ticket(t, d.Store, "T-000001")
			if tk.CSAT == nil || !strings.Contains(tk.CSAT.Comment, "[redacted password]") {
				t.Fatalf("rating comment: %+v", tk.CSAT)
			}
		}},
		{name: "rating comment clipped", secret: "4111 1111 111", cfg: func(c *bot.Config) { c.CSAT.CommentWindow = time.Hour }, run: func(t *testing.T, d *leakDesk, s string) {
			// The comment is clipped to 1,000 characters, through the card number: what is left of it is
			// no card number any more, so only redacting before clipping takes it out.
			q, card := claimed(d, "vpn broken")
			d.React(tom, card, "white_check_mark")
			d.Click(alice, d.Chat.Last("help"), "5")
			d.SayIn(alice, "help", q, strings.Repeat("x", 980)+" card 4111 1111 1111 1111 was charged twice")
			if tk := ticket(t, d.Store, "T-000001"); tk.CSAT == nil || !strings.Contains(tk.CSAT.Comment, "[redacted") {
				t.Fatalf("rating comment: %+v", tk.CSAT)
			}
		}},
		{name: "vendor reference", secret: "V3ndor-Pw-19", cfg: func(c *bot.Config) { c.Vendors = map[string]bot.SLATarget{"acme": {}} }, run: func(t *testing.T, d *leakDesk, s string) {
			_, card := claimed(d, "vpn broken")
			d.SayIn(tom, "tier2", card.Ref.ID, "!vendor acme CASE-1 portal password: "+s)
			d.SayIn(tom, "tier2", card.Ref.ID, "!status")
			d.SayIn(tom, "tier2", card.Ref.ID, "!vendor back")
			if tk := ticket(t, d.Store, "T-000001"); tk.Vendor == nil || !strings.Contains(tk.Vendor.Reference, "[redacted password]") {
				t.Fatalf("vendor: %+v", tk.Vendor)
			}
			mustContain(t, "audit", auditDetails(t, d), "pending_vendor acme CASE-1 portal password: [redacted password]")
		}},
		{name: "summary", secret: "Summ4ry-Pw-55", opts: bot.ModelOptions{Summaries: true},
			model: &fakeModel{reply: answers("NO_ANSWER", "", "Problem: login fails with password: Summ4ry-Pw-55")},
			run: func(t *testing.T, d *leakDesk, s string) {
				_, card := claimed(d, "vpn broken")
				d.SayIn(tom, "tier2", card.Ref.ID, "!summary")
				if tk := ticket(t, d.Store, "T-000001"); tk.Summary == nil || !strings.Contains(tk.Summary.Text, "[redacted password]") {
					t.Fatalf("summary: %+v", tk.Summary)
				}
			}},
		{name: "article quoted in an answer", secret: "Gu3stPa55-Wifi7", run: func(t *testing.T, d *leakDesk, s string) {
			q := d.Say(alice, "help", "what is the guest wifi")
			mustContain(t, "answer", d.Chat.Thread("help", q)[0].Text(), "Guest Wi-Fi", "[redacted password]")
		}},
		{name: "kb add", secret: "KbAdd-Pw-88", run: func(t *testing.T, d *leakDesk, s string) {
			d.Say(ada, "help", "!kb add\nPrinter admin page\nOpen https://printer.example.com and sign in with password: "+s+"\ntags: printer")
			d.Say(ada, "help", "!kb show printer-admin-page")
			mustContain(t, "show", d.Chat.Last("help").Text(), "[redacted password]")
		}},
		{name: "report", secret: "R3port-Pw-12", run: func(t *testing.T, d *leakDesk, s string) {
			d.Engine.SetReporter(textReporter("the shared password: R3port-Pw-12 was reset 3 times"))
			d.Say(tom, "tier2", "!report")
			mustContain(t, "report", d.Chat.Last("tier2").Text(), "[redacted password]")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			d := newLeakDesk(t, cfg, search(), tt.model, tt.opts)
			tt.run(t, d, tt.secret)
			d.assertGone(t, tt.secret)
		})
	}
}

type textReporter string

func (r textReporter) Summary(context.Context, time.Time) (string, error) { return string(r), nil }

// TestControlCharactersNeverReachPostsOrTickets: bidi overrides and control characters in a question and
// a display name reach neither the stored ticket nor any post (the card's title included), while
// right-to-left letters are kept.
func TestControlCharactersNeverReachPostsOrTickets(t *testing.T) {
	d := newLeakDesk(t, testConfig(), testLibrary(), nil, bot.ModelOptions{})
	text := "vpn: \u202Eexe.txt\u202C blocked \x1b[31mred\x1b[0m الشبكة لا تعمل\u2067 שלום\u2069\x00"
	if err := d.Handle(bot.Event{Kind: bot.EventMessage, ID: "q1", Channel: "help", Message: "q1", User: alice,
		UserName: "ali\u202Ece\x07", Text: text}); err != nil {
		t.Fatal(err)
	}
	d.Click(alice, d.Chat.Thread("help", "q1")[0], "Talk to a human")
	tk := ticket(t, d.Store, "T-000001")
	want := "vpn: exe.txt blocked [31mred[0m الشبكة لا تعمل שלום"
	if tk.Subject != want || tk.RequesterName != "alice" {
		t.Fatalf("subject %q, name %q; want %q, alice", tk.Subject, tk.RequesterName, want)
	}
	card := d.Chat.Last("tier2")
	mustContain(t, "card", card.Text(), "الشبكة لا تعمل", "שלום")
	bad := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		})
	}
	for _, m := range d.Chat.Messages("") {
		all := m.Post.Title + m.Post.Text
		for _, f := range m.Post.Fields {
			all += f.Name + f.Value
		}
		if bad(all) {
			t.Errorf("a control character reached a post in %s: %q", m.Ref.Channel, all)
		}
	}
	raw, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"\u202E", "\u2067", "\u2069", `\u001b`, `\u0007`} {
		if bytes.Contains(raw, []byte(c)) {
			t.Errorf("the data file holds %q", c)
		}
	}
}
