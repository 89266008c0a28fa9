package bottest

// What the fake platform does for intake: messages people wrote (which the desk reads to turn one into
// a ticket), files (read, and posted by the desk), forms shown and homes published.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/firstline-desk/firstline/bot"
)

var (
	_ bot.MessageReader = (*Chat)(nil)
	_ bot.FileReader    = (*Chat)(nil)
	_ bot.FileUploader  = (*Chat)(nil)
	_ bot.FormOpener    = (*Chat)(nil)
	_ bot.HomePublisher = (*Chat)(nil)
)

// intake is the fake platform's record of what people wrote, its files, the forms it showed and the
// homes it published.
type intake struct {
	mu      sync.Mutex
	written map[string]bot.ChatMessage // by channel + "/" + id
	files   map[string][]byte          // by file id
	fileSeq int
	forms   []bot.FormRequest
	homes   []bot.HomeView
	// NoUploads makes Upload refuse every file as the platform's own limit would (EINVALID).
	noUploads bool
}

func (c *Chat) in() *intake {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.intake == nil {
		c.intake = &intake{written: map[string]bot.ChatMessage{}, files: map[string][]byte{}}
	}
	return c.intake
}

// Wrote records a message a person wrote, for ReadMessage.
func (c *Chat) Wrote(m bot.ChatMessage) {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.written[m.Ref.Channel+"/"+m.Ref.ID] = m
}

// Delete forgets a message a person wrote, as if they deleted it.
func (c *Chat) Delete(channel, id string) {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.written, channel+"/"+id)
}

// ReadMessage implements bot.MessageReader: a message people wrote (Wrote), or one the desk posted.
func (c *Chat) ReadMessage(_ context.Context, ref bot.MessageRef) (bot.ChatMessage, error) {
	if err := c.fail("read", bot.Post{}); err != nil {
		return bot.ChatMessage{}, err
	}
	in := c.in()
	in.mu.Lock()
	m, ok := in.written[ref.Channel+"/"+ref.ID]
	in.mu.Unlock()
	if ok {
		return m, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if bm := c.find(ref); bm != nil {
		return bot.ChatMessage{Ref: bm.Ref, Author: bot.JoinID(c.platform, "firstline"), Bot: true, Text: bm.Post.Text}, nil
	}
	return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "no message %s in %s", ref.ID, ref.Channel)
}

// AddFile stores a file on the fake platform and returns it, as a message would carry it.
func (c *Chat) AddFile(name, media string, content []byte) bot.File {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fileSeq++
	id := fmt.Sprintf("F%d", in.fileSeq)
	in.files[id] = content
	return bot.File{Platform: c.platform, ID: id, Name: name, Type: media, Size: int64(len(content)), URL: "https://files.test/" + id}
}

// OpenFile implements bot.FileReader.
func (c *Chat) OpenFile(_ context.Context, f bot.File) (io.ReadCloser, error) {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	content, ok := in.files[f.ID]
	if !ok {
		return nil, bot.Errorf(bot.ENOTFOUND, "no file %s", f.ID)
	}
	return io.NopCloser(bytes.NewReader(content)), nil
}

// RefuseUploads makes the platform refuse every upload, as one whose own size limit a file passes.
func (c *Chat) RefuseUploads() {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.noUploads = true
}

// Upload implements bot.FileUploader: the file is posted as a message whose File and Content are set.
func (c *Chat) Upload(ctx context.Context, u bot.Upload, key string, maybeSent bool) (bot.MessageRef, error) {
	content, err := io.ReadAll(u.Body)
	if err != nil {
		return bot.MessageRef{}, err
	}
	in := c.in()
	in.mu.Lock()
	refuse := in.noUploads
	in.mu.Unlock()
	if refuse {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "the platform refuses the file")
	}
	ref, err := c.Post(ctx, u.Post)
	if err != nil {
		return ref, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.find(ref)
	f := u.File
	m.File, m.Content = &f, content
	return ref, nil
}

// OpenForm implements bot.FormOpener: the form is recorded (Forms).
func (c *Chat) OpenForm(_ context.Context, r bot.FormRequest) error {
	if err := c.fail("form", bot.Post{}); err != nil {
		return err
	}
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.forms = append(in.forms, r)
	return nil
}

