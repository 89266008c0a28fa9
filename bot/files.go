package bot

// Attachments: the files people post in a ticket's conversations, recorded on the ticket and passed to the
// other side of the relay (the card's thread, or the requester's conversation) by the dispatcher
// (upload.go). The desk never reads what is in a file: it is not searched, not sent to a model, not
// scanned for text.

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
)

// File is a file attached to a message, as its platform describes it.
type File struct {
	// Platform is the platform that holds the file; ID is its reference there (Slack's file id).
	Platform string `json:"platform" redact:"-"`
	ID       string `json:"id" redact:"-"`
	Name     string `json:"name"`
	// Type is the file's media type ("image/png"), "" when the platform does not say.
	Type string `json:"type,omitempty" redact:"-"`
	// Size is the file's length in bytes, 0 when the platform does not say (it is then checked as the
	// file is copied).
	Size int64 `json:"size,omitempty"`
	// URL is where people of its platform open it (Slack's permalink), "" when there is none.
	URL string `json:"url,omitempty" redact:"-"`
}

// Attachment is a file recorded on a ticket: who posted it, on which side, and, when it was refused,
// why it was not passed on.
type Attachment struct {
	File
	From     string    `json:"from" redact:"-"` // "platform:id"
	FromName string    `json:"from_name,omitempty"`
	Side     string    `json:"side" redact:"-"` // RoleRequester or RoleTechnician
	At       time.Time `json:"at"`
	// Refused says why the desk did not pass the file on (too large, a type it refuses); "" when it did.
	Refused string `json:"refused,omitempty"`
	// Internal: posted with a technician's note, so for the technicians alone, like the note.
	Internal bool `json:"internal,omitempty"`
}

// FilesConfig says which attachments the desk takes.
type FilesConfig struct {
	// MaxBytes is the largest file the desk passes on (0: DefaultMaxFileBytes). A larger one is refused
	// with a reply and recorded as refused.
	MaxBytes int64
	// Refuse are the kinds of file the desk refuses: media types ("application/x-msdownload"), families
	// ("video/*") or name endings (".exe"), in any case.
	Refuse []string
}

// DefaultMaxFileBytes is the largest file the desk passes on when the config names no size (20 MB, what
// Slack's and Discord's free tiers both take).
const DefaultMaxFileBytes = 20_000_000

// Problems reports what is wrong with the files config, one sentence each.
func (c FilesConfig) Problems() []string {
	var problems []string
	if c.MaxBytes < 0 {
		problems = append(problems, fmt.Sprintf("files: max_bytes %d is negative", c.MaxBytes))
	}
	for _, r := range c.Refuse {
		r = strings.TrimSpace(r)
		if r == "" || (!strings.HasPrefix(r, ".") && !strings.Contains(r, "/")) {
			problems = append(problems, fmt.Sprintf("files: refuse %q is neither a media type (image/svg+xml, video/*) nor a name ending (.exe)", r))
		}
	}
	return problems
}

// refusal says why the desk does not pass f on, "" when it does.
func (c FilesConfig) refusal(f File) string {
	if c.MaxBytes > 0 && f.Size > c.MaxBytes {
		size, limit := byteSize(f.Size), byteSize(c.MaxBytes)
		if size == limit {
			size, limit = exactBytes(f.Size), exactBytes(c.MaxBytes) // "1 KB, up to 1 KB" says nothing
		}
		return fmt.Sprintf("it is %s, and the desk passes on files up to %s", size, limit)
	}
	media := strings.ToLower(strings.TrimSpace(f.Type))
	if i := strings.IndexByte(media, ';'); i >= 0 {
		media = strings.TrimSpace(media[:i])
	}
	ext := strings.ToLower(path.Ext(f.Name))
	for _, r := range c.Refuse {
		r = strings.ToLower(strings.TrimSpace(r))
		switch {
		case strings.HasPrefix(r, "."):
			if ext == r {
				return fmt.Sprintf("the desk does not take %s files", r)
			}
		case strings.HasSuffix(r, "/*"):
			if media != "" && strings.HasPrefix(media, strings.TrimSuffix(r, "*")) {
				return fmt.Sprintf("the desk does not take %s files", strings.TrimSuffix(r, "/*"))
			}
		case media == r:
			return fmt.Sprintf("the desk does not take files of type %s", r)
		}
	}
	return ""
}

// byteSize writes a size in bytes as people read it: "820 bytes", "120 KB", "4.2 MB".
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return plural.Count(n, "byte", "bytes")
	case n < 1_000_000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	case n < 10_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
}

// exactBytes writes a size in bytes with thousands separators: "1,000,001 bytes".
func exactBytes(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + " bytes"
}

// describe is a file as a line shows it: "**screenshot.png** (image/png, 120 KB)".
func (f File) describe() string {
	var about []string
	if media := f.Type; media != "" {
		about = append(about, media)
	}
	if f.Size > 0 {
		about = append(about, byteSize(f.Size))
	}
	name := "**" + fileName(f) + "**"
	if len(about) == 0 {
		return name
	}
	return name + " (" + strings.Join(about, ", ") + ")"
}

