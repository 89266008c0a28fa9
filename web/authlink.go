package web

// Sign-in links. A link carries its own proof: the user, when it expires and a random nonce, signed with
// HMAC-SHA256 under a key kept in the data file. Making one is a computation, no I/O, so the engine can
// make it inside the transaction of the "!web" that asked for it, and the DM with the link is written in
// that same transaction. Using one records its nonce as spent (SessionStore.AddWebRecord), so a link
// signs in once; the mark is kept until the link would have expired anyway.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// linkVersion is the first byte of a link's token, so its layout can change.
const linkVersion = 1

// maxLinkUser bounds the user id a link carries.
const maxLinkUser = 200

// keyLink is the record of the key that signs links.
const keyLink = "signin-link"

// linkSigner makes and checks sign-in links.
type linkSigner struct {
	key   []byte
	clock bot.Clock
}

// loadLinkSigner reads the signing key from the store, or makes it the first time. Two desks starting
// on one file at once cannot happen (bbolt's lock), but the add is ECONFLICT-safe anyway.
func loadLinkSigner(ctx context.Context, st SessionStore, clock bot.Clock) (*linkSigner, error) {
	for range 2 {
		key, err := st.WebRecord(ctx, kindKey, keyLink)
		if err == nil && len(key) == 32 {
			return &linkSigner{key: key, clock: clock}, nil
		}
		if err != nil && !bot.IsNotFound(err) {
			return nil, fmt.Errorf("read the sign-in link key: %w", err)
		}
		key = make([]byte, 32)
		rand.Read(key)
		err = st.AddWebRecord(ctx, kindKey, keyLink, "", time.Time{}, key, bot.AuditEntry{})
		if err == nil {
			return &linkSigner{key: key, clock: clock}, nil
		}
		if bot.ErrorCode(err) != bot.ECONFLICT {
			return nil, fmt.Errorf("store the sign-in link key: %w", err)
		}
	}
	return nil, bot.Errorf(bot.EINTERNAL, "the sign-in link key in the data file is damaged")
}

// link is what a valid token says.
type link struct {
	User    string
	Expires time.Time
	Nonce   string // hex: the key of its spent mark
}

// mint returns a token for user, valid until expires.
func (l *linkSigner) mint(user string, expires time.Time) (string, error) {
	if user == "" || len(user) > maxLinkUser || !strings.Contains(user, ":") {
		return "", bot.Errorf(bot.EINVALID, "%q is not a user like slack:U0123", user)
	}
	b := make([]byte, 0, 1+8+16+len(user)+sha256.Size)
	b = append(b, linkVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	nonce := make([]byte, 16)
	rand.Read(nonce)
	b = append(b, nonce...)
	b = append(b, user...)
	b = append(b, l.sum(b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (l *linkSigner) sum(payload []byte) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("firstline sign-in link\x00"))
	m.Write(payload)
	return m.Sum(nil)
}

// errBadLink is what a person sees of a link that is not one of ours, cut short or changed.
var errBadLink = bot.Errorf(bot.EINVALID, "This sign-in link is not valid: copy the whole link, or ask for a new one.")

// check returns what token says, or an EINVALID error (not ours, changed) or ECONFLICT (expired) whose
// message is for the person. It does not say whether the link was spent: that is the store's.
func (l *linkSigner) check(token string, now time.Time) (link, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 1+8+16+1+sha256.Size || b[0] != linkVersion {
		return link{}, errBadLink
	}
	payload, mac := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if !hmac.Equal(mac, l.sum(payload)) {
		return link{}, errBadLink
	}
	lk := link{
		Expires: time.Unix(int64(binary.BigEndian.Uint64(payload[1:9])), 0),
		Nonce:   hex.EncodeToString(payload[9:25]),
		User:    string(payload[25:]),
	}
	if !now.Before(lk.Expires) {
		return link{}, bot.Errorf(bot.ECONFLICT, "This sign-in link has expired: ask the desk for a new one in chat.")
	}
	return lk, nil
}

// SignInLink returns a link that signs user ("platform:id") in once, within the configured time from
// now, and when it expires. It does no I/O: the engine calls it for "!web" inside the event's
// transaction, and audits it there. Other callers use IssueSignInLink, which audits.
func (s *Server) SignInLink(user string, now time.Time) (string, time.Time, error) {
	expires := now.Add(s.cfg.LinkTTL)
	token, err := s.links.mint(user, expires)
	if err != nil {
		return "", time.Time{}, err
	}
	return s.BaseURL() + "/signin/link/" + token, expires, nil
}

// IssueSignInLink makes a sign-in link for user and writes "web.link" in the audit log, by actor (""
// for the desk itself, as when the CLI asks). The CLI and the console demo's welcome call it.
func (s *Server) IssueSignInLink(ctx context.Context, actor, user, via string) (string, error) {
	now := s.now()
	u, _, err := s.SignInLink(user, now)
	if err != nil {
		return "", err
	}
	err = s.cfg.Store.Update(ctx, func(tx bot.Tx) error {
		return tx.Audit(bot.AuditEntry{At: now, Actor: actor, Action: "web.link", Target: user, Detail: via})
	})
	if err != nil {
		return "", fmt.Errorf("audit the sign-in link for %s: %w", user, err)
	}
	s.log.Info("sign-in link made", "user", user, "via", via)
	return u, nil
}
