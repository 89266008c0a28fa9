package crossplatform_test

import (
	"strings"
	"unicode/utf8"
)

// What a person sees of a text on each platform, written as a small tagged form: <b>, <i>, <s>, <u>,
// <code>, <pre>, <q>, <a href="…">…</a>, and the text as shown. Mentions are shown as "@name"; a mention
// that notifies its person is counted apart (pings). These readers are written from the platforms'
// documented rules, independently of the adapters' converters, so a test comparing two views can fail
// when a converter is wrong.

const zwsp = "\u200b"

// testEmoji are the shortcodes the cases use, as Slack shows them.
var testEmoji = map[string]string{"tada": "🎉", "+1": "👍"}

// view is what a person sees.
type view struct {
	text  string
	pings int
}

// --- Slack: mrkdwn as Slack shows it ---

// slackView reads mrkdwn as Slack shows it. users names the <@U…> ids. Formatting follows Slack's rules: a
// marker opens after the start, a space or punctuation and before text; it closes after text and before
// the end, a space or punctuation; formatting does not cross lines; nothing is an escape but &lt; &gt;
// &amp;. Any other character (a letter, a digit, an invisible zero-width space) is a word character, so
// a marker touching one does not format.
func slackView(s string, users map[string]string) view {
	var v view
	var out strings.Builder
	for s != "" {
		i := strings.Index(s, "```")
		j := -1
		if i >= 0 {
			j = strings.Index(s[i+3:], "```")
		}
		if j < 0 {
			out.WriteString(slackLines(s, users, &v))
			break
		}
		out.WriteString(slackLines(s[:i], users, &v))
		out.WriteString("\n<pre>" + strings.Trim(slackPlain(s[i+3:i+3+j]), "\n") + "</pre>\n")
		s = s[i+3+j+3:]
	}
	v.text = normalize(out.String())
	return v
}

func slackPlain(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func slackLines(s string, users map[string]string, v *view) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "&gt;"):
			lines[i] = "<q>" + slackInline(strings.TrimLeft(l[4:], " "), users, v)
		case strings.HasPrefix(l, ">"):
			lines[i] = "<q>" + slackInline(strings.TrimLeft(l[1:], " "), users, v)
		default:
			lines[i] = slackInline(l, users, v)
		}
	}
	return strings.Join(lines, "\n")
}

func classOf(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return ' '
	}
	c := s[i]
	switch {
	case c == ' ' || c == '\t' || c == '\n':
		return ' '
	case c < utf8.RuneSelf && !isAlnum(c):
		return 'p'
	}
	return 'w'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func slackInline(s string, users map[string]string, v *view) string {
	var b strings.Builder
	tags := map[byte]string{'*': "b", '_': "i", '~': "s"}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			target, label, _ := strings.Cut(s[i+1:i+j], "|")
			switch {
			case strings.HasPrefix(target, "@"):
				v.pings++
				b.WriteString("@" + users[target[1:]])
			case strings.HasPrefix(target, "#"):
				b.WriteString("#" + label)
			case strings.HasPrefix(target, "!"):
				v.pings++
				b.WriteString("@" + strings.TrimPrefix(target, "!"))
			default:
				u := slackPlain(target)
				if label == "" {
					label = u
				}
				b.WriteString(`<a href="` + u + `">` + slackPlain(label) + "</a>")
			}
			i += j + 1
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j <= 0 {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString("<code>" + slackPlain(s[i+1:i+1+j]) + "</code>")
			i += j + 2
		case tags[c] != "" && classOf(s, i-1) != 'w' && classOf(s, i+1) != ' ' && s[min(i+1, len(s)-1)] != c:
			end := -1
			for j := i + 2; j < len(s); j++ {
				if s[j] == c && classOf(s, j-1) != ' ' && classOf(s, j+1) != 'w' {
					end = j
					break
				}
			}
			if end < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString("<" + tags[c] + ">" + slackInline(s[i+1:end], users, v) + "</" + tags[c] + ">")
			i = end + 1
		case c == '&':
			switch {
			case strings.HasPrefix(s[i:], "&lt;"):
				b.WriteByte('<')
				i += 4
			case strings.HasPrefix(s[i:], "&gt;"):
				b.WriteByte('>')
				i += 4
			case strings.HasPrefix(s[i:], "&amp;"):
				b.WriteByte('&')
				i += 5
			default:
				b.WriteByte(c)
				i++
			}
		case c == ':':
			j := strings.IndexByte(s[i+1:], ':')
			if e, ok := testEmoji[s[i+1:i+1+max(j, 0)]]; j > 0 && ok {
				b.WriteString(e)
				i += j + 2
				continue
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// --- Markdown: as Discord shows it, and as the console's text reads ---

// mdView reads Markdown as Discord shows it: **bold**, *italic* and _italic_ (an _ inside a word is
// text), __underline__, ~~strike~~, `code`, ```blocks```, [text](url), <url> and bare URLs, \ before
// punctuation as an escape. users and channels name the <@id> and <#id> tokens; with live set, a mention
// token or @everyone/@here (not broken by a zero-width space) notifies, as in a message sent with
// mentions allowed. A console user's Markdown is read the same way, with live unset: it has no pings.
func mdView(s string, users, channels map[string]string, live bool) view {
	var v view
	var out strings.Builder
	for s != "" {
		i := strings.Index(s, "```")
		j := -1
		if i >= 0 && (i == 0 || s[i-1] != '\\') {
			j = strings.Index(s[i+3:], "```")
		}
		if j < 0 {
			out.WriteString(mdLines(s, users, channels, live, &v))
			break
		}
		out.WriteString(mdLines(s[:i], users, channels, live, &v))
		code := s[i+3 : i+3+j]
		if nl := strings.IndexByte(code, '\n'); nl > 0 && !strings.ContainsAny(code[:nl], " `") {
			code = code[nl+1:] // a language tag
		}
		out.WriteString("\n<pre>" + strings.Trim(code, "\n") + "</pre>\n")
		s = s[i+3+j+3:]
	}
	v.text = normalize(out.String())
	return v
}

func mdLines(s string, users, channels map[string]string, live bool, v *view) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "> ") {
			lines[i] = "<q>" + mdInline(l[2:], users, channels, live, v)
			continue
		}
		if h := strings.TrimLeft(l, "#"); len(l)-len(h) <= 3 && len(h) < len(l) && strings.HasPrefix(h, " ") {
			lines[i] = "<h>" + mdInline(strings.TrimSpace(h), users, channels, live, v) + "</h>"
			continue
		}
		lines[i] = mdInline(l, users, channels, live, v)
	}
	return strings.Join(lines, "\n")
}

