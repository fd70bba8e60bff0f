package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// SignatureHeader carries TikTok's webhook signature: "t=<unix seconds>,s=<hex>" where s is the
// lower-case hex HMAC-SHA256, keyed with the app secret, of t + "." + the raw body (documented by the provider).
const SignatureHeader = "TikTok-Signature"

// Signature returns the SignatureHeader value TikTok sends for body at time at when the app secret
// is secret. tiktoktest signs its webhooks independently; this helper is for hosts' own tests.
func Signature(secret string, at time.Time, body []byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",s=" + hex.EncodeToString(mac(secret, t, body))
}

func mac(secret, t string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks the TikTok-Signature header over the raw body before anything else is read
// or looked up: the parts are parsed by name (spaces trimmed, order free), t must be at most
// Config.SignatureMaxAge old and at most Config.SignatureTolerance ahead of now, and one of the s
// values must equal the expected
// HMAC, compared in constant time. Every failure wraps omnichannel.ErrBadSignature and names
// neither the secret nor the expected value.
func (c *Channel) VerifyWebhook(h http.Header, body []byte) error {
	values := h.Values(SignatureHeader)
	switch {
	case len(values) == 0 || strings.TrimSpace(values[0]) == "":
		return fmt.Errorf("tiktok: %w: missing %s header", omnichannel.ErrBadSignature, SignatureHeader)
	case len(values) > 1:
		return fmt.Errorf("tiktok: %w: several %s headers", omnichannel.ErrBadSignature, SignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(values[0], ",") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(name) {
		case "t":
			ts = strings.TrimSpace(value)
		case "s":
			if sum, err := hex.DecodeString(strings.TrimSpace(value)); err == nil && len(sum) == sha256.Size {
				sigs = append(sigs, sum)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("tiktok: %w: %s lacks a t or a hex s part", omnichannel.ErrBadSignature, SignatureHeader)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs <= 0 {
		return fmt.Errorf("tiktok: %w: the t part is not a Unix time", omnichannel.ErrBadSignature)
	}
	age := c.now().Sub(time.Unix(secs, 0))
	if age > c.cfg.SignatureMaxAge {
		return fmt.Errorf("tiktok: %w: signed %s ago, older than the %s accepted (Config.SignatureMaxAge)",
			omnichannel.ErrBadSignature, age.Round(time.Second), c.cfg.SignatureMaxAge)
	}
	if age < -c.cfg.SignatureTolerance {
		return fmt.Errorf("tiktok: %w: signed %s ahead of now, beyond the %s tolerance",
			omnichannel.ErrBadSignature, (-age).Round(time.Second), c.cfg.SignatureTolerance)
	}
	want := mac(c.cfg.ClientSecret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("tiktok: %w: the signature does not match the body", omnichannel.ErrBadSignature)
	}
	return nil
}
