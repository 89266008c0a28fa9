package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/markdown"
)

// KBCommand is a parsed "!kb ..." message: what a technician asked the knowledge base to do. Only
// the fields of its sub-command are set.
type KBCommand struct {
	// Sub is the sub-command, lower-cased: search, show, list, add, edit, delete, history, restore,
	// diff, purge, capture, stale or help.
	Sub string
	// ID is the article id (show, edit, delete, history, restore, diff, purge), lower-cased. For add it is
	// derived from the title with kb.IDFromTitle; the caller makes it unique if it is taken.
	ID string
	// Version is the version shown (show ID vN; 0 means the current one), the version a change is
	// made from (edit and delete, so a change based on an old view can be refused), the version to
	// restore (restore ID N), or the first version of a diff.
	Version int
	// Version2 is the second version of a diff.
	Version2 int
	// Query is what to search for, with runs of white space collapsed.
	Query string
	// Tag restricts list to the articles with this tag, as written; "" lists them all.
	Tag string
	// Page is the 1-based page of a list, or of a long article (show; 0 is the first).
	Page int

	// Title is the title of an added article, or a new title (edit).
	Title string
	// Body is the article text in Markdown as written, without the tags:/aliases: lines and the
	// blank lines around it.
	Body string
	// Tags and Aliases are the values of the tags: and aliases: lines, trimmed, without empty or
	// repeated values. In an edit of the whole text, none written means keep the old ones; a
	// single-field edit ("tags:" alone) with no values clears them.
	Tags    []string
	Aliases []string
	// Field is set for an edit of one field: "title", "tags" or "aliases". It is "" for add and
	// for an edit that sends a new text (with, optionally, a new title, tags or aliases).
	Field string
}

// ParseKB parses a "!kb" command: text is everything after the command name, as in
// Command.Rest, which keeps the line breaks that add and edit need. An empty text asks for help.
// Malformed input returns an *Error with code EINVALID whose message says what is wrong and gives
// the usage of the sub-command in one line; the usage is written with the default "!" prefix.
func ParseKB(text string) (KBCommand, error) {
	// Chat clients on Windows send CRLF; the body is stored with "\n" only, like kb.Parse does.
	// A lone CR is a line break too, or it would end up inside a title.
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if !utf8.ValidString(text) {
		return KBCommand{}, Errorf(EINVALID, "The message is not valid text (UTF-8). Try `!kb help`.")
	}
	words, rest := cutWords(strings.TrimLeftFunc(text, unicode.IsSpace), 1)
	if len(words) == 0 {
		return KBCommand{Sub: "help"}, nil
	}
	c := KBCommand{Sub: strings.ToLower(words[0])}
	switch c.Sub {
	case "add":
		return parseKBAdd(c, rest)
	case "edit":
		return parseKBEdit(c, rest)
	}

	// The other sub-commands are words; a phone client may wrap them onto several lines.
	args := strings.Fields(rest)
	switch c.Sub {
	case "help":
		// "!kb help add" still gets help rather than an error about the extra word.
		return c, nil
	case "capture", "stale":
		if len(args) > 0 {
			return c, kbUsageError(c.Sub, "Nothing goes after `!kb %s`", c.Sub)
		}
		return c, nil
	case "search":
		if len(args) == 0 {
			return c, kbUsageError(c.Sub, "Say what to search for")
		}
		c.Query = strings.Join(args, " ")
		return c, nil
	case "list":
		return parseKBList(c, args)
	case "show", "history", "delete", "restore", "diff", "purge":
		return parseKBArticle(c, args)
	default:
		return KBCommand{}, Errorf(EINVALID, "I don't know `!kb %s`. Try `!kb help` for the list of commands.", shorten(words[0]))
	}
}