func mdInline(s string, users, channels map[string]string, live bool, v *view) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && classOf(s, i+1) == 'p':
			b.WriteByte(s[i+1])
			i += 2
		case c == '`':
			n := 1
			for i+n < len(s) && s[i+n] == '`' {
				n++
			}
			fence := s[i : i+n]
			j := strings.Index(s[i+n:], fence)
			if j < 0 {
				b.WriteString(fence)
				i += n
				continue
			}
			code := s[i+n : i+n+j]
			if len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
				code = code[1 : len(code)-1]
			}
			b.WriteString("<code>" + code + "</code>")
			i += n + j + n
		case c == '*' || c == '_' || c == '~':
			n := 1
			for i+n < len(s) && s[i+n] == c && n < 2 {
				n++
			}
			run := s[i : i+n]
			tag := map[string]string{"**": "b", "*": "i", "__": "u", "_": "i", "~~": "s"}[run]
			opens := tag != "" && classOf(s, i+n) != ' ' && !(c == '_' && classOf(s, i-1) == 'w')
			end := -1
			if opens {
				for j := i + n + 1; j+n <= len(s); j++ {
					if s[j-1] == '\\' {
						continue
					}
					if s[j:j+n] == run && classOf(s, j-1) != ' ' && (j+n == len(s) || s[j+n] != c) &&
						!(c == '_' && classOf(s, j+n) == 'w') {
						end = j
						break
					}
				}
			}
			if end < 0 {
				b.WriteString(run)
				i += n
				continue
			}
			b.WriteString("<" + tag + ">" + mdInline(s[i+n:end], users, channels, live, v) + "</" + tag + ">")
			i = end + n
		case c == '[':
			mid := strings.Index(s[i:], "](")
			if mid < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			end := strings.IndexByte(s[i+mid:], ')')
			if end < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			u := s[i+mid+2 : i+mid+end]
			b.WriteString(`<a href="` + u + `">` + mdInline(s[i+1:i+mid], users, channels, live, v) + "</a>")
			i += mid + end + 1
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			tok := s[i+1 : i+j]
			switch {
			case strings.HasPrefix(tok, "http://") || strings.HasPrefix(tok, "https://"):
				b.WriteString(`<a href="` + tok + `">` + tok + "</a>")
			case strings.HasPrefix(tok, "@") && allDigits(strings.TrimPrefix(tok[1:], "!")):
				if live {
					v.pings++
				}
				b.WriteString("@" + users[strings.TrimPrefix(tok[1:], "!")])
			case strings.HasPrefix(tok, "#") && allDigits(tok[1:]):
				b.WriteString("#" + channels[tok[1:]])
			default:
				b.WriteByte(c)
				i++
				continue
			}
			i += j + 1
		case c == 'h' && classOf(s, i-1) != 'w' && (strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://")):
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '<' && s[j] != '>' {
				j++
			}
			for j > i && strings.IndexByte(".,)", s[j-1]) >= 0 {
				j--
			}
			b.WriteString(`<a href="` + s[i:j] + `">` + s[i:j] + "</a>")
			i = j
		case c == '@' && live && (strings.HasPrefix(s[i+1:], "everyone") || strings.HasPrefix(s[i+1:], "here")):
			v.pings++
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalize makes layout that does not show comparable: zero-width spaces go, a code block stands on
// lines of its own however it was opened, spaces around line breaks go.
func normalize(s string) string {
	s = strings.ReplaceAll(s, zwsp, "")
	lines := strings.Split(s, "\n")
	var out []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// unbold drops bold, which the console does not show.
func unbold(s string) string { return strings.NewReplacer("<b>", "", "</b>", "").Replace(s) }
