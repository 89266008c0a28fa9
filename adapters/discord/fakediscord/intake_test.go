package fakediscord_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
)

// TestCommandsBulkOverwrite registers commands as discordgo does: ids stay with a command's type and name
// across overwrites, a changed one gets a new version, and Discord's naming rules are enforced.
func TestCommandsBulkOverwrite(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")
	cmds := []*discordgo.ApplicationCommand{
		{Name: "ticket", Description: "Open a ticket", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "form", Description: "Which form", Autocomplete: true}}},
		{Name: "Create ticket", Type: discordgo.MessageApplicationCommand},
	}
	first, err := sess.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].ID == "" || first[1].Type != discordgo.MessageApplicationCommand {
		t.Fatalf("registered %+v", first)
	}
	again, err := sess.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != first[0].ID || again[0].Version != first[0].Version || again[1].ID != first[1].ID {
		t.Fatalf("the same commands again changed: %+v, then %+v", first, again)
	}
	got, err := sess.ApplicationCommands(fakediscord.AppID, fakediscord.GuildID)
	if err != nil || len(got) != 2 || got[0].Options[0].Name != "form" {
		t.Fatalf("commands = %+v, %v", got, err)
	}
	cmds[0].Description = "Open a ticket with a form"
	changed, err := sess.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, cmds[:1])
	if err != nil || changed[0].ID != first[0].ID || changed[0].Version == first[0].Version || len(fake.Commands(fakediscord.GuildID)) != 1 {
		t.Fatalf("after a change: %+v, %v; registered %+v", changed, err, fake.Commands(fakediscord.GuildID))
	}
	for name, bad := range map[string]*discordgo.ApplicationCommand{
		"upper case slash":        {Name: "Ticket", Description: "x"},
		"no description":          {Name: "ticket"},
		"context menu with text":  {Name: "Create ticket", Type: discordgo.MessageApplicationCommand, Description: "x"},
		"autocomplete and choice": {Name: "t", Description: "x", Options: []*discordgo.ApplicationCommandOption{{Type: 3, Name: "f", Description: "x", Autocomplete: true, Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "a", Value: "a"}}}}},
	} {
		if _, err := sess.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, []*discordgo.ApplicationCommand{bad}); err == nil {
			t.Errorf("%s: accepted", name)
		} else if re := restError(t, err); re.Message.Code != 50035 {
			t.Errorf("%s: %v", name, err)
		}
	}
	fake.RefuseCommands(true)
	_, err = sess.ApplicationCommands(fakediscord.AppID, fakediscord.GuildID)
	if re := restError(t, err); re.Response.StatusCode != http.StatusForbidden || re.Message.Code != 50001 {
		t.Fatalf("without the scope: %v", err)
	}
}

// interactionCreate is an INTERACTION_CREATE of type typ in channelID.
func interactionCreate(id string, typ int, data map[string]any) map[string]any {
	return map[string]any{"id": id, "application_id": fakediscord.AppID, "type": typ, "token": "tok" + id,
		"channel_id": channelID, "guild_id": fakediscord.GuildID, "version": 1, "data": data,
		"member": map[string]any{"roles": []string{}, "user": map[string]any{"id": userID, "username": "alice"}}}
}

