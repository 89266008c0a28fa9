package fakediscord

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Files, as Discord handles them: a message with files is a multipart request whose "files[n]" parts
// are the files and whose "payload_json" part is the message, with an "attachments" array naming each
// file by its part's index ({"id": 0, "filename": "a.png"}). A file over the upload limit is refused with
// HTTP 413 and code 40005. The message then lists its attachments (id, filename, size, content_type, and
// a signed CDN URL, https://cdn.discordapp.com/attachments/{channel}/{attachment}/{filename}?ex=…), which
// the fake serves without authorization, as the CDN does, until ExpireAttachmentURLs: Discord's URLs
// expire (about a day), and a message read again carries fresh ones.

// DefaultUploadLimit is the largest file a bot may upload to a server without boosts (10 MiB since 2024).
const DefaultUploadLimit = 10 << 20

// cdnHost is the host of attachment URLs.
const cdnHost = "cdn.discordapp.com"

// upload is a file part of a multipart request.
type upload struct {
	index       int // n of files[n]
	filename    string
	contentType string
	data        []byte
}

// storedFile is an attachment the fake serves.
type storedFile struct {
	channelID, messageID string
	filename, typ        string
	data                 []byte
}

// Upload is a file the bot uploaded with a message.
type Upload struct {
	MessageID, ChannelID, AttachmentID string
	Filename, ContentType              string
	Data                               []byte
}

// SetUploadLimit changes the largest file the fake takes (DefaultUploadLimit): Discord's limit depends on
// the server's boost level.
func (s *Server) SetUploadLimit(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploadLimit = n
}

// AddAttachment makes a file the fake serves as an attachment of a message in channelID, and returns its
// JSON as a message carries it, for a test to put in the "attachments" of a MESSAGE_CREATE or of
// AddHistory. The message id is filled in when the attachment is first listed in a message the fake
// stores.
func (s *Server) AddAttachment(channelID, filename, contentType string, data []byte) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newIDLocked()
	s.files[id] = &storedFile{channelID: channelID, filename: filename, typ: contentType, data: slices.Clone(data)}
	return s.attachmentJSONLocked(id)
}

// Uploads returns the files the bot uploaded, in order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.uploads)
}

// WaitUploads waits until at least n files were uploaded and returns them; it fails the test after 10 s.
func (s *Server) WaitUploads(t testing.TB, n int) []Upload {
	t.Helper()
	if !s.wait(func() bool { return len(s.uploads) >= n }) {
		t.Fatalf("fakediscord: waited %v for %d uploads, have %d; calls: %s", waitTimeout, n, len(s.Uploads()), s.summary())
	}
	return s.Uploads()
}

// ExpireAttachmentURLs makes every attachment URL handed out so far stop working (404), as Discord's
// signed URLs do after about a day. Messages read afterwards carry new URLs.
func (s *Server) ExpireAttachmentURLs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urlEpoch++
}

// CDNRequests returns how many attachment downloads were asked for, served or not.
func (s *Server) CDNRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdnRequests
}

// attachmentJSONLocked is an attachment as a message lists it, with a URL signed for the current epoch.
func (s *Server) attachmentJSONLocked(id string) map[string]any {
	f := s.files[id]
	path := "/attachments/" + f.channelID + "/" + id + "/" + url.PathEscape(f.filename)
	q := "?ex=" + strconv.FormatInt(s.urlEpoch, 16) + "&is=0&hm=fake&"
	a := map[string]any{
		"id": id, "filename": f.filename, "size": len(f.data),
		"url":       "https://" + cdnHost + path + q,
		"proxy_url": "https://media.discordapp.net" + path + q,
	}
	if f.typ != "" {
		a["content_type"] = f.typ
	}
	return a
}

