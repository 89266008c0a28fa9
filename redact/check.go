package redact

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkShape checks the length of a token found by its prefix, and rejects "sk-" words that are not
// keys: OpenAI and Anthropic keys are long random strings with digits and both cases.
func checkShape(s string, m []int) (int, int, bool) {
	v := s[m[0]:m[1]]
	for _, sh := range shapeLengths {
		if strings.HasPrefix(v, sh.prefix) {
			if len(v) < sh.min {
				return 0, 0, false
			}
			break
		}
	}
	if strings.HasPrefix(v, "sk-") && !(hasDigit(v) && hasUpper(v) && hasLower(v)) {
		return 0, 0, false
	}
	return m[0], m[1], true
}

// shapeLengths are the shortest tokens of each prefix, in bytes with the prefix: shorter ones are words
// or examples.
var shapeLengths = []struct {
	prefix string
	min    int
}{
	{"xox", 15}, {"xapp-", 17}, {"sk-", 35}, {"sk_", 18}, {"rk_", 18}, {"whsec_", 26}, {"github_pat_", 41},
	{"gh", 34}, {"glpat-", 26}, {"npm_", 40}, {"hf_", 33}, {"ATATT", 25}, {"SG.", 36}, {"AIza", 39},
	{"GOCSPX-", 27}, {"ya29.", 25}, {"eyJ", 30},
}

// checkDiscord accepts three dotted base64 parts when the first decodes to a Discord snowflake id.
func checkDiscord(s string, m []int) (int, int, bool) {
	id, _, _ := strings.Cut(s[m[0]:m[1]], ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(id, "="))
	if err != nil {
		return 0, 0, false
	}
	if len(b) < 17 || len(b) > 20 {
		return 0, 0, false
	}
	for _, c := range b {
		if !isDigit(c) {
			return 0, 0, false
		}
	}
	// The HMAC part has a length, not an end: a token glued to more text is not one.
	return m[0], m[1], m[1] == len(s) || !isTokenByte(s[m[1]])
}

// checkLabelledToken accepts the value of a label such as api_key or client_secret when it looks like a
// credential, not like "expired" or "YOUR_API_KEY".
func checkLabelledToken(s string, m []int) (int, int, bool) {
	start, end, quoted := valueSpan(s, m[6], m[7])
	if end <= start {
		return 0, 0, false
	}
	v := s[start:end]
	if placeholder(v) || stopWord(v) {
		return 0, 0, false
	}
	switch {
	case !strings.ContainsAny(s[m[4]:m[5]], ":="): // "the client secret is ..."
		return start, end, len(v) >= 12 && hasDigit(v) && hasLetter(v)
	case quoted:
		return start, end, len(v) >= 8
	}
	return start, end, tokenLike(v, 8)
}

// tokenLike reports whether v looks like a credential rather than a word or a code reference: long
// enough, with a digit, or long and of mixed case without dots (not process.env.API_KEY).
func tokenLike(v string, minLen int) bool {
	if len(v) < minLen || placeholder(v) {
		return false
	}
	if hasDigit(v) {
		return true
	}
	return len(v) >= 20 && hasUpper(v) && hasLower(v) && !strings.Contains(v, ".")
}

// Strength of the separator between a password label and its value.
const (
	weak = iota
	medium
	strong
)

// sepStrength classifies a separator matched by strongSep, mediumSep or weakSep.
func sepStrength(sep string) int {
	if strings.ContainsAny(sep, ":=") {
		return strong
	}
	w := strings.ToLower(strings.Join(strings.Fields(sep), " "))
	if w == "" || w == "to" || w == "back to" {
		return weak
	}
	return medium
}

// checkPassword decides whether the word after a password label is the password. How sure it must be
// depends on the separator: after "password:" anything but a placeholder or an English word about
// passwords; after "password is" the same, and digits only from four on; after a bare "password" only
// what password rules would accept.
func checkPassword(s string, m []int) (int, int, bool) {
	label := strings.ToLower(s[m[2]:m[3]])
	sep := s[m[4]:m[5]]
	strength := sepStrength(sep)
	raw := s[m[6]:m[7]]
	start, end, quoted := valueSpan(s, m[6], m[7])
	if end <= start {
		return 0, 0, false
	}
	v := s[start:end]
	switch label {
	case "pin":
		return start, end, strength != weak && allDigits(v) && len(v) >= 4 && len(v) <= 8
	case "pass":
		// "pass: 12" is a test result more often than a password; an identifier (DB_PASS) or "=" says
		// configuration.
		if strength != strong {
			return 0, 0, false
		}
		if !identPrefixed(s, m[2]) && !strings.Contains(sep, "=") && !quoted && !strongPassword(v) {
			return 0, 0, false
		}
	case "password", "passwd", "passcode", "passphrase", "pwd", "pw":
	default:
		if strings.HasSuffix(label, "key") {
			break // Wi-Fi key
		}
		if strength != strong { // another language's word: only as a label
			return 0, 0, false
		}
	}
	if placeholder(v) {
		return 0, 0, false
	}
	if quoted {
		return start, end, true
	}
	if variable(s, m[2]) || codeCall(v) {
		return 0, 0, false // $password = Read-Host ...: code, whose secrets are quoted
	}
	if strings.HasSuffix(raw, ":") && labelWords[strings.ToLower(v)] {
		return 0, 0, false // "password: pwd: x": the value is the next label
	}
	if strength != weak {
		return start, end, !stopWord(v) && !(allDigits(v) && len(v) < 4)
	}
	if label == "passcode" && allDigits(v) && len(v) >= 4 && len(v) <= 8 {
		return start, end, true
	}
	return start, end, strongPassword(v)
}