// parseKBArticle parses the sub-commands that name an article and versions: show ID [vN] [page N],
// history ID, delete ID vN, restore ID N, diff ID V1 V2 and purge ID.
func parseKBArticle(c KBCommand, args []string) (KBCommand, error) {
	var minArgs, maxArgs int
	switch c.Sub {
	case "show":
		minArgs, maxArgs = 1, 2
		var err error
		if c, args, err = cutPage(c, args); err != nil {
			return c, err
		}
	case "history", "purge":
		minArgs, maxArgs = 1, 1
	case "delete", "restore":
		minArgs, maxArgs = 2, 2
	case "diff":
		minArgs, maxArgs = 3, 3
	}
	if len(args) == 0 {
		return c, kbUsageError(c.Sub, "Say which article")
	}
	id, err := parseArticleID(c.Sub, args[0])
	if err != nil {
		return c, err
	}
	c.ID = id
	if len(args) < minArgs {
		switch c.Sub {
		case "delete":
			// The version guards against deleting changes the technician has not seen.
			return c, kbUsageError(c.Sub, "Say which version you saw (`!kb show %s` gives it), so newer changes are not deleted by mistake", id)
		case "restore":
			return c, kbUsageError(c.Sub, "Say which version to restore (`!kb history %s` lists them)", id)
		default:
			return c, kbUsageError(c.Sub, "Say which two versions to compare (`!kb history %s` lists them)", id)
		}
	}
	if len(args) > maxArgs {
		return c, kbUsageError(c.Sub, "Too many words after `!kb %s`", c.Sub)
	}
	versions := make([]int, 0, 2)
	for _, a := range args[1:] {
		v, ok := parseVersion(a)
		if !ok {
			return c, kbUsageError(c.Sub, "%q is not a version; write it like v3 or 3", shorten(a))
		}
		versions = append(versions, v)
	}
	if len(versions) > 0 {
		c.Version = versions[0]
	}
	if len(versions) > 1 {
		c.Version2 = versions[1]
	}
	return c, nil
}

// parseKBList parses list [TAG] [page N].
func parseKBList(c KBCommand, args []string) (KBCommand, error) {
	c.Page = 1
	c, args, err := cutPage(c, args)
	if err != nil {
		return c, err
	}
	switch len(args) {
	case 0:
	case 1:
		c.Tag = args[0]
	default:
		return c, kbUsageError(c.Sub, "List takes one tag at a time")
	}
	return c, nil
}

// cutPage reads "page N" at the end of args (list, show) into c.Page, unchanged without it, and returns
// the other arguments.
func cutPage(c KBCommand, args []string) (KBCommand, []string, error) {
	if n := len(args); n > 0 && strings.EqualFold(args[n-1], "page") {
		return c, args, kbUsageError(c.Sub, "Say which page, like `page 2`")
	}
	if n := len(args); n >= 2 && strings.EqualFold(args[n-2], "page") {
		p, ok := parsePositive(args[n-1])
		if !ok {
			return c, args, kbUsageError(c.Sub, "%q is not a page number; pages count from 1", shorten(args[n-1]))
		}
		c.Page = p
		args = args[:n-2]
	}
	return c, args, nil
}

// parseKBAdd parses add: the title on the first non-empty line (the same line as "add" or the
// next), then the body. The id comes from the title so a technician never has to invent one.
func parseKBAdd(c KBCommand, rest string) (KBCommand, error) {
	p := parseKBPayload(rest, true)
	switch {
	case !p.hasTitle && p.body == "":
		return c, kbUsageError(c.Sub, "Write the title and the article text on the lines after `!kb add`")
	case p.title == "":
		return c, kbUsageError(c.Sub, "The article needs a title on the first line")
	}
	if err := checkTitle(c.Sub, p.title); err != nil {
		return c, err
	}
	c.ID = kb.IDFromTitle(p.title)
	if c.ID == "" {
		return c, kbUsageError(c.Sub, "The title needs some letters or digits (A-Z, 0-9) to make the article id from")
	}
	if p.body == "" {
		return c, kbUsageError(c.Sub, "Write the article text on the lines after the title")
	}
	c.Title, c.Body, c.Tags, c.Aliases = p.title, p.body, p.tags, p.aliases
	return c, nil
}

