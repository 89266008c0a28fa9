package kb

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// Article is one knowledge-base article: Markdown with TOML front matter
// between +++ fences.
type Article struct {
	// ID names the article in links, feedback and file names (<id>.md).
	ID string `toml:"id" json:"id" redact:"-"`
	// Title is what a requester sees in a list of suggested articles.
	Title string `toml:"title" json:"title"`
	// Tags are short topic words; they rank between the title and the body.
	Tags []string `toml:"tags,omitempty" json:"tags,omitempty"`
	// Category groups articles for reports and routing; it is searched like a tag.
	Category string `toml:"category,omitempty" json:"category,omitempty"`
	// Aliases are other ways people ask for this article ("can't get on the
	// VPN"); they are searched with the weight of the title.
	Aliases []string `toml:"aliases,omitempty" json:"aliases,omitempty"`
	// Owner is who keeps the article correct (a team or a person).
	Owner string `toml:"owner,omitempty" json:"owner,omitempty"`
	// Updated is when the content was last checked, in UTC. Files usually
	// carry a plain date; the zero time means unknown.
	Updated time.Time `toml:"updated,omitempty" json:"updated,omitempty"`
	// Actions are the ids of the desk's actions the article offers: the answer that cites it shows a
	// button for each the requester may ask for ("Unlock my account"). The desk's config defines them.
	Actions []string `toml:"actions,omitempty" json:"actions,omitempty" redact:"-"`
	// Body is the article text in Markdown, with "\n" line endings.
	Body string `toml:"-" json:"body"`
}

// Limits checked by Validate. They keep ids usable as file names and URL
// segments, and titles short enough for a chat button or a card field.
const (
	// MaxIDLength is the longest id, in bytes (ids are ASCII).
	MaxIDLength = 100
	// MaxTitleLength is the longest title, in characters.
	MaxTitleLength = 200
)

// frontMatter is the decoding target for the TOML between the fences. It is
// separate from Article because "updated" may be a TOML local date or an
// offset date-time, and go-toml decodes a local date into time.Time in the
// machine's zone, which would make the result depend on where it runs.
type frontMatter struct {
	ID       string   `toml:"id"`
	Title    string   `toml:"title"`
	Tags     []string `toml:"tags"`
	Category string   `toml:"category"`
	Aliases  []string `toml:"aliases"`
	Owner    string   `toml:"owner"`
	Updated  any      `toml:"updated"`
	Actions  []string `toml:"actions"`
}

// ParseError is one problem in an article file, with the line it is on so
// an author can jump straight to it.
type ParseError struct {
	// File is the file name, set by ReadDir; Parse leaves it empty.
	File string
	// Line is the 1-based line in the whole file (the opening +++ is line 1),
	// or 0 when the problem is not tied to one line.
	Line int
	// Msg says what is wrong, in lower case.
	Msg string
}

