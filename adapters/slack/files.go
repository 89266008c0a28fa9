package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Files: the desk reads the files people post (files.info, then the file's private download URL with the
// bot token: files:read) to copy them to the other side of a relay, and posts files with files.uploadV2
// (files.getUploadURLExternal, the upload, files.completeUploadExternal: files:write). A file posted in a
// DM or a private channel is not visible to people outside it, so a link would not do: the desk copies
// every file it passes on, within its limit (bot.FilesConfig.MaxBytes).

var (
	_ bot.FileReader   = (*Adapter)(nil)
	_ bot.FileUploader = (*Adapter)(nil)
)

// onceBlockPrefix starts the block id that carries an upload's key (the message files.uploadV2 posts
// takes no metadata, but its blocks keep their ids), so that an upload that may have been made is looked
// for before it is made again.
const onceBlockPrefix = "firstline_once_"

// OpenFile implements bot.FileReader: files.info for the file's download URL, then the download with the
// bot token, which slack-go sends to Slack's hosts (or the configured API's) only.
func (a *Adapter) OpenFile(ctx context.Context, f bot.File) (io.ReadCloser, error) {
	info, _, _, err := a.api.GetFileInfoContext(ctx, f.ID, 0, 0)
	switch code := slackError(err); {
	case code == "file_not_found" || code == "file_deleted" || code == "missing_scope" || code == "not_allowed":
		return nil, bot.WrapError(err, bot.ENOTFOUND, "slack files.info: %s", code)
	case err != nil:
		return nil, a.apiError("files.info", err)
	case info.IsExternal || info.Mode == "external" || info.Mode == "tombstone":
		return nil, bot.Errorf(bot.ENOTFOUND, "slack: file %s is not kept by Slack", f.ID)
	}
	download := firstOf(info.URLPrivateDownload, info.URLPrivate)
	if download == "" {
		return nil, bot.Errorf(bot.ENOTFOUND, "slack: file %s has no download address", f.ID)
	}
	pr, pw := io.Pipe()
	go func() {
		err := a.api.GetFileContext(ctx, download, pw)
		if err != nil && strings.Contains(err.Error(), "sign-in page") {
			err = bot.WrapError(err, bot.ENOTFOUND, "slack: the bot token cannot read file %s", f.ID)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// Upload implements bot.FileUploader with files.uploadV2: the file and its message in one. Its key is in
// a block id of the message, looked for first when an earlier attempt may have posted it (as PostOnce
// looks for its metadata). Slack needs the length before the bytes, so the file is read whole first; the
// desk's limit bounds it.
func (a *Adapter) Upload(ctx context.Context, u bot.Upload, key string, maybeSent bool) (bot.MessageRef, error) {
	channel, err := a.postChannel(ctx, u.Post)
	if err != nil {
		return bot.MessageRef{}, err
	}
	thread := u.Post.Thread
	if maybeSent {
		ref, found, err := a.findPost(ctx, channel, thread, key)
		switch {
		case found:
			return ref, nil
		case err != nil && !refused(err):
			return bot.MessageRef{}, a.apiError(lookupMethod(u.Post), err)
		}
	}
	var body bytes.Buffer
	if _, err := io.Copy(&body, u.Body); err != nil {
		if errors.Is(err, bot.ErrFileTooLarge) {
			return bot.MessageRef{}, err
		}
		return bot.MessageRef{}, fmt.Errorf("slack upload: read the file: %w", err)
	}
	if body.Len() == 0 {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "slack: an empty file cannot be uploaded")
	}
	_, blks := blocks(u.Post)
	if len(blks) > 0 {
		if s, ok := blks[0].(*slackapi.SectionBlock); ok {
			s.BlockID = onceBlockPrefix + key
		}
	}
	name := oneLine(u.File.Name)
	if name == "" {
		name = "file"
	}
	_, err = a.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Filename: name, Title: name, FileSize: body.Len(), Reader: &body,
		Channel: channel, ThreadTimestamp: thread, Blocks: slackapi.Blocks{BlockSet: blks},
	})
	if err != nil {
		if code := slackError(err); code == "file_too_large" || code == "invalid_file_type" || code == "file_uploads_disabled" {
			return bot.MessageRef{}, bot.WrapError(err, bot.EINVALID, "slack files.uploadV2: %s", code)
		}
		return bot.MessageRef{}, a.apiError("files.uploadV2", err)
	}
	// The upload's answer names the file, not its message: find the message by its key, for its
	// reference. Not found yet, the upload stands all the same.
	ref, found, err := a.findPost(ctx, channel, thread, key)
	if err != nil || !found {
		return bot.MessageRef{Platform: Platform, Channel: channel, Thread: thread}, nil
	}
	return ref, nil
}
