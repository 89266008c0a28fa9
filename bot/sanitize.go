package bot

// Sanitizing what a model writes before it is posted: no mentions of anyone, no link the sources or the
// question do not have, and never the prompt's canary, however it is spelled.

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// Platform mention syntax: Slack's <@U1>, <!here>, <!subteam^S1>, <#C1>; Discord's <@1>, <@!1>, <@&1>, <#1>.
	platformMentionRE = regexp.MustCompile(`<[@!#][^<>\s]{0,80}>`)
	massMentionRE     = regexp.MustCompile(`(?i)@(everyone|here|channel|all)\b`)
	atMentionRE       = regexp.MustCompile(`(^|[\s(])@([\p{L}\p{N}._-]+)`)

	// linkRE finds everything a reader or a chat client could take for a link, in one pass so that a
	// token is judged once, as a whole. The alternatives, tried left to right at the leftmost position:
	//   - a Markdown link or image, [text](dest "title"), dest with one level of parentheses
	//     (javascript:alert(1)) or in <…>;
	//   - an angle-bracket token, a Markdown autolink <https://x> or Slack's <https://x|label>;
	//   - an address with a scheme, any spelling: https://, HTTP://, hxxp://, ftp://, https:\\,
	//     protocol-relative //host, or a scheme that needs no slashes (javascript:, data:, mailto:, …);
	//   - a bare host: a domain of two labels or more (www.x.y, attacker.example.org/reset, IDN and
	//     punycode names, dots written as 。 or ．), with an optional user@ (an e-mail address), port
	//     and path; or an IPv4 address.
	linkRE = regexp.MustCompile(`(?i)` +
		`(!?\[([^\[\]\n]*)\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\))` +
		`|(<([^<>\s|]+)(?:\|([^<>\n]*))?>)` +
		`|((?:[a-z][a-z0-9+.\-]{0,31}:[/\\]{2}|//[\p{L}\p{N}])[^\s<>"'` + "`" + `]*|` + noSlashSchemes + `:[^\s<>"'` + "`" + `]+)` +
		`|((?:[\p{L}\p{N}._%+\-]+@)?` +
		`(?:(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,62})?\\?[.。．｡])+(?:xn--[a-z0-9\-]{1,59}|\p{L}{2,63})` +
		`|\d{1,3}(?:\.\d{1,3}){3})` +
		`(?::\d{1,5})?(?:[/?#][^\s<>"'` + "`" + `]*)?)`)

	// schemeRE is the scheme at the start of a link, as written.
	schemeRE = regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.\-]{0,31}:[/\\]{2}|` + noSlashSchemes + `:)`)
)

// noSlashSchemes are the schemes clients act on without "//" after the colon.
const noSlashSchemes = `(?:javascript|vbscript|data|mailto|file|tel|sms|callto|sips?|skype|slack|discord|zoommtg|` +
	`ms-[a-z\-]+|intent|blob|about|chrome|magnet|news|irc|xmpp|ldap|smb|steam|itms-services|market|facetime)`

// Submatch numbers of linkRE.
const (
	lmMarkdown, lmMarkdownText, lmMarkdownDest = 1, 2, 3
	lmAngle, lmAngleDest, lmAngleLabel         = 4, 5, 6
	lmScheme                                   = 7
	lmHost                                     = 8
)

// removedLink stands where an address was taken out.
const removedLink = "(link removed)"

// sanitize makes model output safe to post: no mentions of anyone (mass or personal), no invisible
// characters that could hide one or split a link from the checks, and no link that allow does not permit.
// Link text stays; the address goes.
func sanitize(text string, allow linkAllow) string {
	text = stripInvisible(text)
	// Mentions first: "@attacker.example.org" loses its "@" here and is then judged as the address it is.
	text = platformMentionRE.ReplaceAllString(text, "")
	text = massMentionRE.ReplaceAllString(text, "$1")
	text = atMentionRE.ReplaceAllString(text, "$1$2")
	// A link's text can hold a link: the text of a removed one is looked at again, until nothing changes
	// (each round only shortens the text, so this ends; three rounds undo any nesting seen in practice).
	for range 4 {
		next := replaceLinks(text, allow)
		if next == text {
			break
		}
		text = next
	}
	return text
}

// replaceLinks makes one pass over text, keeping the links allow permits and removing the others.
func replaceLinks(text string, allow linkAllow) string {
	var b strings.Builder
	last := 0
	for _, m := range linkRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[0], m[1]
		group := func(n int) string {
			if m[2*n] < 0 {
				return ""
			}
			return text[m[2*n]:m[2*n+1]]
		}
		var out string
		switch {
		case m[2*lmMarkdown] >= 0:
			dest := strings.TrimSuffix(strings.TrimPrefix(group(lmMarkdownDest), "<"), ">")
			if allow.permits(dest) {
				// The link stays, and its text is looked at like any other: it could show another address.
				out = text[start:m[2*lmMarkdownText]] + replaceLinks(group(lmMarkdownText), allow) + text[m[2*lmMarkdownText+1]:end]
			} else {
				out = group(lmMarkdownText)
			}
		case m[2*lmAngle] >= 0:
			dest, label := group(lmAngleDest), group(lmAngleLabel)
			switch {
			case !linkLike(dest):
				out = text[start:end] // "<Enter>", not a link
			case allow.permits(dest):
				out = "<" + dest + ">"
			case label != "":
				out = label
			default:
				out = removedLink
			}
		default:
			tok, tail := trimLinkEnd(text[start:end])
			if m[2*lmHost] >= 0 && !hostLike(tok) {
				continue
			}
			end -= len(tail)
			if allow.permits(tok) {
				out = tok
			} else {
				out = removedLink
			}
		}
		b.WriteString(text[last:start])
		b.WriteString(out)
		last = end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// linkLike reports whether s, the inside of <…>, is an address: it has a scheme or is a host.
func linkLike(s string) bool {
	if schemeRE.MatchString(s) || strings.HasPrefix(s, "//") {
		return true
	}
	m := linkRE.FindStringSubmatchIndex(s)
	return m != nil && m[0] == 0 && m[1] == len(s) && m[2*lmHost] >= 0 && hostLike(s)
}

// hostLike decides whether a dotted word the bare-host pattern matched is an address: an IPv4
// address, a name starting with "www.", a name whose top-level domain exists (or is reserved for
// examples and private networks), or a name of any kind followed by a port, a path or a query, or with
// a user@ before it. "attacker.example.org", "evil.zip" and "alice@corp.example" are addresses;
// "Node.js", "alice.smith" and "config.toml" are not. A name written with the dots of Chinese or
// Japanese text (。) has ASCII labels, or it is a sentence, not a name.
func hostLike(tok string) bool {
	if strings.ContainsAny(tok, "。．｡") {
		for _, r := range tok {
			if r >= utf8.RuneSelf && !strings.ContainsRune("。．｡", r) {
				return false
			}
		}
	}
	s := normalizeLink(tok)
	host := linkHost(s)
	if ipv4RE.MatchString(host) || strings.HasPrefix(host, "www.") || host != s {
		return true
	}
	tld := host[strings.LastIndexByte(host, '.')+1:]
	return strings.HasPrefix(tld, "xn--") || topLevelDomains[tld]
}

var ipv4RE = regexp.MustCompile(`^\d{1,3}(?:\.\d{1,3}){3}$`)

// topLevelDomains are the ICANN top-level domains (tlds.go) and the names reserved for examples, tests
// and private networks, which a link can use as well.
var topLevelDomains = func() map[string]bool {
	m := map[string]bool{}
	for _, tld := range strings.Fields(icannTLDs + " example test invalid localhost local localdomain onion internal lan home corp intranet private") {
		m[tld] = true
	}
	return m
}()

// trimLinkEnd splits the punctuation that ends a sentence, or closes a bracket opened before the link,
// off a link found in running text.
func trimLinkEnd(tok string) (link, tail string) {
	link = tok
	for link != "" {
		r, size := utf8.DecodeLastRuneInString(link)
		switch {
		case strings.ContainsRune(".,;:!?'\"*_~", r):
		case r == ')' && strings.Count(link, "(") < strings.Count(link, ")"):
		case r == ']' && strings.Count(link, "[") < strings.Count(link, "]"):
		case r == '}' && strings.Count(link, "{") < strings.Count(link, "}"):
		default:
			return link, tok[len(link):]
		}
		link = link[:len(link)-size]
	}
	return link, tok[len(link):]
}

// linkAllow is what a model may link to: the addresses written in the sources and in the question.
type linkAllow struct {
	exact    map[string]bool // every address as written, normalized
	noScheme map[string]bool // the same without their scheme, for a model that drops "https://"
	hosts    map[string]bool // their hosts, for a model that names only the host
}

// allowedLinks collects the addresses written in texts (the sources and the question), which a model
// may repeat. They are found exactly as sanitize finds links, so every spelling sanitize would remove
// can also be allowed.
func allowedLinks(texts ...string) linkAllow {
	a := linkAllow{exact: map[string]bool{}, noScheme: map[string]bool{}, hosts: map[string]bool{}}
	for _, text := range texts {
		text = stripInvisible(text)
		for _, m := range linkRE.FindAllStringSubmatchIndex(text, -1) {
			var dest string
			switch {
			case m[2*lmMarkdown] >= 0:
				dest = strings.TrimSuffix(strings.TrimPrefix(text[m[2*lmMarkdownDest]:m[2*lmMarkdownDest+1]], "<"), ">")
			case m[2*lmAngle] >= 0:
				dest = text[m[2*lmAngleDest]:m[2*lmAngleDest+1]]
			default:
				dest, _ = trimLinkEnd(text[m[0]:m[1]])
			}
			if dest == "" {
				continue
			}
			n := normalizeLink(dest)
			a.exact[n] = true
			rest := stripScheme(n)
			a.noScheme[rest] = true
			if h := linkHost(rest); h != "" {
				a.hosts[h] = true
			}
		}
	}
	return a
}

// permits reports whether a link the model wrote may be posted: it is one of the addresses allowed,
// the same without its scheme, or only the host of one of them. An address with a scheme must match
// exactly, so no scheme the sources do not use gets through (http:// for https://, ftp://, javascript:).
func (a linkAllow) permits(link string) bool {
	n := normalizeLink(link)
	if n == "" {
		return false
	}
	if a.exact[n] {
		return true
	}
	if schemeRE.MatchString(n) || strings.HasPrefix(n, "//") {
		return false
	}
	return a.noScheme[n] || (linkHost(n) == n && a.hosts[n])
}

// normalizeLink is the form links are compared in: no invisible characters, lower case (hosts and
// schemes are case-insensitive; a path that differs only in case is not worth a difference), dots
// written as 。 read as dots, and no punctuation that ends the sentence it is in.
func normalizeLink(s string) string {
	s = strings.ToLower(stripInvisible(s))
	s = strings.NewReplacer("。", ".", "．", ".", "｡", ".", `\.`, ".").Replace(s)
	s, _ = trimLinkEnd(strings.TrimSpace(s))
	return s
}

// stripScheme drops a leading scheme (and its slashes) from a normalized link.
func stripScheme(s string) string {
	if loc := schemeRE.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	return strings.TrimPrefix(s, "//")
}

// linkHost is the host of a link without its scheme: what comes before the port, path, query or
// fragment, after any user@.
func linkHost(s string) string {
	if i := strings.IndexAny(s, "/?#\\"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// stripInvisible removes the characters that show nothing but can hide a mention or split a link or
// the canary from a check: zero-width spaces and joiners, the word joiner, soft hyphens, byte-order
// marks and bidirectional controls (Unicode's format characters). A zero-width joiner between two
// emoji, which draws them as one, stays.
func stripInvisible(s string) string {
	if !strings.ContainsFunc(s, isInvisible) {
		return s
	}
	var b strings.Builder
	var prev rune
	for i, r := range s {
		if isInvisible(r) {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if !(r == '\u200d' && isEmoji(prev) && isEmoji(next)) {
				continue
			}
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == '\u034f' || r == '\u115f' || r == '\u3164'
}

func isEmoji(r rune) bool { return unicode.Is(unicode.So, r) || r == '\ufe0f' }

// leaksCanary reports whether text repeats the canary in any spelling: any case, with spaces,
// punctuation, Markdown or invisible characters inserted, in full-width letters, or without its "FLC-"
// prefix (its random part alone is as telling).
func leaksCanary(text, canary string) bool {
	_, secret, ok := strings.Cut(canary, "-")
	if canary == "" || !ok || secret == "" {
		return false
	}
	return strings.Contains(canaryForm(text), canaryForm(secret))
}

// canaryForm keeps only the letters and digits of s, in lower case, full-width forms read as ASCII.
func canaryForm(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' {
			r -= '！' - '!' // full-width ASCII
		}
		r = unicode.ToLower(r)
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