// Error formats the problem like a compiler does ("vpn.md:3: unknown key
// \"titel\""), so editors and CI logs can link to it.
func (e *ParseError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

// fieldError is a validation problem tied to one front-matter key, so Parse
// can report it on the line where that key is written.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.msg }

const fence = "+++"

// Parse reads one article file: a +++ line, TOML front matter, a +++ line,
// then the Markdown body. The front matter is decoded strictly, so a
// misspelt key is an error instead of a silently missing field. Every problem
// found is returned at once, as *ParseError values joined with errors.Join.
// The article is validated before it is returned.
func Parse(data []byte) (Article, error) {
	if err := checkUTF8(data); err != nil {
		return Article{}, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// Files edited on Windows arrive with CRLF; lines are counted the same
	// either way, and the body is stored with "\n" only.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))

	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if !isFence(first) {
		return Article{}, &ParseError{Line: 1, Msg: "missing front matter: the file must start with a +++ line"}
	}
	var fm, body []byte
	closed := false
	for off := 0; off <= len(rest); {
		end := bytes.IndexByte(rest[off:], '\n')
		if end < 0 {
			end = len(rest) - off
		}
		if isFence(rest[off : off+end]) {
			fm = rest[:off]
			body = rest[min(off+end+1, len(rest)):]
			closed = true
			break
		}
		off += end + 1
	}
	if !closed {
		return Article{}, &ParseError{Line: 1, Msg: "front matter is not closed: add a +++ line after it"}
	}

	var m frontMatter
	if err := toml.NewDecoder(bytes.NewReader(fm)).DisallowUnknownFields().Decode(&m); err != nil {
		return Article{}, frontMatterError(err)
	}
	a := Article{
		ID:       m.ID,
		Title:    m.Title,
		Tags:     m.Tags,
		Category: m.Category,
		Aliases:  m.Aliases,
		Owner:    m.Owner,
		Actions:  m.Actions,
		Body:     trimBody(string(body)),
	}
	updated, err := decodeUpdated(m.Updated)
	if err != nil {
		return Article{}, &ParseError{Line: fileLine(fm, "updated"), Msg: err.Error()}
	}
	a.Updated = updated

	if err := a.Validate(); err != nil {
		var errs []error
		for _, e := range leafErrors(err) {
			pe := &ParseError{Msg: e.Error()}
			var fe *fieldError
			if errors.As(e, &fe) {
				pe.Line = fileLine(fm, fe.field)
			}
			errs = append(errs, pe)
		}
		return Article{}, errors.Join(errs...)
	}
	return a, nil
}

// checkUTF8 refuses a file that is not UTF-8 text (Latin-1 from an old editor, UTF-16 from Notepad, a
// binary renamed .md) with the line of the first bad byte, rather than the puzzling "missing front
// matter" or "not valid UTF-8" of a field it would otherwise get.
func checkUTF8(data []byte) error {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return &ParseError{Line: 1, Msg: "the file is UTF-16 text: save it as UTF-8"}
	}
	if utf8.Valid(data) {
		return nil
	}
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return &ParseError{Line: line, Msg: "the file is not UTF-8 text (a byte that is not UTF-8 is on this line): save it as UTF-8"}
}

// fileLine returns the line of the file on which key is set in front matter
// fm, or 0 when it is not set (a missing title has no line).
func fileLine(fm []byte, key string) int {
	if line := keyLine(fm, key); line > 0 {
		return line + 1 // the opening fence is line 1
	}
	return 0
}

func isFence(line []byte) bool {
	return string(bytes.TrimRight(line, " \t")) == fence
}

// frontMatterError turns go-toml's errors into ParseErrors with file lines:
// the front matter starts on the second line of the file.
func frontMatterError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			row, _ := strict.Errors[i].Position()
			key := strings.Join(strict.Errors[i].Key(), ".")
			errs = append(errs, &ParseError{Line: row + 1, Msg: fmt.Sprintf("unknown key %q", key)})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return &ParseError{Line: row + 1, Msg: "front matter: " + strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return fmt.Errorf("decode front matter: %w", err)
}

// decodeUpdated accepts the two forms authors write: a plain date
// (2026-09-14), read as midnight UTC, and an offset date-time. A local
// date-time is refused because its zone would be a guess.
func decodeUpdated(v any) (time.Time, error) {
	switch u := v.(type) {
	case nil:
		return time.Time{}, nil
	case toml.LocalDate:
		return u.AsTime(time.UTC), nil
	case time.Time:
		return u.UTC(), nil
	case toml.LocalDateTime:
		return time.Time{}, fmt.Errorf("updated %s has no time zone: write a date (%s) or add an offset (%sZ)", u, u.LocalDate, u)
	case string:
		return time.Time{}, fmt.Errorf("updated must be a date without quotes, like updated = 2026-09-14, not the string %q", u)
	default:
		return time.Time{}, fmt.Errorf("updated must be a date like 2026-09-14 or a date-time with an offset, not %T", v)
	}
}

// keyLine returns the 1-based line of front matter fm on which key is
// assigned, or 0. It is only used to place errors, so a simple scan of
// top-level "key =" lines is enough.
func keyLine(fm []byte, key string) int {
	for i, line := range strings.Split(string(fm), "\n") {
		line = strings.TrimLeft(line, " \t")
		for _, k := range []string{key, `"` + key + `"`, "'" + key + "'"} {
			if after, ok := strings.CutPrefix(line, k); ok && strings.HasPrefix(strings.TrimLeft(after, " \t"), "=") {
				return i + 1
			}
		}
	}
	return 0
}

// leafErrors flattens errors.Join trees so each problem can be reported on
// its own.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// trimBody drops the blank lines between the closing fence and the text and
// any trailing whitespace, but keeps the indentation of the first line (it
// may be a code block).
func trimBody(s string) string {
	for {
		line, rest, found := strings.Cut(s, "\n")
		if !found || strings.TrimSpace(line) != "" {
			break
		}
		s = rest
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// Validate reports every problem of the article at once, joined with
// errors.Join, so an author fixes a file in one pass.
func (a Article) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &fieldError{field: field, msg: fmt.Sprintf(format, args...)})
	}

	switch {
	case a.ID == "":
		add("id", "id is required")
	case !validID(a.ID):
		add("id", "id %q must be 1-%d characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", a.ID, MaxIDLength)
	}

	switch {
	case strings.TrimSpace(a.Title) == "":
		add("title", "title is required")
	case !utf8.ValidString(a.Title):
		add("title", "title is not valid UTF-8")
	case utf8.RuneCountInString(a.Title) > MaxTitleLength:
		add("title", "title is %d characters long, more than %d", utf8.RuneCountInString(a.Title), MaxTitleLength)
	case strings.ContainsAny(a.Title, "\r\n"):
		add("title", "title must be one line")
	}

	for _, list := range []struct {
		field  string
		values []string
	}{{"tags", a.Tags}, {"aliases", a.Aliases}} {
		for i, v := range list.values {
			switch {
			case strings.TrimSpace(v) == "":
				add(list.field, "%s[%d] is empty", list.field, i)
			case !utf8.ValidString(v):
				add(list.field, "%s[%d] is not valid UTF-8", list.field, i)
			}
		}
	}
	for i, id := range a.Actions {
		if !validID(id) {
			add("actions", "actions[%d] %q is not an action id (a-z, 0-9, '.', '_' and '-', starting with a letter or digit)", i, id)
		}
	}
	if !utf8.ValidString(a.Category) {
		add("category", "category is not valid UTF-8")
	}
	if !utf8.ValidString(a.Owner) {
		add("owner", "owner is not valid UTF-8")
	}
	if !a.Updated.IsZero() {
		// TOML dates have four-digit years.
		if y := a.Updated.UTC().Year(); y < 1 || y > 9999 {
			add("updated", "updated year %d is outside 1-9999", y)
		}
	}

	switch {
	case strings.TrimSpace(a.Body) == "":
		add("body", "body is required")
	case !utf8.ValidString(a.Body):
		add("body", "body is not valid UTF-8")
	case len(a.Body) > MaxArticleSize:
		add("body", "body is %d bytes, more than the %d (1 MiB) an article may have", len(a.Body), MaxArticleSize)
	}
	if len(errs) == 0 {
		// The file is what import reads, so its size is what must fit: an article that export would
		// write bigger than import reads would not come back.
		if n := len(a.Markdown()); n > MaxArticleSize {
			add("body", "the article is %d bytes as a file, more than the %d (1 MiB) an article file may have", n, MaxArticleSize)
		}
	}
	return errors.Join(errs...)
}

