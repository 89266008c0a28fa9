package webhook

// Standard Webhooks signatures (https://www.standardwebhooks.com): the sender signs
// "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 and sends "v1,<base64>" in
// webhook-signature; the secret is written "whsec_<base64 of the key>".

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed call.
const (
	HeaderID          = "webhook-id"
	HeaderTimestamp   = "webhook-timestamp"
	HeaderSignature   = "webhook-signature"
	HeaderIdempotency = "Idempotency-Key"
)

// secretPrefix marks a secret written the Standard Webhooks way: the base64 of the key follows.
const secretPrefix = "whsec_"

// DecodeSecret returns the signing key of a secret: the bytes behind "whsec_<base64>", or the secret's
// own bytes when it has no prefix. An empty secret, or a whsec_ secret that is not base64, is an error.
func DecodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("the signing secret is empty")
	}
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, errors.New("the signing secret starts with whsec_ but what follows is not base64")
	}
	return key, nil
}

// Sign returns the webhook-signature value of a call: "v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under key.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Tolerance is how far a call's timestamp may be from the receiver's clock, as the standard
// recommends, so a recorded call cannot be replayed later.
const Tolerance = 5 * time.Minute

// Verify checks a received call's signature headers against body, as a receiver does (the fake target
// in tests, a relay such as the Entra example in the docs): the timestamp within Tolerance of now, and
// one of the space-separated signatures a v1 signature of the body under key.
func Verify(key []byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not a number", ts)
	}
	if d := float64(now.Unix() - t); math.Abs(d) > Tolerance.Seconds() {
		return fmt.Errorf("webhook-timestamp is %.0fs from now, more than %s", d, Tolerance)
	}
	want := Sign(key, id, t, body)
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no signature matches")
}