// fileName is a file's name as the desk shows it: one line, bounded, never empty.
func fileName(f File) string {
	n := clip(strings.Join(strings.Fields(f.Name), " "), 120)
	if n == "" {
		return "a file"
	}
	return n
}

// FileReader is a Chat whose files the desk can read, to copy them to another conversation (upload.go).
type FileReader interface {
	// OpenFile returns the content of a file of this platform. The caller closes it. Errors: an *Error
	// with ENOTFOUND when the file is gone or the desk may not read it (it is then linked, not copied);
	// anything else is retried like a failed post.
	OpenFile(ctx context.Context, f File) (io.ReadCloser, error)
}

// FileUploader is a Chat that can post a file. The dispatcher calls Upload for every file it passes on to
// a conversation of this platform, at most once per key like OncePoster.PostOnce: maybeSent says an
// earlier attempt may have posted it.
type FileUploader interface {
	// Upload posts u.Body as the file u.File (its name and type) in the place u.Post says (Channel and
	// Thread, or DM), with u.Post.Text as the message that comes with it, and returns the message's
	// reference. Reading u.Body fails with ErrFileTooLarge past the desk's limit. Errors: an *Error with
	// EINVALID when the platform refuses the file for good (too large for it, a type it refuses): the
	// desk then links it instead; others are as for Chat.Post.
	Upload(ctx context.Context, u Upload, key string, maybeSent bool) (MessageRef, error)
}

// Upload is a file to post.
type Upload struct {
	Post Post
	File File
	Body io.Reader
}

// ErrFileTooLarge is what reading an upload's body returns once it has passed the desk's limit
// (FilesConfig.MaxBytes): a file whose platform did not say its size is stopped as it is copied.
var ErrFileTooLarge = Errorf(EINVALID, "the file is larger than the desk passes on")

// recordFiles records files on t as posted by from on side (RoleRequester or RoleTechnician; internal:
// with a technician's note, which stays with the technicians). It returns those the desk takes, for the
// caller to pass on, and what to tell the person about those it refuses ("" when none). A marker line in
// the transcript notes each file, so the conversation reads in order; it is not searched (it starts
// with "(", as the other markers do).
func (w *work) recordFiles(t *Ticket, files []File, from, fromName, side string, internal bool) (taken []Attachment, refusedNote string) {
	var refused []string
	for _, f := range files {
		if f.Platform == "" {
			f.Platform = w.ev.Platform
		}
		a := Attachment{File: f, From: from, FromName: nameOf(fromName, from), Side: side, At: w.now, Internal: internal}
		a.Refused = w.cfg().Files.refusal(f)
		t.Files = append(t.Files, a)
		marker := "(attached " + fileName(f) + ")"
		if a.Refused != "" {
			marker = "(attached " + fileName(f) + ", not passed on: " + a.Refused + ")"
			refused = append(refused, fmt.Sprintf("I can't pass on %s: %s.", f.describe(), a.Refused))
		} else {
			taken = append(taken, a)
		}
		t.say(w.now, from, a.FromName, side, marker, internal)
	}
	return taken, strings.Join(refused, "\n")
}

// relayFileToCard passes a requester's file on to the thread of a ticket's card.
func (w *work) relayFileToCard(t *Ticket, card *Card, a Attachment) error {
	platform, channel := w.tierChannel(card.Tier)
	who := "requester"
	if a.From != t.Requester {
		who = "in the requester's conversation"
	}
	f := a.File
	return w.enqueue(Effect{Kind: EffectUpload, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, ThreadKey: card.Key, File: &f,
		Post: Post{Channel: channel, ThreadName: threadName(t), Text: fmt.Sprintf("**%s** (%s) sent %s", nameOf(a.FromName, a.From), who, f.describe())}})
}

// relayFileToRequester passes a technician's file on to the requester's conversation.
func (w *work) relayFileToRequester(t *Ticket, card *Card, a Attachment) error {
	f := a.File
	eff := w.requesterEffect(t, Effect{Kind: EffectUpload, Ticket: t.ID, File: &f,
		Post: Post{Text: fmt.Sprintf("**%s** (%s) sent %s", nameOf(a.FromName, a.From), w.cfg().tierName(card.Tier), f.describe())}})
	return w.enqueue(eff)
}

// relayFilesToCard passes every file the requester's side posted on a ticket, and the desk took, to a
// new card's thread: technicians of the tier it reached see what was sent before they had it.
func (w *work) relayFilesToCard(t *Ticket, card *Card) error {
	for _, a := range t.Files {
		if a.Side == RoleRequester && a.Refused == "" {
			if err := w.relayFileToCard(t, card, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// filesText lists a ticket's attachments for its card: what the requester's side sent, and what the desk
// refused.
func filesText(t *Ticket) string {
	var b strings.Builder
	for _, a := range t.Files {
		line := "\n- " + a.describe() + " from " + nameOf(a.FromName, a.From)
		if a.Refused != "" {
			line += " (not passed on: " + a.Refused + ")"
		}
		b.WriteString(line)
	}
	if b.Len() == 0 {
		return ""
	}
	return "\nAttachments (in this thread):" + b.String()
}
