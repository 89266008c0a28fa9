package fakediscord_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
)

// TestNonces sends creates with nonces through discordgo's raw request and checks the fake answers as
// Discord does: an enforced nonce seen before gets the message created then and creates none (until the
// nonces expire), an unenforced one creates every time, an integer nonce counts the same as its digits,
// and a nonce over 25 characters is refused. The nonce is in the create's answer, not in the history.
func TestNonces(t *testing.T) {
	fake := fakediscord.New(t)
	sess := fake.Session(t, "token")
	endpoint := discordgo.EndpointChannelMessages(channelID)
	// created is a create's answer: discordgo's Message has no nonce.
	type created struct {
		ID, Content string
		Nonce       json.RawMessage
	}
	create := func(body map[string]any) (*created, error) {
		t.Helper()
		raw, err := sess.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint)
		if err != nil {
			return nil, err
		}
		var m created
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return &m, nil
	}
	must := func(m *created, err error) *created {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	first := must(create(map[string]any{"content": "one", "nonce": "fl1.abc", "enforce_nonce": true}))
	again := must(create(map[string]any{"content": "one, again", "nonce": "fl1.abc", "enforce_nonce": true}))
	if again.ID != first.ID || again.Content != "one" || string(first.Nonce) != `"fl1.abc"` {
		t.Fatalf("an enforced nonce reused: %+v, then %+v", first, again)
	}
	loose := must(create(map[string]any{"content": "two", "nonce": "fl2.abc"}))
	looseAgain := must(create(map[string]any{"content": "two", "nonce": "fl2.abc"}))
	if loose.ID == looseAgain.ID {
		t.Fatal("a nonce not enforced made no new message")
	}
	number := must(create(map[string]any{"content": "three", "nonce": 12345, "enforce_nonce": true}))
	if text := must(create(map[string]any{"content": "three", "nonce": "12345", "enforce_nonce": true})); text.ID != number.ID {
		t.Fatalf("nonce 12345 and \"12345\" made %s and %s", number.ID, text.ID)
	}
	if _, err := create(map[string]any{"content": "x", "nonce": "12345678901234567890123456", "enforce_nonce": true}); restError(t, err).Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("a 26-character nonce: %v", err)
	}
	if n := len(fake.Sent()); n != 4 {
		t.Fatalf("%d messages created, want 4", n)
	}

	fake.ExpireNonces()
	if late := must(create(map[string]any{"content": "one", "nonce": "fl1.abc", "enforce_nonce": true})); late.ID == first.ID {
		t.Fatal("an expired nonce still returned the old message")
	}
	raw, err := sess.RequestWithBucketID(http.MethodGet, endpoint, nil, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var history []created
	if err := json.Unmarshal(raw, &history); err != nil || len(history) != 5 {
		t.Fatalf("history of %d messages (%v), want 5", len(history), err)
	}
	for _, m := range history {
		if m.Nonce != nil {
			t.Fatalf("the history shows a nonce: %s", raw)
		}
	}
}

// TestLoseNextCreate checks that a create whose answer is lost was carried out all the same, that the
// client sees a failure for a dropped connection and a 500, and that discordgo retries a 502 by itself.
func TestLoseNextCreate(t *testing.T) {
	fake := fakediscord.New(t)
	sess := fake.Session(t, "token")
	fake.LoseNextCreate(fakediscord.DropConnection)
	fake.LoseNextCreate(fakediscord.ServerError)
	fake.LoseNextCreate(fakediscord.BadGateway)
	if _, err := sess.ChannelMessageSend(channelID, "one"); err == nil {
		t.Fatal("dropped connection: no error")
	}
	if _, err := sess.ChannelMessageSend(channelID, "two"); restError(t, err).Response.StatusCode != http.StatusInternalServerError {
		t.Fatalf("server error: %v", err)
	}
	if _, err := sess.ChannelMessageSend(channelID, "three"); err != nil {
		t.Fatalf("a 502 is retried by discordgo: %v", err)
	}
	if _, err := sess.ChannelMessage(channelID, fake.Sent()[0].ID); err != nil {
		t.Fatalf("the first message is not in the history: %v", err)
	}
	sent := fake.Sent()
	if len(sent) != 4 || sent[0].Content != "one" || sent[1].Content != "two" || sent[2].Content != "three" || sent[3].Content != "three" {
		t.Fatalf("sent %+v; want one, two, and three twice (the 502 and discordgo's retry)", sent)
	}
}
