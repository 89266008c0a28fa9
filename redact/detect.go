package redact

import (
	"math/bits"
	"regexp"
	"strings"
	"unicode/utf8"
)

const tokenBytes = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// A detector finds one family of secrets: where one can begin (a label such as "password", a prefix
// such as "xoxb-"), then a regular expression anchored there, then optionally a check in Go for what a
// regular expression cannot say (is this word a password or the word "expired"?).
//
// Anchoring is what makes redaction cheap: an unanchored search runs the pattern's automaton from every
// byte of the text, while here it runs only from the few places where a label or prefix occurs, and
// only as far as the window.
type detector struct {
	kind  Kind
	needs trigger // scan must have seen one of these hints
	// words are where a match can begin: lower-case labels or prefixes, matched without regard to ASCII
	// case where the byte before is not a letter or digit (an underscore, dot or dash may come before,
	// as in DB_PASSWORD or X-Api-Key). Detectors without words have start instead.
	words []string
	start func(s string, p int) bool
	on    string         // the bytes start may accept
	first [256][]string  // words by their first byte, either case
	re    *regexp.Regexp // anchored: it matches at the start of its input or not at all
	// window bounds how far past its start a match can reach, and so the work done for a start that
	// comes to nothing (Go's backtracking matcher clears a bit per instruction and input byte on each
	// call). 0 is no bound.
	window int
	group  int // the submatch that is the secret; 0 for the whole match
	// check, when set, narrows the secret to s[start:end] (dropping quotes and trailing punctuation) or
	// rejects the match. m holds offsets into s.
	check func(s string, m []int) (start, end int, ok bool)
}

// matchAt returns the secret d finds starting at s[p], if any.
func (d *detector) matchAt(s string, p int) (start, end int, ok bool) {
	if d.words != nil {
		if !d.wordAt(s, p) {
			return 0, 0, false
		}
	} else if !d.start(s, p) {
		return 0, 0, false
	}
	limit := len(s)
	if d.window > 0 && p+d.window < len(s) {
		limit = p + d.window
		for limit > p && !utf8.RuneStart(s[limit]) {
			limit-- // never cut a character in two
		}
	}
	m := d.re.FindStringSubmatchIndex(s[p:limit])
	if m == nil {
		return 0, 0, false
	}
	for j := range m {
		if m[j] >= 0 {
			m[j] += p
		}
	}
	start, end = m[2*d.group], m[2*d.group+1]
	ok = start >= 0
	if d.check != nil {
		start, end, ok = d.check(s, m)
	}
	// A value that runs into a marker is not one: redacting "pw to 0:B" must not make
	// "pw to 0:[redacted password]" a password the second time.
	return start, end, ok && end > start && !strings.Contains(s[start:end], "[redacted")
}

// findAll appends to fs the secrets that the detectors in the set active find in s. It passes over s
// once, trying at each byte only the detectors that can start with it.
func findAll(s string, active uint32, fs []Finding) []Finding {
	var next [32]int // per detector, where it may look again: past its last secret
	for p := 0; p < len(s); p++ {
		for set := byFirst[s[p]] & active; set != 0; set &= set - 1 {
			i := bits.TrailingZeros32(set)
			if p < next[i] {
				continue
			}
			d := &detectors[i]
			if start, end, ok := d.matchAt(s, p); ok {
				fs = append(fs, Finding{Kind: d.kind, Start: start, End: end})
				// Go on after the secret, not after the match: a value cut at ";Password=" may be
				// followed by another secret. A start that came to nothing is not skipped: a later
				// one, even inside its value, may still match.
				next[i] = end
			}
		}
	}
	return fs
}

// byFirst holds, for each byte, the set of detectors that may start with it.
var byFirst [256]uint32

func anchor(pattern string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + pattern + `)`) }

func (d *detector) wordAt(s string, p int) bool {
	if p > 0 && isAlnum(s[p-1]) {
		return false
	}
	for _, w := range d.first[s[p]] {
		if hasFold(s, p, w) {
			return true
		}
	}
	return false
}

func init() {
	if len(detectors) > 32 {
		panic("redact: more than 32 detectors")
	}
	for i := range detectors {
		d := &detectors[i]
		for _, w := range d.words {
			d.first[w[0]] = append(d.first[w[0]], w)
			if c := w[0]; 'a' <= c && c <= 'z' {
				d.first[c-'a'+'A'] = append(d.first[c-'a'+'A'], w)
			}
		}
		for c := range 256 {
			if d.first[c] != nil || d.words == nil && strings.IndexByte(d.on, byte(c)) >= 0 {
				byFirst[c] |= 1 << i
			}
		}
	}
}