// parseKBEdit parses edit ID vN followed by a new text, or by one "title:", "tags:" or "aliases:"
// line (on the same line or the next).
func parseKBEdit(c KBCommand, rest string) (KBCommand, error) {
	words, more := cutWords(rest, 2)
	if len(words) == 0 {
		return c, kbUsageError(c.Sub, "Say which article to edit")
	}
	id, err := parseArticleID(c.Sub, words[0])
	if err != nil {
		return c, err
	}
	c.ID = id
	v, ok := 0, false
	if len(words) > 1 {
		v, ok = parseVersion(words[1])
	}
	if !ok {
		// The version makes a concurrent edit a conflict instead of silently losing one of them.
		return c, kbUsageError(c.Sub, "Say which version you are editing (`!kb show %s` gives it)", id)
	}
	c.Version = v

	// Text on the same line as the version can only be a field; a new body there is more
	// likely a slip (a second version number, a typo) than an intended one-line article.
	line, _, _ := strings.Cut(more, "\n")
	if strings.TrimSpace(line) != "" {
		if _, _, ok := fieldLine(line); !ok {
			return c, kbUsageError(c.Sub, "Put the new text on the lines after `!kb edit %s v%d`, or change one field with title:, tags: or aliases:", id, v)
		}
	}

	p := parseKBPayload(more, false)
	if p.hasTitle {
		if p.title == "" {
			return c, kbUsageError(c.Sub, "The new title is empty")
		}
		if err := checkTitle(c.Sub, p.title); err != nil {
			return c, err
		}
	}
	c.Title, c.Tags, c.Aliases = p.title, p.tags, p.aliases
	if p.body != "" {
		c.Body = p.body
		return c, nil
	}
	var fields []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"title", p.hasTitle}, {"tags", p.hasTags}, {"aliases", p.hasAliases}} {
		if f.set {
			fields = append(fields, f.name)
		}
	}
	switch len(fields) {
	case 0:
		return c, kbUsageError(c.Sub, "Write the new text on the lines after `!kb edit %s v%d`", id, v)
	case 1:
		c.Field = fields[0]
		return c, nil
	default:
		return c, kbUsageError(c.Sub, "Change one field at a time (%s), or send the whole new text", strings.Join(fields, ", "))
	}
}

// kbPayload is the text of an add or edit, split into its parts.
type kbPayload struct {
	title                         string
	body                          string
	tags, aliases                 []string
	hasTitle, hasTags, hasAliases bool
}

// parseKBPayload splits the text of an add or edit. tags: and aliases: lines are fields wherever
// they are, except inside fenced code blocks, where they are likely YAML or a config file shown
// as an example. The first other non-empty line is the title when it starts with "title:"; for
// add (titleFirst) it is the title whatever it starts with.
func parseKBPayload(text string, titleFirst bool) kbPayload {
	var p kbPayload
	var body []string
	var fences markdown.Fences // the code blocks of the text, as every renderer reads them
	seenContent := false
	for _, line := range strings.Split(text, "\n") {
		if fences.Open() != "" {
			fences.Line(line)
			body = append(body, line)
			continue
		}
		key, value, isField := fieldLine(line)
		switch {
		case isField && key == "tags":
			p.tags, p.hasTags = appendValues(p.tags, value), true
			continue
		case isField && key == "aliases":
			p.aliases, p.hasAliases = appendValues(p.aliases, value), true
			continue
		}
		if !seenContent && strings.TrimSpace(line) != "" {
			seenContent = true
			switch {
			case isField && key == "title":
				p.title, p.hasTitle = value, true
				continue
			case titleFirst:
				p.title, p.hasTitle = headingText(line), true
				continue
			}
		}
		fences.Line(line)
		body = append(body, line)
	}
	p.body = trimBlankLines(strings.Join(body, "\n"))
	return p
}

// fieldLine reports whether line is a "title:", "tags:" or "aliases:" line (any case), and
// returns the key lower-cased and the value trimmed. Four spaces of indentation make a Markdown
// code block, so such a line is text, not a field.
func fieldLine(line string) (key, value string, ok bool) {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 {
		return "", "", false
	}
	k, v, found := strings.Cut(s, ":")
	if !found {
		return "", "", false
	}
	switch k = strings.ToLower(strings.TrimRight(k, " \t")); k {
	case "title", "tags", "aliases":
		return k, strings.TrimSpace(v), true
	}
	return "", "", false
}