// validID checks ^[a-z0-9][a-z0-9._-]{0,99}$ without a package-level regexp.
// The first character rule keeps "." and ".." (and hidden files) out of
// WriteDir's file names.
func validID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// Markdown renders the article as a file that Parse reads back to the same
// article: front matter with keys in a fixed order (empty ones left out), a
// blank line, the body and a final newline. Keys are written by hand rather
// than with go-toml's encoder so the order and the date form stay stable in
// git diffs.
func (a Article) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString(fence + "\n")
	writeString := func(key, v string) {
		if v == "" {
			return
		}
		b.WriteString(key + " = ")
		b.WriteString(tomlQuote(v))
		b.WriteByte('\n')
	}
	writeList := func(key string, vs []string) {
		if len(vs) == 0 {
			return
		}
		b.WriteString(key + " = [")
		for i, v := range vs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tomlQuote(v))
		}
		b.WriteString("]\n")
	}
	writeString("id", a.ID)
	writeString("title", a.Title)
	writeList("tags", a.Tags)
	writeString("category", a.Category)
	writeList("aliases", a.Aliases)
	writeString("owner", a.Owner)
	writeList("actions", a.Actions)
	if !a.Updated.IsZero() {
		b.WriteString("updated = " + formatUpdated(a.Updated) + "\n")
	}
	b.WriteString(fence + "\n\n")
	b.WriteString(a.Body)
	b.WriteByte('\n')
	return b.Bytes()
}

// formatUpdated writes a plain date when that loses nothing, since that is
// what authors write by hand.
func formatUpdated(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// tomlQuote writes s as a TOML basic string. strconv.Quote is not usable:
// TOML has no \x escape.
func tomlQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