// Building blocks of the patterns.
const (
	// strongSep is a separator that makes what follows a value: "password: x", "password=x",
	// `"password": "x"`, "password => x".
	strongSep = `["']?\s*(?::=|=>|[:=])\s*`
	// mediumSep introduces a value in a sentence: "password is x", "password was changed to x".
	mediumSep = `(?:\s+(?:(?:is|was)(?:\s+(?:now|still|currently|actually|just|set\s+to|changed\s+to))?(?:\s*:)?|(?:(?:has\s+been|was|is|got)\s+)?(?:changed|reset|set|updated)\s+to)|['’]s)\s+`
	// weakSep is a space (or "to"): "passcode 4821", "changed my password to Summer2024!".
	weakSep = `\s+(?:(?:back\s+)?to\s+)?`
	// pwLabel names a password, in English and, followed by ":" or "=", in a few other languages.
	pwLabel = `(password|passwd|passcode|passphrase|pwd|pw|pass|pin|passwort|kennwort|contraseña|contrasena|wachtwoord|senha|mot de passe)`
	// pwValue is a password: quoted (with any quotes chat apps produce) or up to the next space.
	pwValue = `("[^"\n]+"|'[^'\n]+'|“[^”\n]+”|‘[^’\n]+’|` + "`[^`\\n]+`" + `|[^\s]+)`
	// tokenValue is a token: quoted or up to a space, quote, comma, semicolon or "@" (of a URL).
	tokenValue = `("[^"\n]+"|'[^'\n]+'|[^\s"'` + "`" + `,;@]+)`
)

var pwWords = []string{"pass", "pw", "pin", "kennwort", "contrase", "wachtwoord", "senha", "mot de passe"}