// identPrefixed reports whether the label at s[p] ends an identifier: DB_PASS, smtp.pass.
func identPrefixed(s string, p int) bool {
	return p > 1 && strings.IndexByte("_.-", s[p-1]) >= 0 && isAlnum(s[p-2])
}

// variable reports whether the label at s[p] is (the end of) a variable's name in code: $password,
// $db_pass.
func variable(s string, p int) bool {
	for p > 0 && isWord(s[p-1]) {
		p--
	}
	return p > 0 && s[p-1] == '$'
}

// codeCall reports whether v is a function call, getpass() or Read-Host(...): code that asks for the
// password rather than the password.
func codeCall(v string) bool {
	i := strings.IndexByte(v, '(')
	if i <= 0 || !strings.HasSuffix(v, ")") && !strings.HasSuffix(v, "(") {
		return false
	}
	for j := 0; j < i; j++ {
		if !isWord(v[j]) && v[j] != '.' {
			return false
		}
	}
	return true
}

// checkXMLValue takes the value attribute of a .NET appSettings entry.
func checkXMLValue(s string, m []int) (int, int, bool) {
	start, end := m[2], m[3]
	if start < 0 {
		start, end = m[4], m[5]
	}
	return start, end, !placeholder(s[start:end])
}

// strongPassword reports whether a word after a bare "password" is one: six or more characters with
// letters and digits or symbols, as password rules demand, unlike "password reset" or "password 3 times".
func strongPassword(v string) bool {
	if len(v) < 6 || !hasLetter(v) {
		return false
	}
	if hasDigit(v) {
		return true
	}
	// A symbol at the end may be the sentence's own ("again?").
	return strings.ContainsAny(v[:len(v)-1], "!@#$%^&*+=~|\\")
}

// checkCommand takes the password of whichever command matched.
func checkCommand(s string, m []int) (int, int, bool) {
	for g := 1; g <= 4; g++ {
		if m[2*g] < 0 {
			continue
		}
		start, end, _ := valueSpan(s, m[2*g], m[2*g+1])
		if end <= start || placeholder(s[start:end]) {
			return 0, 0, false
		}
		return start, end, true
	}
	return 0, 0, false
}

// valueSpan narrows the value s[vs:ve] to the secret: inside its quotes if it is quoted; otherwise cut
// where the next key of a connection string or query begins (";Encrypt=", "&user="), without a stray
// opening quote and without trailing punctuation.
func valueSpan(s string, vs, ve int) (start, end int, quoted bool) {
	v := s[vs:ve]
	if q, size := utf8.DecodeRuneInString(v); len(v) > size {
		if c, csize := utf8.DecodeLastRuneInString(v); closeQuote(q) == c && len(v) >= size+csize {
			return vs + size, ve - csize, true
		}
	}
	for vs < ve {
		r, size := utf8.DecodeRuneInString(s[vs:ve])
		if !unicode.IsSpace(r) {
			break
		}
		vs += size // a no-break space after the label
	}
	end = ve
	for i := vs; i < end; i++ {
		if (s[i] == ';' || s[i] == '&') && keyFollows(s[i+1:end]) {
			end = i
			break
		}
	}
	start = vs
	if start < end && (s[start] == '"' || s[start] == '\'' || s[start] == '`') {
		start++
	}
	return start, trimRight(s, start, end), false
}

// trimRight drops trailing punctuation from s[start:end], which belongs to the sentence more often than
// to the secret.
func trimRight(s string, start, end int) int {
	for end > start {
		if strings.IndexByte(".,;:)]}>'\"`", s[end-1]) >= 0 {
			end--
			continue
		}
		if r, size := utf8.DecodeLastRuneInString(s[start:end]); r == '”' || r == '’' {
			end -= size
			continue
		}
		break
	}
	return end
}

// keyFollows reports whether rest starts with "name=", the next pair of a connection string or query.
func keyFollows(rest string) bool {
	rest = strings.TrimLeft(rest, " ")
	for i := 0; i < len(rest) && i < 40; i++ {
		c := rest[i]
		switch {
		case c == '=':
			return i > 0
		case isWord(c) || c == ' ' || c == '.' || c == '-':
		default:
			return false
		}
	}
	return false
}