// appendValues adds the comma-separated values of v to list, dropping empty values and ones
// already there in another case: "VPN, vpn" is one tag to whoever reads it.
func appendValues(list []string, v string) []string {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) }) {
			continue
		}
		list = append(list, s)
	}
	return list
}

// headingText returns a title line without a Markdown heading mark: people paste "# VPN setup".
func headingText(line string) string {
	s := strings.TrimSpace(line)
	h := strings.TrimLeft(s, "#")
	if n := len(s) - len(h); n > 0 && n <= 6 && (h == "" || h[0] == ' ' || h[0] == '\t') {
		return strings.TrimSpace(h)
	}
	return s
}

// trimBlankLines drops the blank lines before the text and the white space after it, but keeps
// the indentation of the first line (it may be a code block), as kb does for article files.
func trimBlankLines(s string) string {
	for {
		line, rest, found := strings.Cut(s, "\n")
		if !found || strings.TrimSpace(line) != "" {
			break
		}
		s = rest
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// checkTitle applies kb's title limit early, so the technician hears about it with the usage.
func checkTitle(sub, title string) error {
	if n := utf8.RuneCountInString(title); n > kb.MaxTitleLength {
		return kbUsageError(sub, "The title is %d characters long; keep it to %d", n, kb.MaxTitleLength)
	}
	return nil
}

// cutWords takes up to n words from the first line of s and returns them with the text after
// them. Only spaces and tabs are trimmed from that text: its line breaks and the indentation of
// the lines after the first are part of a body.
func cutWords(s string, n int) (words []string, rest string) {
	for len(words) < n {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s[0] == '\n' {
			break
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
	return words, strings.TrimLeft(s, " \t")
}

// parseArticleID lower-cases s, since ids are lower-case and people type "VPN-setup", and
// checks it is an article id.
func parseArticleID(sub, s string) (string, error) {
	id := strings.ToLower(s)
	if !isArticleID(id) {
		return "", kbUsageError(sub, "%q is not an article id; ids are letters, digits, '-', '_' and '.'", shorten(s))
	}
	return id, nil
}

// isArticleID reports whether id matches ^[a-z0-9][a-z0-9._-]*$ and fits kb.MaxIDLength, the
// rule kb.Article.Validate applies.
func isArticleID(id string) bool {
	if id == "" || len(id) > kb.MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// parseVersion reads a version written "v3", "V3" or "3". Versions count from 1.
func parseVersion(s string) (int, bool) {
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	return parsePositive(s)
}

// parsePositive reads a number of at most nine digits that is at least 1. Atoi alone would also
// take "+3" and "-0".
func parsePositive(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// shorten keeps what is quoted back in an error readable when someone pastes a paragraph.
func shorten(s string) string {
	const maxRunes = 40
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	return string([]rune(s)[:maxRunes]) + "…"
}

// kbUsageError is an EINVALID error: the problem, then the sub-command's usage, on one line.
func kbUsageError(sub, format string, args ...any) *Error {
	return Errorf(EINVALID, "%s. Usage: `%s`", fmt.Sprintf(format, args...), kbUsage(sub))
}

// kbUsage is the one-line usage of a sub-command.
func kbUsage(sub string) string {
	switch sub {
	case "search":
		return "!kb search WORDS"
	case "show":
		return "!kb show ID [vN]"
	case "list":
		return "!kb list [TAG] [page N]"
	case "add":
		return "!kb add, then the title and the text on the next lines (tags: and aliases: lines are optional)"
	case "edit":
		return "!kb edit ID vN, then the new text on the next lines, or one of title:, tags:, aliases:"
	case "delete":
		return "!kb delete ID vN"
	case "history":
		return "!kb history ID"
	case "purge":
		return "!kb purge ID"
	case "restore":
		return "!kb restore ID N"
	case "diff":
		return "!kb diff ID V1 V2"
	default:
		return "!kb " + sub
	}
}
