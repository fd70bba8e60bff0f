package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// SignatureHeader carries Meta's webhook signature: "sha256=" + hex HMAC-SHA256(app secret, raw
// body) (documented by the provider). The legacy X-Hub-Signature (SHA-1) is not checked.
const SignatureHeader = "X-Hub-Signature-256"

// Signature returns the SignatureHeader value Meta sends for body when the app secret is secret,
// for hosts' own tests (metatest signs with its own code).
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks X-Hub-Signature-256 over the raw bytes, before anything is parsed: exactly
// one header, "sha256=" and 64 hex digits (either case), equal in constant time to the HMAC of the
// body under the app secret. Meta signs the body as sent, with non-ASCII escaped as \uXXXX, so the
// bytes are never re-encoded. Failures wrap omnichannel.ErrBadSignature and name neither the
// secret nor the expected value. Meta signs nothing but the body (no timestamp): replays are
// absorbed by de-duplication on mid.
func (c *Channel) VerifyWebhook(h http.Header, body []byte) error {
	values := h.Values(SignatureHeader)
	switch {
	case len(values) == 0 || strings.TrimSpace(values[0]) == "":
		return fmt.Errorf("meta: %w: missing %s header", omnichannel.ErrBadSignature, SignatureHeader)
	case len(values) > 1:
		return fmt.Errorf("meta: %w: several %s headers", omnichannel.ErrBadSignature, SignatureHeader)
	}
	v := strings.TrimSpace(values[0])
	algo, hexSum, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return fmt.Errorf("meta: %w: %s is not sha256=<hex>", omnichannel.ErrBadSignature, SignatureHeader)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("meta: %w: %s is not 64 hex digits", omnichannel.ErrBadSignature, SignatureHeader)
	}
	m := hmac.New(sha256.New, []byte(c.cfg.AppSecret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("meta: %w: the signature does not match the body", omnichannel.ErrBadSignature)
	}
	return nil
}

// errHandshake is AnswerHandshake's refusal.
var errHandshake = errors.New("meta: webhook verification refused: hub.mode is not subscribe or hub.verify_token is wrong")

// AnswerHandshake answers Meta's GET verification of the callback URL (documented by the provider): hub.mode must be "subscribe" and hub.verify_token equal Config.VerifyToken (compared
// in constant time); the answer is hub.challenge as is. Anything else is refused (403), without
// the token in the error.
func (c *Channel) AnswerHandshake(q url.Values) (string, error) {
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || subtle.ConstantTimeCompare([]byte(token), []byte(c.cfg.VerifyToken)) != 1 {
		return "", errHandshake
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 || strings.ContainsAny(challenge, "<>&\"'\r\n") {
		return "", errHandshake
	}
	return challenge, nil
}
