package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// Files: what people attach to messages is handed to the engine with the message (bot.Event.Files); the
// engine records it on the ticket and has the dispatcher pass it on, reading it here (OpenFile) and
// posting it here (Upload) or on another platform.
//
// A file's reference (bot.File.ID) is "channel/message/attachment": Discord's attachment URLs are signed
// and expire after about a day, and a file may be passed on later than that (to a card made days after
// the screenshot), so OpenFile reads the message again for a fresh URL when the one it has no longer
// works.

var (
	_ bot.FileReader   = (*Adapter)(nil)
	_ bot.FileUploader = (*Adapter)(nil)
)

// maxFileName bounds the name a file is uploaded under.
const maxFileName = 100

// files are a message's attachments as the engine records them.
func files(m *discordgo.Message) []bot.File {
	var out []bot.File
	for _, at := range m.Attachments {
		if at == nil || at.ID == "" {
			continue
		}
		out = append(out, bot.File{
			Platform: Platform,
			ID:       m.ChannelID + "/" + m.ID + "/" + at.ID,
			Name:     at.Filename,
			Type:     at.ContentType,
			Size:     int64(max(at.Size, 0)),
			URL:      at.URL,
		})
	}
	return out
}

// OpenFile implements bot.FileReader: the file's content from Discord's CDN, at the URL it came with, or
// at a fresh one from its message when that URL has expired. A file whose message is gone is ENOTFOUND.
// Only Discord's own hosts (or the configured API URL's) are asked: a reference never makes the desk
// fetch anything else.
func (a *Adapter) OpenFile(ctx context.Context, f bot.File) (io.ReadCloser, error) {
	parts := strings.Split(f.ID, "/")
	if f.Platform != Platform || len(parts) != 3 || !isDigits(parts[0]) || !isDigits(parts[1]) || !isDigits(parts[2]) {
		return nil, bot.Errorf(bot.ENOTFOUND, "discord: %q is not a Discord file", f.ID)
	}
	channel, message, attachment := parts[0], parts[1], parts[2]
	if body, err := a.download(ctx, f.URL); err == nil || !errors.Is(err, errExpired) {
		return body, err
	}
	m, err := a.s.ChannelMessage(channel, message, discordgo.WithContext(ctx))
	if err != nil {
		err = a.apiError("read the message of a file", err)
		if bot.ErrorCode(err) == bot.EINVALID {
			return nil, bot.WrapError(err, bot.ENOTFOUND, "discord: the message of file %s cannot be read", f.ID)
		}
		return nil, err
	}
	for _, at := range m.Attachments {
		if at != nil && at.ID == attachment {
			body, err := a.download(ctx, at.URL)
			if errors.Is(err, errExpired) {
				return nil, bot.WrapError(err, bot.ENOTFOUND, "discord: file %s cannot be downloaded", f.ID)
			}
			return body, err
		}
	}
	return nil, bot.Errorf(bot.ENOTFOUND, "discord: the message no longer has file %s", f.ID)
}

// errExpired is a download refused for good at that URL: expired, gone, or not Discord's.
var errExpired = errors.New("the file's URL does not work any more")

// download GETs an attachment URL, without the bot's token (the CDN takes none, and a URL is not where a
// token goes).
func (a *Adapter) download(ctx context.Context, raw string) (io.ReadCloser, error) {
	u, err := url.Parse(raw)
	if err != nil || !a.cdnHost(u) {
		return nil, errExpired
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errExpired
	}
	resp, err := a.s.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discord: download a file: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		_ = resp.Body.Close()
		return nil, &bot.RateLimitError{RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		_ = resp.Body.Close()
		return nil, errExpired
	}
	_ = resp.Body.Close()
	return nil, fmt.Errorf("discord: download a file: HTTP %d", resp.StatusCode)
}