// refreshAttachmentsLocked gives the attachments of a message read over REST URLs of the current epoch,
// and ties attachments a test made to the message that lists them.
func (s *Server) refreshAttachmentsLocked(msg map[string]any) {
	list, _ := msg["attachments"].([]any)
	if len(list) == 0 {
		return
	}
	out := make([]any, 0, len(list))
	for _, a := range list {
		am, _ := a.(map[string]any)
		id, _ := am["id"].(string)
		if f, known := s.files[id]; known {
			if f.messageID == "" {
				f.messageID, _ = msg["id"].(string)
			}
			out = append(out, s.attachmentJSONLocked(id))
			continue
		}
		out = append(out, a)
	}
	msg["attachments"] = out
}

// readUploads reads the file parts of a multipart request.
func readUploads(form *multipart.Form) ([]upload, error) {
	var out []upload
	for name, headers := range form.File {
		n, ok := strings.CutPrefix(name, "files[")
		if !ok || !strings.HasSuffix(n, "]") {
			continue // Discord reads files[n] (and the legacy "file"); others are ignored
		}
		index, err := strconv.Atoi(strings.TrimSuffix(n, "]"))
		if err != nil || len(headers) != 1 {
			return nil, fmt.Errorf("bad file part %q", name)
		}
		f, err := headers[0].Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, upload{index: index, filename: headers[0].Filename, contentType: headers[0].Header.Get("Content-Type"), data: data})
	}
	slices.SortFunc(out, func(a, b upload) int { return a.index - b.index })
	return out, nil
}

// attachmentsLocked checks the files of a message create against its payload's "attachments" and the
// upload limit, stores them, and returns the message's attachments; bad is Discord's refusal.
func (s *Server) attachmentsLocked(channelID string, fields map[string]json.RawMessage, files []upload) (list []any, stored []string, bad *reply) {
	if len(files) > 10 {
		rep := invalidForm("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
		return nil, nil, &rep
	}
	var declared []struct {
		ID       json.Number `json:"id"`
		Filename string      `json:"filename"`
	}
	if raw := fields["attachments"]; !emptyJSON(raw) {
		if err := json.Unmarshal(raw, &declared); err != nil {
			rep := invalidForm("attachments", "BASE_TYPE_BAD_TYPE", "Must be an array of attachments.")
			return nil, nil, &rep
		}
	}
	names := map[int]string{}
	for i, d := range declared {
		n, err := strconv.Atoi(d.ID.String())
		if err != nil || !slices.ContainsFunc(files, func(u upload) bool { return u.index == n }) {
			rep := invalidForm(fmt.Sprintf("attachments.%d.id", i), "ATTACHMENT_NOT_FOUND", "Unknown attachment")
			return nil, nil, &rep
		}
		names[n] = d.Filename
	}
	limit := s.uploadLimit
	for _, u := range files {
		if int64(len(u.data)) > limit {
			return nil, nil, &reply{status: http.StatusRequestEntityTooLarge, body: map[string]any{"code": 40005, "message": "Request entity too large"}}
		}
	}
	for _, u := range files {
		id := s.newIDLocked()
		name := u.filename
		if n := names[u.index]; n != "" {
			name = n
		}
		typ := u.contentType
		if typ == "application/octet-stream" {
			typ = "" // Discord guesses from the name; the fake does not
		}
		s.files[id] = &storedFile{channelID: channelID, filename: name, typ: typ, data: u.data}
		list = append(list, s.attachmentJSONLocked(id))
		stored = append(stored, id)
	}
	return list, stored, nil
}

// serveCDN serves an attachment's content at its URL while the URL's epoch is current.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/attachments/"), "/")
	s.mu.Lock()
	s.cdnRequests++
	var f *storedFile
	if len(parts) == 3 {
		f = s.files[parts[1]]
	}
	current := r.URL.Query().Get("ex") == strconv.FormatInt(s.urlEpoch, 16)
	var data []byte
	if f != nil && f.channelID == parts[0] && current && r.Method == http.MethodGet {
		data = f.data
	} else {
		f = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "This content is no longer available.", http.StatusNotFound)
		return
	}
	if f.typ != "" {
		w.Header().Set("Content-Type", f.typ)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
