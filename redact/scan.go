package redact

// trigger is a set of cheap hints found by scan. Each detector says which hints it needs, so a chat
// message that mentions a password runs the password patterns and nothing else, and one that mentions
// none of the hints runs no pattern at all.
type trigger uint16

const (
	tPassword trigger = 1 << iota // "pass", "pw", "pin", and other languages' words
	tCode                         // "code", "otp", "2fa", "mfa", "cvv", "cvc"
	tLabel                        // "token", "secret", "key", "auth", "bearer"
	tCommand                      // "mysql", "mariadb", "securestring", "curl"
	tURL                          // "://"
	tPEM                          // "-----"
	tShape                        // a run of 16 or more token characters that has a digit in it, "akia", "asia"
	tDigits                       // 13 or more digits in a run of digits with single spaces or dashes
)

// hints are the words that make scan report a trigger, matched without regard to ASCII case. Every
// detector's labels and prefixes contain one of the words of the triggers it needs.
var hints = []struct {
	word string
	t    trigger
}{
	{"pass", tPassword}, {"pw", tPassword}, {"pin", tPassword}, {"kennwort", tPassword}, {"contrase", tPassword},
	{"wachtwoord", tPassword}, {"senha", tPassword},
	{"code", tCode}, {"otp", tCode}, {"2fa", tCode}, {"mfa", tCode}, {"cvv", tCode}, {"cvc", tCode},
	{"token", tLabel}, {"secret", tLabel}, {"key", tLabel}, {"auth", tLabel}, {"bearer", tLabel},
	{"mysql", tCommand}, {"mariadb", tCommand}, {"securestring", tCommand}, {"curl", tCommand},
	{"akia", tShape}, {"asia", tShape}, // AWS key ids, which may have no digit
	{"://", tURL}, {"-----", tPEM},
}

var (
	lowerByte   [256]byte
	hintsByte   [256][]int   // hints by their first byte
	hintBigrams [1024]uint64 // bit set for each hint's first two bytes, lower case
)

func init() {
	for c := range 256 {
		lowerByte[c] = lower(byte(c))
	}
	for i, h := range hints {
		hintsByte[h.word[0]] = append(hintsByte[h.word[0]], i)
		k := uint(h.word[0])<<8 | uint(h.word[1])
		hintBigrams[k>>6] |= 1 << (k & 63)
	}
}

// scan looks at each byte of s once and returns the hints it contains. It is the fast path: most chat
// messages have no hint, and String returns them without running a regular expression.
func scan(s string) trigger {
	var t trigger
	run, runDigit := 0, false
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
			if digits >= 13 {
				t |= tDigits
			}
		case (c == ' ' || c == '-') && i > 0 && isDigit(s[i-1]) && i+1 < len(s) && isDigit(s[i+1]):
			// a separator inside a number: the run goes on
		default:
			digits = 0
		}
		if isTokenByte(c) {
			run++
			if isDigit(c) {
				runDigit = true
			}
			if run >= 16 && runDigit {
				t |= tShape
			}
		} else {
			run, runDigit = 0, false
		}
		if i+1 < len(s) {
			l := lowerByte[c]
			k := uint(l)<<8 | uint(lowerByte[s[i+1]])
			if hintBigrams[k>>6]&(1<<(k&63)) != 0 {
				for _, h := range hintsByte[l] {
					if hasFold(s, i, hints[h].word) {
						t |= hints[h].t
					}
				}
			}
		}
	}
	return t
}

// hasFold reports whether s[i:] starts with word, ignoring ASCII case. word is lower case.
func hasFold(s string, i int, word string) bool {
	if len(s)-i < len(word) {
		return false
	}
	for j := 0; j < len(word); j++ {
		if lower(s[i+j]) != word[j] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || isLetter(c) }

func isLetter(c byte) bool { return 'a' <= lower(c) && lower(c) <= 'z' }

// isWord is regexp's \w.
func isWord(c byte) bool { return isDigit(c) || isLetter(c) || c == '_' }

// isTokenByte reports whether c can be part of an API token: base64url's alphabet.
func isTokenByte(c byte) bool { return isWord(c) || c == '-' }