func closeQuote(r rune) rune {
	switch r {
	case '"', '\'', '`':
		return r
	case '“':
		return '”'
	case '‘':
		return '’'
	}
	return -1
}

// placeholder reports whether v stands for a secret instead of being one: "********", "<password>",
// "${DB_PASSWORD}", "%PASSWORD%", "[redacted password]".
func placeholder(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case '<', '[', '{':
		return true
	case '$': // ${DB_PASSWORD}, $(cat pw.txt), $DB_PASSWORD, but not $ecret2024
		if len(v) > 1 && (v[1] == '{' || v[1] == '(' || strings.TrimLeft(v[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == "") {
			return true
		}
	case '%':
		if len(v) > 2 && v[len(v)-1] == '%' {
			return true
		}
	}
	if strings.Trim(v, "*xX•●·.#_-") == "" {
		return true
	}
	return placeholders[strings.ToLower(v)]
}

var placeholders = setOf(`redacted hidden removed masked none null nil empty n/a na tbd tba todo
	your_password yourpassword your-password your_token your_api_key`)

// labelWords are the password labels, which are not values of one another.
var labelWords = setOf(`password passwd passcode passphrase pwd pw pass pin`)

// stopWord reports whether v is an English word that follows "password is" or "password:" in a sentence
// about a password rather than in one that gives it ("my password is expired", "Password: reset").
func stopWord(v string) bool {
	trimmed := strings.TrimFunc(v, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r >= utf8.RuneSelf)
	})
	w := strings.ToLower(trimmed)
	if w == "" || stopWords[w] {
		return true
	}
	// A lower-case participle or adverb describes the password ("is posted", "is managed",
	// "is apparently"); a password that is one is rare.
	if w == trimmed && allLetters(w) && len(w) > 4 {
		for _, suffix := range []string{"ed", "ing", "ly"} {
			if strings.HasSuffix(w, suffix) {
				return true
			}
		}
	}
	return false
}

func allLetters(v string) bool {
	for i := 0; i < len(v); i++ {
		if !isLetter(v[i]) {
			return false
		}
	}
	return v != ""
}

var stopWords = setOf(`
	a an the this that these those it its it's itself i i'm i've me my mine you your yours he she his her
	we our they their them someone something somebody anything everything nothing everyone anyone
	is isn't was wasn't be been being are aren't were am do does did doesn't didn't don't done have has
	had can can't cannot could couldn't will won't would wouldn't should shouldn't must may might shall
	and or but so if then than because since when while where which what who whom whose why how
	not no yes nope yeah yep ok okay fine good bad great wrong right correct incorrect invalid valid
	in on at of for from with without by to into onto about above below over under after before during
	until till up down out off again also just only even still already yet now then there here very
	really too quite rather pretty much many more most less least some any all each every both either
	neither same different other another such own
	expired expiring expires expire expiry expiration locked unlocked lockout blocked disabled enabled
	reset resets resetting changed changing change updated update updating set setting saved stored
	required mandatory optional needed necessary missing empty blank wrong weak strong long short
	complex simple easy hard difficult secure insecure unsafe safe compromised leaked exposed stolen
	longer shorter weaker stronger older newer weird strange odd funny special unusual random unique
	hacked known unknown forgotten forgot forget lost gone new old current previous temporary temp default
	case case-sensitive sensitive sent shared emailed texted given provided attached below above
	accepted rejected refused denied failing failed fails fail broken working works work not-working
	stuck pending ready active inactive visible hidden greyed grayed shown masked displayed
	synced synchronized syncing outdated obsolete policy rules requirements complexity history length
	field box prompt dialog screen page link email mail message sms text phone app portal website site
	manager vault keychain keepass lastpass bitwarden 1password
	please pls thanks thank help ask asking see check use using try trying call contact click enter
	entered type typed typing go goes going gonna visit follow following follows sign signing log login
	logging open opening reenter re-enter retype confirm confirmed verify verified
	choose select pick press tap remove delete copy paste
	supposed meant probably maybe perhaps definitely certainly actually apparently basically
	something's same-as identical similar like unlike as
	true false yes no on off enabled disabled yes/no n/a tbd
	one two three four five six seven eight nine ten first second third last next
	day days week weeks month months year years hour hours minute minutes time times today yesterday
	tomorrow morning ago
	mine ours theirs his hers
	username user login account domain
`)

func setOf(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

func hasDigit(v string) bool {
	for i := 0; i < len(v); i++ {
		if isDigit(v[i]) {
			return true
		}
	}
	return false
}

func allDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return false
		}
	}
	return v != ""
}

func hasLetter(v string) bool {
	for i := 0; i < len(v); i++ {
		if isLetter(v[i]) || v[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func hasUpper(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return 'A' <= r && r <= 'Z' }) >= 0
}

func hasLower(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return 'a' <= r && r <= 'z' }) >= 0
}

func isBase64Byte(c byte) bool { return isWord(c) && c != '_' || c == '+' || c == '/' || c == '=' }
