package zalooa_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/zalooa"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// fuzzOASecret is the webhook key of the fuzzed adapter; no error may ever contain it.
const fuzzOASecret = "fuzz-oa-secret-key-7f3a"

// fuzzChannel is an adapter for verification and parsing only (no provider is ever called). The
// age check is off: the fuzzer's bodies carry arbitrary timestamps.
func fuzzChannel(f *testing.F) *zalooa.Channel {
	f.Helper()
	ch, err := zalooa.New(zalooa.Config{AppID: fxApp, AppSecret: "fuzz-app-secret", OASecretKey: fuzzOASecret,
		WebhookMaxAge: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	return ch
}

// addDeliverySeeds adds every real-shaped delivery of the fixtures and the malformed set.
func addDeliverySeeds(f *testing.F, add func(body []byte)) {
	now := time.Now()
	for _, fx := range fixtures(now) {
		add(fx.Body)
	}
	for _, b := range malformed(now) {
		add(b)
	}
	add([]byte(`{"timestamp":1700000000000}`))
	add([]byte(`{"timestamp":"","event_name":"follow"}`))
	add([]byte(`{"timestamp":null}`))
	// Hostile attachment payloads: a negative size, a path and control characters in the name.
	add(delivery(`{"app_id":"{APP}","sender":{"id":"{USER}"},"recipient":{"id":"{OA}"},"event_name":"user_send_file","message":{"msg_id":"m-neg","attachments":[{"type":"file","payload":{"url":"https://f.zdn.vn/x","name":"..\\..\\etc/passwd\u0000.pdf","size":-5,"type":"pdf"}}]},"timestamp":"{TS}"}`, now.UnixMilli()))
}

// bodyTimestamp is the documented input of the signature: the body's top-level "timestamp" as
// received — the content of a JSON string or the literal of a JSON number — or false when there is
// none (then nothing verifies).
func bodyTimestamp(body []byte) (string, bool) {
	var probe struct {
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return "", false
	}
	raw := strings.TrimSpace(string(probe.Timestamp))
	if raw == "" || raw == "null" {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal([]byte(raw), &s) != nil || s == "" {
			return "", false
		}
		return s, true
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		return raw, true
	}
	return "", false
}

// FuzzVerifyWebhook: a body signed as Zalo signs it verifies (with or without "mac="); changing
// any one byte of the body or of the signature makes it fail with ErrBadSignature; a body without
// a readable timestamp never verifies; no error names the key or the signature.
func FuzzVerifyWebhook(f *testing.F) {
	ch := fuzzChannel(f)
	addDeliverySeeds(f, func(b []byte) { f.Add(b, uint16(7), byte(1), true) })
	f.Fuzz(func(t *testing.T, body []byte, at uint16, delta byte, prefix bool) {
		ts, readable := bodyTimestamp(body)
		sig := zalooa.Signature(fxApp, body, ts, fuzzOASecret)
		header := sig
		if prefix {
			header = "mac=" + sig
		}
		h := http.Header{}
		h.Set(zalooa.SignatureHeader, header)
		err := ch.VerifyWebhook(h, body)
		checkSignatureError(t, err, sig)
		if !readable {
			if err == nil {
				t.Fatalf("a body without a readable timestamp verified: %q", body)
			}
			return
		}
		if err != nil {
			t.Fatalf("a correctly signed body was refused: %v (body %q)", err, body)
		}
		if delta == 0 {
			delta = 1
		}
		if len(body) > 0 {
			changed := append([]byte(nil), body...)
			changed[int(at)%len(changed)] ^= delta
			err := ch.VerifyWebhook(h, changed)
			if err == nil {
				t.Fatalf("a body changed in byte %d still verified", int(at)%len(changed))
			}
			checkSignatureError(t, err, sig)
		}
		raw, _ := hex.DecodeString(sig)
		raw[int(at)%len(raw)] ^= delta
		h.Set(zalooa.SignatureHeader, "mac="+hex.EncodeToString(raw))
		err = ch.VerifyWebhook(h, body)
		if err == nil {
			t.Fatalf("a signature changed in byte %d still verified", int(at)%len(raw))
		}
		checkSignatureError(t, err, sig)
	})
}

// FuzzVerifyWebhookHeader: any header value with any body is refused unless it is the signature;
// the check never panics and never echoes the header.
func FuzzVerifyWebhookHeader(f *testing.F) {
	ch := fuzzChannel(f)
	body := []byte(`{"app_id":"` + fxApp + `","event_name":"user_send_text","timestamp":"1700000000000"}`)
	good := zalooa.Signature(fxApp, body, "1700000000000", fuzzOASecret)
	for _, s := range []string{"mac=" + good, good, "MAC=" + strings.ToUpper(good), "", "mac=", "mac=zz", "mac=" + good[:63],
		"mac=" + good + "00", " mac = " + good, "sha256=" + good} {
		f.Add(s)
	}
	if err := ch.VerifyWebhook(sigHeader("mac="+good), body); err != nil {
		f.Fatalf("the correct signature is refused: %v", err)
	}
	f.Fuzz(func(t *testing.T, header string) {
		h := http.Header{}
		h.Set(zalooa.SignatureHeader, header)
		err := ch.VerifyWebhook(h, body)
		if err != nil {
			checkSignatureError(t, err, good)
			if len(header) >= 8 && strings.Contains(err.Error(), header) {
				t.Fatalf("the error echoes the header: %v", err)
			}
			return
		}
		// Accepted: the header must carry exactly the right SHA-256 (case and "mac=" aside).
		v := strings.TrimSpace(header)
		if len(v) >= 4 && strings.EqualFold(v[:4], "mac=") {
			v = strings.TrimSpace(v[4:])
		}
		if !strings.EqualFold(v, good) {
			t.Fatalf("header %q accepted", header)
		}
	})
}

func checkSignatureError(t *testing.T, err error, sig string) {
	t.Helper()
	if err == nil {
		return
	}
	if !errors.Is(err, oc.ErrBadSignature) {
		t.Fatalf("refusal does not wrap ErrBadSignature: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, fuzzOASecret) || strings.Contains(msg, sig) {
		t.Fatalf("the error names the key or the signature: %v", err)
	}
}

// FuzzParseWebhook: parsing never panics; it either fails with ErrMalformed or returns at most one
// well-formed event (known type, both ids, message ids, sane attachments, valid UTF-8 throughout).
func FuzzParseWebhook(f *testing.F) {
	ch := fuzzChannel(f)
	addDeliverySeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ch.ParseWebhook(nil, body)
		channeltest.CheckParseResult(t, evs, err)
		for _, ev := range evs {
			checkInboundEvent(t, ev)
		}
	})
}

// checkInboundEvent fails t unless ev is an event the engine can ingest as is: the invariants of
// every adapter (channeltest.CheckParseResult has checked those) and Zalo's own.
func checkInboundEvent(t *testing.T, ev oc.InboundEvent) {
	t.Helper()
	if ev.NeedsFetch {
		t.Fatalf("Zalo events carry their content: %+v", ev)
	}
	switch ev.Type {
	case oc.InboundMessage:
		if ev.Text == "" && len(ev.Attachments) == 0 && ev.MessageType != oc.MessageText {
			t.Fatalf("empty %s message: %+v", ev.MessageType, ev)
		}
	case oc.InboundStatus:
		if len(ev.ProviderMessageIDs) == 0 {
			t.Fatalf("status without message ids: %+v", ev)
		}
		for _, id := range ev.ProviderMessageIDs {
			if id == "" {
				t.Fatalf("empty message id in %+v", ev)
			}
		}
	case oc.InboundFollow, oc.InboundUnfollow, oc.InboundProfile, oc.InboundInfoShared:
		if ev.Profile == nil || ev.Profile.ExternalUserID != ev.ExternalUserID {
			t.Fatalf("%s without the user's profile: %+v", ev.Type, ev)
		}
	default:
		t.Fatalf("event type %q", ev.Type)
	}
	for _, a := range ev.Attachments {
		if a.RemoteURL == "" {
			t.Fatalf("attachment without URL: %+v", a)
		}
	}
}