// cdnHost reports whether u is where Discord serves attachments (or the configured API URL's host).
func (a *Adapter) cdnHost(u *url.URL) bool {
	if u.Scheme == "https" && (u.Host == "cdn.discordapp.com" || u.Host == "media.discordapp.net") {
		return true
	}
	if a.cfg.APIURL == "" {
		return false
	}
	api, err := url.Parse(a.cfg.APIURL)
	return err == nil && api.Host != "" && u.Scheme == api.Scheme && u.Host == api.Host
}

// Upload implements bot.FileUploader: the post's text, with the file attached to its last message, sent
// as Discord takes files (multipart: the file as files[0], and the message, naming it in "attachments",
// as payload_json), at most once per key like PostOnce. Reading the body past the desk's limit fails the
// upload with bot.ErrFileTooLarge; a file Discord refuses (over the server's upload limit, 413) is
// EINVALID, and the engine links it instead.
func (a *Adapter) Upload(ctx context.Context, u bot.Upload, key string, maybeSent bool) (bot.MessageRef, error) {
	d, err := a.destination(ctx, u.Post)
	if err != nil {
		return bot.MessageRef{}, err
	}
	sends := messageSend(a.withLink(ctx, u.Post))
	var last *discordgo.Message
	for i, m := range sends {
		if i < len(sends)-1 {
			last, err = a.createMessage(ctx, d.target, d.reply(m), nonce(key, i))
		} else {
			last, err = a.createWithFile(ctx, d.target, d.reply(m), nonce(key, i), u.File, u.Body)
		}
		if err != nil {
			if errors.Is(err, bot.ErrFileTooLarge) {
				return bot.MessageRef{}, err
			}
			return bot.MessageRef{}, a.apiError("upload a file", err)
		}
	}
	return d.ref(last.ID), nil
}

// attachmentRef names an uploaded file in a message's "attachments": its part (files[id]) and name.
type attachmentRef struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

// messageWithFile is the payload_json of a message with one file.
type messageWithFile struct {
	messageCreate
	Attachments []attachmentRef `json:"attachments"`
}

// createWithFile sends m with one file to channel, with nonce enforced when it is not "".
func (a *Adapter) createWithFile(ctx context.Context, channel string, m *discordgo.MessageSend, nonce string, f bot.File, body io.Reader) (*discordgo.Message, error) {
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	name := uploadName(f.Name)
	payload := messageWithFile{
		messageCreate: messageCreate{MessageSend: m, Nonce: nonce, EnforceNonce: nonce != ""},
		Attachments:   []attachmentRef{{ID: 0, Filename: name}},
	}
	contentType, data, err := discordgo.MultipartBodyWithJSON(payload, []*discordgo.File{{Name: name, ContentType: f.Type, Reader: body}})
	if err != nil {
		return nil, fmt.Errorf("read the file to upload: %w", err)
	}
	endpoint := discordgo.EndpointChannelMessages(channel)
	resp, err := a.s.RequestRaw(http.MethodPost, endpoint, contentType, data, endpoint, 0, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var sent discordgo.Message
	if err := json.Unmarshal(resp, &sent); err != nil {
		return nil, fmt.Errorf("decode the message created: %w", err)
	}
	return &sent, nil
}

// uploadName is the name a file is uploaded under: one line, no path, at most maxFileName characters,
// never empty.
func uploadName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '_'
		case r < ' ' || r == 0x7f:
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	name = strings.TrimLeft(name, ".")
	if r := []rune(name); len(r) > maxFileName {
		name = string(r[len(r)-maxFileName:]) // the end keeps the extension
	}
	if name == "" {
		return "file"
	}
	return name
}

// retryAfter reads a Retry-After header in seconds; a second when it says nothing usable.
func retryAfter(h string) time.Duration {
	if secs, err := strconv.ParseFloat(strings.TrimSpace(h), 64); err == nil && secs > 0 && secs < 3600 {
		return time.Duration(secs * float64(time.Second))
	}
	return time.Second
}
