package zalooa

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// SignatureHeader carries a webhook's signature: hex SHA-256 of app_id + raw body + timestamp +
// OA secret key, usually written "mac=<hex>".
const SignatureHeader = "X-ZEvent-Signature"

// maxFutureSkew is how far ahead of our clock a webhook timestamp may be.
const maxFutureSkew = 10 * time.Minute

// Signature returns the hex signature Zalo computes for a webhook: SHA-256 (plain, not HMAC) of
// appID + body + timestamp + oaSecretKey, where body is the raw request bytes and timestamp is the
// body's top-level "timestamp" exactly as sent. Zalo sends it as "mac=" + Signature(...).
func Signature(appID string, body []byte, timestamp, oaSecretKey string) string {
	sum := signatureSum(appID, body, timestamp, []byte(oaSecretKey))
	return hex.EncodeToString(sum[:])
}

func signatureSum(appID string, body []byte, timestamp string, key []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write(key)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// VerifyWebhook checks X-ZEvent-Signature before anything else is done with the delivery. The
// header may be "mac=<hex>" or bare hex (both forms are seen; the prefix is case-insensitive); it is
// compared in constant time with the signature under Config.OASecretKey and each ExtraOASecretKeys,
// using Config.AppID (not the body's app_id) and the body's top-level timestamp as received. A
// timestamp older than Config.WebhookMaxAge, or more than 10 minutes ahead, is refused too: the
// check reads only that field. Every refusal wraps omnichannel.ErrBadSignature, including a body
// whose timestamp cannot be read (nothing unverified is parsed further). No error contains a
// secret or a signature.
func (c *Channel) VerifyWebhook(h http.Header, body []byte) error {
	raw := strings.TrimSpace(h.Get(SignatureHeader))
	if raw == "" {
		return fmt.Errorf("zalooa: %w: missing %s header", omnichannel.ErrBadSignature, SignatureHeader)
	}
	if len(raw) >= 4 && strings.EqualFold(raw[:4], "mac=") {
		raw = strings.TrimSpace(raw[4:])
	}
	got, err := hex.DecodeString(strings.ToLower(raw))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("zalooa: %w: %s is not a hex SHA-256", omnichannel.ErrBadSignature, SignatureHeader)
	}
	ts, ok := webhookTimestamp(body)
	if !ok {
		return fmt.Errorf("zalooa: %w: the body has no readable timestamp to verify", omnichannel.ErrBadSignature)
	}
	match := 0
	for _, k := range c.keys {
		want := signatureSum(c.cfg.AppID, body, ts, k)
		match |= subtle.ConstantTimeCompare(got, want[:])
	}
	if match != 1 {
		// Which secret Zalo signs with is UNCERTAIN: say which keys were tried.
		return fmt.Errorf("zalooa: %w: signature does not match the body (tried Config.OASecretKey and %d of "+
			"Config.ExtraOASecretKeys; add the app secret there if this OA signs with it)", omnichannel.ErrBadSignature, len(c.keys)-1)
	}
	if c.cfg.WebhookMaxAge > 0 {
		at, ok := parseTimestamp(ts)
		now := c.now()
		switch {
		case !ok:
			return fmt.Errorf("zalooa: %w: timestamp is not a number", omnichannel.ErrBadSignature)
		case at.Before(now.Add(-c.cfg.WebhookMaxAge)):
			return fmt.Errorf("zalooa: %w: delivery is older than %s (stale or replayed)", omnichannel.ErrBadSignature, c.cfg.WebhookMaxAge)
		case at.After(now.Add(maxFutureSkew)):
			return fmt.Errorf("zalooa: %w: timestamp is in the future", omnichannel.ErrBadSignature)
		}
	}
	return nil
}

// webhookTimestamp returns the top-level "timestamp" of body as it appears in it: the content of
// a JSON string, or the literal of a JSON number (both forms are seen).
func webhookTimestamp(body []byte) (string, bool) {
	var probe struct {
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return "", false
	}
	raw := bytes.TrimSpace(probe.Timestamp)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return "", false
		}
		return s, true
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true
	}
	return "", false
}

// parseTimestamp reads epoch milliseconds (Zalo's unit); values below 10^12 are taken as seconds,
// which some senders use.
func parseTimestamp(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n < 1e12 {
		return time.Unix(n, 0).UTC(), true
	}
	return time.UnixMilli(n).UTC(), true
}
