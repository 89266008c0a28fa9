package bot

// "!kb": the knowledge base from chat. The command is parsed by ParseKB (kbparse.go) and carried out by
// kbread.go (anyone), kbedit.go (admins) and kbcapture.go (drafts from tickets).

import (
	"errors"
	"strings"
)

// kbText is what follows "!kb" in the message, newlines kept.
func (w *work) kbText() string {
	text := strings.TrimSpace(w.ev.Text)
	text = strings.TrimLeft(strings.TrimPrefix(text, w.cfg().CommandPrefix), " \t")
	// The command's name, in any case ("!KB search kbase" searches "kbase").
	if len(text) >= 2 && strings.EqualFold(text[:2], "kb") {
		return text[2:]
	}
	return ""
}

func (w *work) cmdKB() error {
	c, err := ParseKB(w.kbText())
	if err != nil {
		msg := err.Error()
		var be *Error
		if errors.As(err, &be) {
			msg = be.Message
		}
		return w.reply("", msg+"\n\n"+w.kbHelp())
	}
	switch c.Sub {
	case "search":
		return w.kbSearch(c)
	case "show":
		return w.kbShow(c)
	case "list":
		return w.kbList(c)
	case "history", "diff":
		// Earlier versions keep what was taken out of an article on purpose (a wrong step, an internal
		// address): the desk's staff see them, employees see what is published now.
		if !w.isStaff() {
			return w.refuse("see earlier versions of articles", "technicians and admins")
		}
		if c.Sub == "history" {
			return w.kbHistory(c)
		}
		return w.kbDiff(c)
	case "purge":
		if !w.isAdmin() {
			return w.refuse("purge articles", "admins")
		}
		return w.kbPurge(c)
	case "stale":
		if !w.isAdmin() && !w.cfg().isTechnician(w.ev.User, w.ev.Roles) {
			return w.refuse("list stale articles", "technicians and admins")
		}
		return w.kbStale()
	case "capture":
		return w.kbCapture()
	case "add", "edit", "delete", "restore":
		if !w.isAdmin() {
			return w.refuse("change the knowledge base", "admins")
		}
		switch c.Sub {
		case "add":
			return w.kbAdd(c)
		case "edit":
			return w.kbEdit(c)
		case "delete":
			return w.kbDelete(c)
		default:
			return w.kbRestore(c)
		}
	}
	return w.replyKB(w.kbHelp())
}

func (w *work) kbHelp() string {
	p := w.cfg().CommandPrefix + "kb"
	return strings.Join([]string{
		"Knowledge base commands:",
		"- `" + p + " search QUERY`, `" + p + " show ID`, `" + p + " list [TAG]`: anyone, for the articles published now",
		"- `" + p + " show ID vN`, `" + p + " history ID`, `" + p + " diff ID V1 V2`: technicians and admins",
		"- `" + p + " add` with the title on the next line, then the body (and `tags:` / `aliases:` lines): admins",
		"- `" + p + " edit ID vN` with a new body, or `title:` / `tags:` / `aliases:`; `" + p + " delete ID vN`; `" + p + " restore ID N`: admins",
		"- `" + p + " purge ID`: admins: the old versions go (a deleted article goes entirely)",
		"- `" + p + " capture` in a ticket's thread: draft an article from its answer; `" + p + " stale`: technicians",
	}, "\n")
}