// TestInteractionRules answers dispatched interactions as Discord allows: a modal checked, a deferred
// ephemeral answer replaced by the first follow-up (which stays ephemeral), later follow-ups new
// messages, nothing before the response, and nothing once the token has expired.
func TestInteractionRules(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess, _ := openSession(t, fake)
	fake.Dispatch(t, "INTERACTION_CREATE", interactionCreate("600000000000000001", 2, map[string]any{"id": "1", "name": "ticket", "type": 1}))
	cmd := &discordgo.Interaction{ID: "600000000000000001", AppID: fakediscord.AppID, Token: "tok600000000000000001"}

	if _, err := sess.FollowupMessageCreate(cmd, true, &discordgo.WebhookParams{Content: "too soon"}); restError(t, err).Message.Code != 10015 {
		t.Fatalf("a follow-up before the response: %v", err)
	}
	input := func(id, label string) discordgo.MessageComponent {
		return discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{CustomID: id, Label: label, Style: discordgo.TextInputShort}}}
	}
	var six []discordgo.MessageComponent
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		six = append(six, input(id, "Question "+id))
	}
	for name, data := range map[string]*discordgo.InteractionResponseData{
		"six inputs":     {CustomID: "form:x", Title: "Form", Components: six},
		"long label":     {CustomID: "form:x", Title: "Form", Components: []discordgo.MessageComponent{input("a", strings.Repeat("l", 46))}},
		"long title":     {CustomID: "form:x", Title: strings.Repeat("t", 46), Components: six[:1]},
		"same custom id": {CustomID: "form:x", Title: "Form", Components: []discordgo.MessageComponent{input("a", "A"), input("a", "B")}},
	} {
		err := sess.InteractionRespond(cmd, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: data})
		if re := restError(t, err); re.Message.Code != 50035 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := sess.InteractionRespond(cmd, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
		t.Fatal(err)
	}
	first, err := sess.FollowupMessageCreate(cmd, true, &discordgo.WebhookParams{Content: "T-000001 is open"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := sess.FollowupMessageCreate(cmd, true, &discordgo.WebhookParams{Content: "and public"})
	if err != nil {
		t.Fatal(err)
	}
	f := fake.Followups()
	if len(f) != 2 || !f[0].Original || !f[0].Ephemeral() || f[1].Original || f[1].Ephemeral() || first.ID == second.ID {
		t.Fatalf("follow-ups = %+v", f)
	}

	// A modal is no answer to a modal's submission.
	fake.Dispatch(t, "INTERACTION_CREATE", interactionCreate("600000000000000002", 5, map[string]any{"custom_id": "form:x", "components": []any{}}))
	submit := &discordgo.Interaction{ID: "600000000000000002", AppID: fakediscord.AppID, Token: "tok600000000000000002"}
	err = sess.InteractionRespond(submit, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{CustomID: "form:x", Title: "Form", Components: six[:1]}})
	if re := restError(t, err); re.Message.Code != 50035 {
		t.Fatalf("a modal for a submission: %v", err)
	}
	fake.ExpireInteractions()
	err = sess.InteractionRespond(submit, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "late"}})
	if re := restError(t, err); re.Message.Code != 10062 {
		t.Fatalf("a late response: %v", err)
	}
	if _, err := sess.FollowupMessageCreate(cmd, true, &discordgo.WebhookParams{Content: "late"}); restError(t, err).Message.Code != 50027 {
		t.Fatalf("a follow-up with an expired token: %v", err)
	}
}

// TestFiles uploads files as discordgo sends them (multipart files[n] and payload_json) and reads them
// back from the CDN; a file over the limit is refused with 413, and an expired URL stops working while
// the message read again has a fresh one.
func TestFiles(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")
	sent, err := sess.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Content: "a screenshot",
		Files: []*discordgo.File{{Name: "screen.png", ContentType: "image/png", Reader: bytes.NewReader([]byte("PNG..."))}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Attachments) != 1 || sent.Attachments[0].Filename != "screen.png" || sent.Attachments[0].Size != 6 ||
		!strings.HasPrefix(sent.Attachments[0].URL, "https://cdn.discordapp.com/attachments/"+channelID+"/") {
		t.Fatalf("attachments = %+v", sent.Attachments)
	}
	if up := fake.Uploads(); len(up) != 1 || string(up[0].Data) != "PNG..." || up[0].ContentType != "image/png" {
		t.Fatalf("uploads = %+v", up)
	}
	get := func(u string) (int, string) {
		resp, err := sess.Client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(sent.Attachments[0].URL); code != 200 || body != "PNG..." {
		t.Fatalf("download: %d %q", code, body)
	}
	fake.ExpireAttachmentURLs()
	if code, _ := get(sent.Attachments[0].URL); code != http.StatusNotFound {
		t.Fatalf("an expired URL: %d", code)
	}
	again, err := sess.ChannelMessage(channelID, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(again.Attachments[0].URL); code != 200 || body != "PNG..." {
		t.Fatalf("download with the fresh URL: %d %q", code, body)
	}

	fake.SetUploadLimit(4)
	_, err = sess.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Content: "too big",
		Files: []*discordgo.File{{Name: "big.bin", Reader: bytes.NewReader([]byte("12345"))}}})
	if re := restError(t, err); re.Response.StatusCode != http.StatusRequestEntityTooLarge || re.Message.Code != 40005 {
		t.Fatalf("an upload over the limit: %v", err)
	}

	// A file a person attached, as a test puts it in a message.
	a := fake.AddAttachment(channelID, "log.txt", "text/plain", []byte("error 809"))
	raw, _ := json.Marshal(a)
	var att discordgo.MessageAttachment
	if err := json.Unmarshal(raw, &att); err != nil {
		t.Fatal(err)
	}
	if code, body := get(att.URL); code != 200 || body != "error 809" || att.Size != 9 || att.ContentType != "text/plain" {
		t.Fatalf("a person's file: %d %q %+v", code, body, att)
	}
	fake.DeleteMessage(channelID, sent.ID)
	if _, err := sess.ChannelMessage(channelID, sent.ID); restError(t, err).Message.Code != 10008 {
		t.Fatalf("a deleted message: %v", err)
	}
}