// Forms returns the forms shown so far, in order.
func (c *Chat) Forms() []bot.FormRequest {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]bot.FormRequest(nil), in.forms...)
}

// PublishHome implements bot.HomePublisher: the view is recorded (Homes).
func (c *Chat) PublishHome(_ context.Context, v bot.HomeView) error {
	if err := c.fail("home", bot.Post{}); err != nil {
		return err
	}
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.homes = append(in.homes, v)
	return nil
}

// Homes returns the homes published for user ("" for everyone), in order.
func (c *Chat) Homes(user string) []bot.HomeView {
	in := c.in()
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []bot.HomeView
	for _, v := range in.homes {
		if user == "" || v.User == user {
			out = append(out, v)
		}
	}
	return out
}

// SayFiles posts a message with files as user in a thread of channel ("" at top level) and returns its
// id.
func (d *Desk) SayFiles(user, channel, thread, text string, files ...bot.File) string {
	d.T.Helper()
	id := d.nextID()
	_, name := bot.SplitID(user)
	ev := bot.Event{Kind: bot.EventMessage, ID: id, Channel: channel, Thread: thread, Message: id, User: user, UserName: name,
		DM: strings.HasPrefix(channel, "@"), Mention: strings.Contains(text, "@firstline"), Text: text, Files: files}
	d.Chat.Wrote(bot.ChatMessage{Ref: bot.MessageRef{Platform: d.Chat.Platform(), Channel: channel, Thread: thread, ID: id},
		Author: user, AuthorName: name, Text: text, Files: files})
	d.must(ev)
	return id
}

// Written records a message user wrote in channel (in thread, or at top level) without the desk seeing
// it, as a message in a channel the desk does not answer in, and returns its id.
func (d *Desk) Written(user, channel, thread, text string, files ...bot.File) string {
	id := d.nextID()
	_, name := bot.SplitID(user)
	d.Chat.Wrote(bot.ChatMessage{Ref: bot.MessageRef{Platform: d.Chat.Platform(), Channel: channel, Thread: thread, ID: id},
		Author: user, AuthorName: name, Text: text, Files: files})
	return id
}

// ReactTo adds a reaction to any message (one a person wrote), as a platform reports it: without the
// message's thread.
func (d *Desk) ReactTo(user, channel, id, name string) {
	d.T.Helper()
	_, uname := bot.SplitID(user)
	d.must(bot.Event{Kind: bot.EventReactionAdded, ID: d.nextID(), Channel: channel, Message: id,
		User: user, UserName: uname, DM: strings.HasPrefix(channel, "@"), Reaction: name})
}

// CreateTicket uses the message shortcut "Create ticket" on a message, as user.
func (d *Desk) CreateTicket(user, channel, id string) {
	d.T.Helper()
	_, uname := bot.SplitID(user)
	d.must(bot.Event{Kind: bot.EventCreateTicket, ID: d.nextID(), Channel: channel, Message: id,
		User: user, UserName: uname, DM: strings.HasPrefix(channel, "@"), Private: true})
}

// Submit submits form with values as user (their roles given), as a platform hands over a filled-in
// form, and returns the engine's refusal, nil when it took it.
func (d *Desk) Submit(user string, roles []string, form string, values map[string]string) error {
	d.T.Helper()
	_, uname := bot.SplitID(user)
	return d.Handle(bot.Event{Kind: bot.EventForm, ID: d.nextID(), User: user, UserName: uname, Roles: roles,
		Form: &bot.FormSubmission{Form: form, Values: values}})
}

// OpenHome has user look at their home.
func (d *Desk) OpenHome(user string, roles ...string) {
	d.T.Helper()
	d.must(bot.Event{Kind: bot.EventHome, ID: d.nextID(), User: user, Roles: roles})
}

// Command types a private command (a slash command's text, with the prefix) as user in channel, with a
// trigger for opening forms.
func (d *Desk) Command(user, channel, text string) {
	d.T.Helper()
	_, uname := bot.SplitID(user)
	id := d.nextID()
	d.must(bot.Event{Kind: bot.EventMessage, ID: id, Channel: channel, User: user, UserName: uname, Text: text,
		Private: true, Trigger: "trigger-" + id})
}
