// Package redact removes secrets from text before it leaves for a language model, is written to the logs
// or is stored in a ticket's transcript. It knows the shapes of the secrets people paste into a service
// desk chat: passwords, passcodes and PINs given in words or in configuration, credentials in URLs,
// connection strings and command lines, API tokens and keys (Slack, OpenAI, Anthropic, GitHub, GitLab,
// AWS, Google, Stripe, SendGrid, Atlassian, npm, Hugging Face, Discord, webhook URLs), JWTs, bearer and
// Authorization credentials, private key blocks, payment card numbers and security codes, BitLocker
// recovery keys and one-time codes.
//
// Each secret is replaced by a marker that says what was removed ("[redacted password]") and the text
// around it is kept, so "password: hunter2" reads "password: [redacted password]". Redacting twice
// changes nothing. Redaction is a filter tuned on testdata/secrets.txt (every secret there must go) and
// testdata/lookalikes.txt (messages about passwords, tokens and numbers that must stay), not a
// guarantee: a password nobody labels ("I typed Hunter2024") cannot be told from any other word.
//
// One-time codes are redacted only when the words around them say what they are ("verification code
// 123456", "OTP: 123456", "MFA code is 123 456", "the code from the SMS was 123456"). A bare "code is
// 500121" is kept: error codes look the same (Entra's 500121, an installer's 1603) and are what a
// technician needs, while a one-time code is worthless minutes after it was sent.
//
// String is called on every chat message, so the common case is cheap: one pass over the bytes looks
// for hints (a label, a long random-looking run, a long number), and a message without any is returned
// as it is, without allocating. Patterns run only from where their label or prefix occurs.
//
// The package imports nothing from the project, so bot, storage and cmd can all use it.
package redact

import (
	"slices"
	"strings"
)

// Kind says what a redacted secret was. Its value is the word used in the marker.
type Kind string

// The kinds of secret that are redacted.
const (
	Password    Kind = "password"           // passwords, passcodes and PINs given in words, URLs, connection strings and commands
	Token       Kind = "token"              // API tokens and keys, bearer credentials, JWTs, webhook URLs' secret parts
	CardNumber  Kind = "card number"        // payment card numbers that pass the Luhn check
	CardCode    Kind = "card security code" // CVV and CVC codes, when named as such
	PrivateKey  Kind = "private key"        // PEM and OpenSSH private key blocks
	RecoveryKey Kind = "recovery key"       // BitLocker recovery keys (eight groups of six digits)
	OneTimeCode Kind = "one-time code"      // verification codes named as such
)

// marker is what replaces a secret of kind k. No detector matches a marker, so redacting twice changes
// nothing.
func (k Kind) marker() string { return "[redacted " + string(k) + "]" }

// Finding is one secret found in a text: s[Start:End] is the secret itself, without the label or the
// quotes around it.
type Finding struct {
	Kind       Kind
	Start, End int
}

// String returns s with every secret found by Find replaced by a marker naming its kind, such as
// "[redacted password]". When nothing is found it returns s itself, and when s has no hint of a secret at
// all, as most chat messages have not, it does not allocate.
func String(s string) string {
	fs := Find(s)
	if len(fs) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16*len(fs))
	at := 0
	for _, f := range fs {
		b.WriteString(s[at:f.Start])
		b.WriteString(f.Kind.marker())
		at = f.End
	}
	b.WriteString(s[at:])
	return b.String()
}

// Find returns the secrets in s in order, without overlaps: where two detectors claim overlapping text,
// the two are merged into one finding of the kind of the one that starts first (or is longer, or more
// specific: a token given as a password is a token).
func Find(s string) []Finding {
	t := scan(s)
	if t == 0 {
		return nil
	}
	var active uint32
	for i := range detectors {
		if detectors[i].needs&t != 0 {
			active |= 1 << i
		}
	}
	var fs []Finding
	if active != 0 {
		fs = findAll(s, active, fs)
	}
	if t&tDigits != 0 {
		fs = findCards(s, fs)
	}
	return merge(fs)
}

// rank orders kinds from the most specific: a token in a URL's password place is a token.
func rank(k Kind) int {
	switch k {
	case PrivateKey:
		return 0
	case Token:
		return 1
	case CardNumber, RecoveryKey:
		return 2
	}
	return 3
}

// merge sorts fs and joins overlapping findings.
func merge(fs []Finding) []Finding {
	if len(fs) < 2 {
		return fs
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return b.End - a.End
		}
		return rank(a.Kind) - rank(b.Kind)
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Start < last.End {
			last.End = max(last.End, f.End)
			continue
		}
		out = append(out, f)
	}
	return out
}
