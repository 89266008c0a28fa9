package bot

// Performing an upload (a file passed on to the other side of a relay) and the opening of a form.

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// performUpload passes a file on: it reads it from the platform that holds it and posts it where the
// effect says, with the effect's text, at most once per effect (FileUploader, like PostOnce). Where that
// cannot be done (the platform takes no uploads, the file cannot be read, it is larger than the desk or
// the platform takes), the text is posted with a link to the file and a note why. The message is
// recorded like a post's.
func (d *dispatcher) performUpload(ctx context.Context, chat Chat, eff Effect) error {
	if eff.File == nil {
		return Errorf(EINVALID, "an upload without a file")
	}
	p := eff.Post
	if err := d.inThread(ctx, eff, &p); err != nil {
		return err
	}
	f := *eff.File
	ref, why, err := d.upload(ctx, chat, eff, p, f)
	if err != nil {
		return err
	}
	if why != "" {
		d.log.Info("file linked instead of copied", "ticket_id", eff.Ticket, "platform", eff.Platform, "why", why)
		p.Text += "\n" + fileLink(f) + " (not copied here: " + why + ")"
		if ref, err = d.send(ctx, chat, eff, p); err != nil {
			return err
		}
	}
	return d.recordPost(ctx, eff, ref, p)
}

// upload copies f into p's place. why is set when it cannot, and the file is to be linked instead; err
// is a failure to retry.
func (d *dispatcher) upload(ctx context.Context, chat Chat, eff Effect, p Post, f File) (ref MessageRef, why string, err error) {
	up, canUpload := chat.(FileUploader)
	src, known := d.chat(f.Platform)
	reader, canRead := src.(FileReader)
	switch {
	case !canUpload:
		return ref, "this platform takes no files from the desk", nil
	case !known:
		return ref, Errorf(EUNAVAILABLE, "no chat platform %q is connected", f.Platform).Message, nil
	case !canRead:
		return ref, "the desk cannot read files from " + f.Platform, nil
	case d.maxFileBytes > 0 && f.Size > d.maxFileBytes:
		return ref, fmt.Sprintf("it is larger than the %s the desk copies", byteSize(d.maxFileBytes)), nil
	}
	body, err := reader.OpenFile(ctx, f)
	if err != nil {
		if IsNotFound(err) {
			return ref, "the desk cannot read it any more", nil
		}
		return ref, "", fmt.Errorf("read file %s from %s: %w", f.ID, f.Platform, err)
	}
	defer body.Close()
	var r io.Reader = body
	if d.maxFileBytes > 0 {
		r = &capped{r: body, left: d.maxFileBytes}
	}
	ref, err = up.Upload(ctx, Upload{Post: p, File: f, Body: r}, eff.onceKey(), eff.Attempts > 0 || eff.CreatedAt.Before(d.started))
	switch {
	case errors.Is(err, ErrFileTooLarge):
		return ref, fmt.Sprintf("it is larger than the %s the desk copies", byteSize(d.maxFileBytes)), nil
	case ErrorCode(err) == EINVALID:
		return ref, "the platform refused it", nil
	case err != nil:
		return ref, "", err
	}
	return ref, "", nil
}

// fileLink is a Markdown link to a file where its platform keeps it, or its name when there is none.
func fileLink(f File) string {
	if f.URL == "" {
		return fileName(f)
	}
	return "[" + fileName(f) + "](" + f.URL + ")"
}

// capped reads at most left bytes of r, then fails with ErrFileTooLarge.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, ErrFileTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, ErrFileTooLarge
	}
	return n, err
}

// performForm shows a person the form the effect names (FormOpener). A platform that cannot, or a form
// gone from the config since it was asked for, gets a private line instead.
func (d *dispatcher) performForm(ctx context.Context, chat Chat, eff Effect) error {
	var form Form
	found := false
	for _, f := range d.forms {
		if f.ID == eff.Form {
			form, found = f, true
		}
	}
	opener, ok := chat.(FormOpener)
	if !found || !ok {
		p := eff.Post
		p.Text = "That form is not available any more."
		_, err := d.send(ctx, chat, eff, p)
		return err
	}
	return opener.OpenForm(ctx, FormRequest{User: eff.Post.To, Channel: eff.Post.Channel, Trigger: eff.Trigger, ReplyTo: eff.Post.ReplyTo, Form: form})
}