var detectors = []detector{
	{ // PEM and OpenSSH private keys, whole block; without an END line, to the end of the text
		kind: PrivateKey, needs: tPEM, words: []string{"-----begin"},
		re: anchor(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)`),
	},
	{ // tokens with a recognisable prefix
		kind: Token, needs: tShape, window: 16 << 10,
		words: []string{"xox", "xapp-", "sk-", "sk_", "rk_", "whsec_", "gh", "github_pat_", "glpat-", "npm_", "hf_", "atatt", "sg.",
			"akia", "asia", "aiza", "gocspx-", "ya29.", "eyj"},
		re: anchor(`xox[abposre]-[A-Za-z0-9-]+` + // Slack bot, user, app, refresh, config tokens
			`|xapp-\d-[A-Za-z0-9-]+` + // Slack app-level tokens
			`|sk-[A-Za-z0-9_-]+` + // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) keys
			`|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+` + // Stripe
			`|gh[pousr]_[A-Za-z0-9]+|github_pat_[A-Za-z0-9_]+` + // GitHub
			`|glpat-[A-Za-z0-9_-]+` + // GitLab
			`|npm_[A-Za-z0-9]+|hf_[A-Za-z0-9]+` + // npm, Hugging Face
			`|ATATT[A-Za-z0-9_=-]+` + // Atlassian API tokens
			`|SG\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+` + // SendGrid
			`|(?:AKIA|ASIA)[A-Z0-9]{16}\b` + // AWS access key ids
			`|AIza[0-9A-Za-z_-]+|GOCSPX-[A-Za-z0-9_-]+|ya29\.[A-Za-z0-9_-]+` + // Google
			`|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`), // JWTs
		check: checkShape,
	},
	{ // Discord bot tokens: base64 of the bot's id, a timestamp, an HMAC
		kind: Token, needs: tShape, window: 128, start: discordStart, on: tokenBytes,
		re:    anchor(`[A-Za-z0-9_-]{20,30}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}`),
		check: checkDiscord,
	},
	{ // webhook URLs, whose path is the secret
		kind: Token, needs: tURL | tShape, window: 1 << 10,
		words: []string{"hooks.slack.com/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/"},
		re:    anchor(`(?i)hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{20,})|discord(?:app)?\.com/api/webhooks/(\d+/[A-Za-z0-9_-]{20,})`),
		check: firstGroup,
	},
	{ // Bearer <token>, anywhere
		kind: Token, needs: tLabel, group: 1, window: 16 << 10, words: []string{"bearer"},
		re:    anchor(`(?i)bearer\s+([A-Za-z0-9._~+/-]+=*)`),
		check: func(s string, m []int) (int, int, bool) { return m[2], m[3], tokenLike(s[m[2]:m[3]], 12) },
	},
	{ // Authorization: <scheme> <credentials>
		kind: Token, needs: tLabel, group: 1, window: 16 << 10, words: []string{"authorization"},
		re: anchor(`(?i)authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|bot|digest|negotiate|ntlm|apikey|sso-key|key|aws4-hmac-sha256)\s+)?([^\s"',;]+)`),
		check: func(s string, m []int) (int, int, bool) {
			start, end := m[2], trimRight(s, m[2], m[3])
			return start, end, tokenLike(s[start:end], 8)
		},
	},
	{ // labelled keys and tokens: api_key=..., "client_secret": "...", X-Auth-Token: ..., AccountKey=...;
		kind: Token, needs: tLabel, group: 3, window: 1 << 10,
		words: []string{"api", "access", "refresh", "auth", "id_", "id-", "id ", "bot", "private", "session", "app",
			"secret", "client", "account", "shared", "signing", "encryption", "master", "webhook", "token"},
		re: anchor(`(?i)(` +
			`api[_ .-]?(?:key|token|secret)|apikey|(?:access|refresh|auth|id|bot|private|session|app)[_ .-]?token` +
			`|secret[_ .-]?(?:access[_ .-]?)?key|client[_ .-]?secret|(?:access|account|shared[_ .-]?access|signing|encryption|master)[_ .-]?key` +
			`|webhook[_ .-]?secret|app[_ .-]?secret|secret|token` +
			`)(` + strongSep + `|\s+(?:is|was)(?:\s*:)?\s+)` + tokenValue),
		check: checkLabelledToken,
	},
	{ // passwords, passcodes and PINs given in words or in configuration
		kind: Password, needs: tPassword, group: 3, window: 256, words: pwWords,
		re:    anchor(`(?i)` + pwLabel + `(` + strongSep + `|` + mediumSep + `|` + weakSep + `)` + pwValue),
		check: checkPassword,
	},
	{ // the same with what the password is for: "the password for the guest wifi is ..."
		kind: Password, needs: tPassword, group: 3, window: 256, words: pwWords,
		re:    anchor(`(?i)` + pwLabel + `\s+(?:for|of|on|to)(?:\s+[^\s:=]+){1,3}?(` + strongSep + `|` + mediumSep + `)` + pwValue),
		check: checkPassword,
	},
	{ // Wi-Fi keys, which are passwords
		kind: Password, needs: tLabel, group: 3, window: 256, words: []string{"wi-fi", "wifi", "wlan", "wpa"},
		re:    anchor(`(?i)(wi-?fi[ _-]?key|wlan[ _-]?key|wpa2?[ _-]?key)(` + strongSep + `|` + mediumSep + `|` + weakSep + `)` + pwValue),
		check: checkPassword,
	},
	{ // user:password@ in URLs and DSNs
		kind: Password, needs: tURL, group: 1, window: 1 << 10,
		start: func(s string, p int) bool { return hasFold(s, p, "://") && p > 0 && isAlnum(s[p-1]) }, on: ":",
		re: anchor(`://[^\s:/?#@\[\]]*:([^\s/?#]+)@`),
		check: func(s string, m []int) (int, int, bool) {
			return m[2], m[3], !placeholder(s[m[2]:m[3]])
		},
	},
	{ // passwords on command lines: mysql -pSECRET, sshpass -p SECRET, ConvertTo-SecureString 'SECRET',
		// curl -u user:SECRET
		kind: Password, needs: tCommand | tPassword, window: 512,
		words: []string{"mysql", "mariadb", "sshpass", "convertto-securestring", "curl"},
		re:    anchor(`(?i)(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p(\S+)|sshpass\s+-p\s*(\S+)|ConvertTo-SecureString\s+(?:-String\s+)?("[^"\n]+"|'[^'\n]+')|curl\b[^\n]*?\s(?:-u|--user)\s*["']?[^\s:"']+:([^\s"']+)`),
		check: checkCommand,
	},
	{ // AWS secret access keys, which have no prefix: when labelled, or right after their key id
		kind: Token, needs: tLabel | tShape, window: 256, words: []string{"aws", "secret", "akia", "asia"},
		re: anchor(`(?i:(?:aws[_ .-]?)?secret[_ .-]?(?:access[_ .-]?)?key["']?(?:\s*[:=]\s*|\s+is\s+|\s+)["']?([A-Za-z0-9/+]{40}))` +
			`|(?:AKIA|ASIA)[A-Z0-9]{16}["']?(?:\s{0,3}[/:,;|]\s{0,3}|\s{1,3})["']?([A-Za-z0-9/+]{40})`),
		check: func(s string, m []int) (int, int, bool) {
			start, end, _ := firstGroup(s, m)
			return start, end, end == len(s) || !isBase64Byte(s[end])
		},
	},
	{ // .NET configuration: <add key="SmtpPassword" value="..." />
		kind: Password, needs: tPassword, window: 512, words: []string{"key"},
		re:    anchor(`(?i)key\s*=\s*["'][\w.:-]*(?:password|passwd|pwd)["']\s+value\s*=\s*(?:"([^"\n]+)"|'([^'\n]+)')`),
		check: checkXMLValue,
	},
	{ // .NET configuration: <add key="ApiKey" value="..." />
		kind: Token, needs: tLabel, window: 2 << 10, words: []string{"key"},
		re:    anchor(`(?i)key\s*=\s*["'][\w.:-]*(?:secret|token|api[_-]?key|access[_-]?key)["']\s+value\s*=\s*(?:"([^"\n]+)"|'([^'\n]+)')`),
		check: checkXMLValue,
	},
	{ // card security codes (CVV, CVC)
		kind: CardCode, needs: tCode, group: 1, window: 64, words: []string{"cvv", "cvc", "card"},
		re: anchor(`(?i)(?:cvv2?|cvc2?|card\s+security\s+code)(?:\s+(?:is|was))?\s*[:=#]?\s*(\d{3,4})\b`),
	},
	{ // one-time codes, when named as such (see the package doc)
		kind: OneTimeCode, needs: tCode, group: 1, window: 128,
		words: []string{"verification", "security", "one", "otp", "totp", "2fa", "mfa", "sms", "text", "authenticat",
			"auth", "login", "log", "sign", "confirmation", "code"},
		re: anchor(`(?i)(?:` +
			`(?:verification|security|one[- ]?time|otp|2fa|mfa|sms|text|authenticator|authentication|auth|login|log[- ]?in|sign[- ]?in|confirmation)\s+code(?:\s+(?:is|was))?\s*[:=#]?` +
			`|code\s+(?:from|in|via|on)\s+(?:the\s+|my\s+|your\s+)?(?:sms|text|e-?mail|authenticator|app|phone)(?:\s+(?:is|was))?\s*[:=#]?` +
			`|t?otp(?:\s+(?:is|was))?\s*[:=#]?` +
			`|(?:2fa|mfa)(?:\s*[:=]|\s+(?:is|was)))` +
			`\s*(\d{6,8}|\d{3}[ -]\d{3})\b`),
	},
	{ // BitLocker recovery keys
		kind: RecoveryKey, needs: tDigits, window: 64, start: recoveryKeyStart, on: "0123456789",
		re: anchor(`\d{6}(?:[- ]\d{6}){7}\b`),
	},
}

// discordStart accepts the start of a run of 20 to 30 base64url bytes followed by a dot: the first part
// of a Discord token.
func discordStart(s string, p int) bool {
	if !isTokenByte(s[p]) || p > 0 && isTokenByte(s[p-1]) {
		return false
	}
	n := 0
	for p+n < len(s) && n <= 30 && isTokenByte(s[p+n]) {
		n++
	}
	return n >= 20 && n <= 30 && p+n < len(s) && s[p+n] == '.'
}

// recoveryKeyStart accepts six digits and a dash or space that start a number.
func recoveryKeyStart(s string, p int) bool {
	if p > 0 && isWord(s[p-1]) || len(s)-p < 7 {
		return false
	}
	for i := range 6 {
		if !isDigit(s[p+i]) {
			return false
		}
	}
	return s[p+6] == '-' || s[p+6] == ' '
}

// firstGroup returns the first submatch that matched.
func firstGroup(s string, m []int) (int, int, bool) {
	for g := 2; g < len(m); g += 2 {
		if m[g] >= 0 {
			return m[g], m[g+1], true
		}
	}
	return 0, 0, false
}
