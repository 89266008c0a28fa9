package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Files: files.info describes a file; its url_private_download serves it to a request with the bot
// token (without one, as files.slack.com does, it redirects to the sign-in page); files.uploadV2 is the
// three steps Slack documents: files.getUploadURLExternal (a file id and an upload URL for a length),
// a POST of the bytes to that URL, and files.completeUploadExternal, which shares the file in a channel
// or thread as a message of the bot's.

// File is a file the fake holds: one a test added (a person's), or one the bot uploaded.
type File struct {
	ID, Name, Title, Mimetype string
	Size                      int
	Content                   []byte
	// User is who posted it: a person, or the bot for its uploads.
	User string
	// Permalink and URLPrivateDownload are where Slack shows and serves it.
	Permalink, URLPrivateDownload string
	// Length is what files.getUploadURLExternal was told; Uploaded says the bytes came; Completed says
	// files.completeUploadExternal shared it.
	Length              int
	Uploaded, Completed bool
}

func (f File) json() map[string]any {
	return map[string]any{
		"id": f.ID, "name": f.Name, "title": firstNonEmpty(f.Title, f.Name), "mimetype": f.Mimetype,
		"filetype": strings.TrimPrefix(strings.ToLower(extOf(f.Name)), "."), "size": f.Size, "user": f.User,
		"mode": "hosted", "is_external": false, "url_private": f.URLPrivateDownload, "url_private_download": f.URLPrivateDownload,
		"permalink": f.Permalink,
	}
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// AddFile stores a file a person posted and returns it; put it in a message (Message.Files) to share it.
func (s *Server) AddFile(user, name, mimetype string, content []byte) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFileLocked(name, mimetype)
	f.User, f.Content, f.Size, f.Uploaded, f.Completed = user, content, len(content), true, true
	return *f
}

func (s *Server) newFileLocked(name, mimetype string) *File {
	s.fileSeq++
	id := fmt.Sprintf("F%07d", s.fileSeq)
	f := &File{ID: id, Name: name, Title: name, Mimetype: mimetype,
		Permalink:          fmt.Sprintf("https://firstline.slack.com/files/%s/%s/%s", BotUserID, id, url.PathEscape(name)),
		URLPrivateDownload: fmt.Sprintf("%s/files/%s/%s", s.http.URL, id, url.PathEscape(name)),
	}
	s.files[id] = f
	return f
}

// Files returns the files the fake holds, the bot's uploads included, by id.
func (s *Server) Files() map[string]File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]File{}
	for id, f := range s.files {
		out[id] = *f
	}
	return out
}

// WaitUploads waits until the bot has completed n uploads and returns the messages that shared them, in
// order; it fails the test after 10 s.
func (s *Server) WaitUploads(t testing.TB, n int) []Message {
	t.Helper()
	var out []Message
	if !s.wait(func() bool {
		out = nil
		for _, m := range s.posted {
			if len(m.Files) > 0 {
				out = append(out, m)
			}
		}
		return len(out) >= n
	}) {
		t.Fatalf("fakeslack: waited %v for %d uploads, have %d; calls seen: %s", waitTimeout, n, len(out), s.summary())
	}
	return out
}

func (s *Server) fileInfoLocked(f url.Values) reply {
	file, ok := s.files[f.Get("file")]
	if !ok || !file.Completed {
		return errReply("file_not_found")
	}
	return okReply(map[string]any{"file": file.json(), "comments": []any{}, "paging": map[string]any{"count": 100, "total": 0, "page": 1, "pages": 0}})
}

// serveFile serves a file's bytes to a request with a bot token, as files.slack.com does; without one it
// redirects to the workspace's sign-in page, which answers 200 with HTML.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/files/signin") {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<!DOCTYPE html><title>Sign in to Firstline</title>")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	s.mu.Lock()
	f, ok := s.files[parts[0]]
	var file File
	if ok {
		file = *f
	}
	s.mu.Unlock()
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !strings.HasPrefix(token, "xoxb-") {
		http.Redirect(w, r, "/files/signin?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	}
	if !ok || !file.Completed {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", file.Mimetype)
	w.Header().Set("Content-Length", strconv.Itoa(len(file.Content)))
	_, _ = w.Write(file.Content)
}

func (s *Server) uploadURLLocked(f url.Values, host string) reply {
	length, err := strconv.Atoi(f.Get("length"))
	switch {
	case f.Get("filename") == "":
		return errReply("invalid_arguments")
	case err != nil || length <= 0:
		return errReply("invalid_arguments")
	}
	file := s.newFileLocked(f.Get("filename"), mime.TypeByExtension(extOf(f.Get("filename"))))
	file.User, file.Length = BotUserID, length
	return okReply(map[string]any{"upload_url": fmt.Sprintf("http://%s/upload/%s", host, file.ID), "file_id": file.ID})
}

// serveUpload takes a file's bytes at its upload URL, as a multipart form (field "file") or a raw body,
// and checks them against the length announced.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	var content []byte
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		var part io.ReadCloser
		if part, _, err = r.FormFile("file"); err == nil {
			content, err = io.ReadAll(part)
			part.Close()
		}
	} else {
		content, err = io.ReadAll(r.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	switch {
	case !ok || f.Uploaded:
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	case err != nil || len(content) != f.Length:
		http.Error(w, fmt.Sprintf("expected %d bytes", f.Length), http.StatusBadRequest)
		return
	}
	f.Content, f.Size, f.Uploaded = content, len(content), true
	s.notifyLocked()
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(content)))
}

func (s *Server) completeUploadLocked(f url.Values) reply {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(f.Get("files")), &summaries); err != nil || len(summaries) == 0 {
		return errReply("invalid_arguments")
	}
	m := Message{Channel: f.Get("channel_id"), ThreadTS: f.Get("thread_ts"), Text: f.Get("initial_comment")}
	var out []any
	for _, sum := range summaries {
		file, ok := s.files[sum.ID]
		switch {
		case !ok:
			return errReply("file_not_found")
		case !file.Uploaded:
			return errReply("file_upload_not_found")
		case file.Completed:
			return errReply("file_already_completed")
		}
		if sum.Title != "" {
			file.Title = sum.Title
		}
		file.Completed = true
		m.Files = append(m.Files, *file)
		out = append(out, map[string]any{"id": file.ID, "title": file.Title})
	}
	if m.Channel == "" {
		// Not shared: the file exists, private to the bot.
		return okReply(map[string]any{"files": out})
	}
	if m.Text == "" {
		blocks, valid := blocksOf(f)
		if !valid {
			return errReply("invalid_blocks")
		}
		m.Blocks = blocks
	}
	m.TS = s.nextTSLocked()
	s.posted = append(s.posted, m)
	return okReply(map[string]any{"files": out})
}
