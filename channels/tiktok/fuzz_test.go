package tiktok_test

import (
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// fuzzSecret is the app secret of the fuzzed adapter; no error may ever contain it.
const fuzzSecret = "fuzz-app-secret-51e2"

// fuzzNow is the fuzzed adapter's clock.
var fuzzNow = time.Unix(1700000000, 0)

// fuzzAdapter is an adapter for verification and parsing only (no provider is ever called), with
// the default 300 s signature window.
func fuzzAdapter(f *testing.F) *tiktok.Channel {
	f.Helper()
	ch, err := tiktok.New(tiktok.Config{ClientKey: "tt-app-7001", ClientSecret: fuzzSecret, Now: func() time.Time { return fuzzNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	return ch
}

// addDeliverySeeds adds the fixtures' deliveries (as TikTok writes them), the emulator's own and
// the malformed set.
func addDeliverySeeds(add func(body []byte)) {
	for _, fx := range fixtures("tiktok:media?conversation_id=c&media_id=m&media_type=IMAGE&message_id=m-1") {
		add(fx.Body)
	}
	for _, b := range malformed {
		add(b)
	}
	srv := tiktoktest.New(tiktoktest.Options{})
	defer srv.Close()
	add(srv.WebhookBody(tiktok.EventReceive, map[string]any{"conversation_id": conv, "message_id": "tt-msg-1", "type": "text",
		"text": map[string]any{"body": "Shop ơi"}, "timestamp": 1700000000123}))
}

// FuzzVerifyWebhook: a body signed with the app secret inside the window (73 h back, 300 s ahead)
// verifies, outside it
// does not (stale or replayed); changing any one byte of the body or of the signature, or the
// signed time, makes it fail; every refusal wraps ErrBadSignature without naming the secret or the
// signature.
func FuzzVerifyWebhook(f *testing.F) {
	ch := fuzzAdapter(f)
	addDeliverySeeds(func(b []byte) { f.Add(b, int32(0), uint16(3), byte(1)) })
	f.Add([]byte(`{}`), int32(-300), uint16(0), byte(0x80))
	f.Add([]byte(`{}`), int32(301), uint16(0), byte(0x80))
	f.Add([]byte(`{}`), int32(-86400), uint16(0), byte(0x80))
	f.Add([]byte(`{}`), int32(-262801), uint16(0), byte(0x80))
	f.Fuzz(func(t *testing.T, body []byte, offset int32, at uint16, delta byte) {
		signedAt := fuzzNow.Add(time.Duration(offset) * time.Second)
		sig := tiktok.Signature(fuzzSecret, signedAt, body)
		_, mac, _ := strings.Cut(sig, ",s=")
		h := signatureHeader(sig)
		err := ch.VerifyWebhook(h, body)
		checkSignatureError(t, err, mac)
		// Up to DefaultSignatureMaxAge (73 h) old, up to 300 s ahead.
		inWindow := offset >= -int32(tiktok.DefaultSignatureMaxAge/time.Second) && offset <= 300
		switch {
		case inWindow && err != nil:
			t.Fatalf("signed %d s from now, refused: %v", offset, err)
		case !inWindow && err == nil:
			t.Fatalf("signed %d s from now (outside the window), accepted", offset)
		case !inWindow:
			return
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
			checkSignatureError(t, err, mac)
		}
		raw, _ := hex.DecodeString(mac)
		raw[int(at)%len(raw)] ^= delta
		ts := strconv.FormatInt(signedAt.Unix(), 10)
		forged := []string{"t=" + ts + ",s=" + hex.EncodeToString(raw), "t=" + strconv.FormatInt(signedAt.Unix()+1, 10) + ",s=" + mac}
		for _, v := range forged {
			err := ch.VerifyWebhook(signatureHeader(v), body)
			if err == nil {
				t.Fatalf("forged header %q verified", v)
			}
			checkSignatureError(t, err, mac)
		}
	})
}

// FuzzVerifyWebhookHeader: any header value is refused unless one of its s parts is the HMAC of
// its t part (inside the window); the parser never panics.
func FuzzVerifyWebhookHeader(f *testing.F) {
	ch := fuzzAdapter(f)
	body := []byte(`{"event":"im_receive_msg","user_openid":"biz"}`)
	good := tiktok.Signature(fuzzSecret, fuzzNow, body)
	ts, s, _ := strings.Cut(good, ",")
	for _, v := range []string{good, s + "," + ts, " " + ts + " , " + s + " ", ts + ",s=00," + s, ts, s, "", ",,,", "t=,s=",
		"t=-1," + s, "t=99999999999999999999," + s, "t=1700000000,s=" + strings.Repeat("g", 64), ts + "," + strings.ToUpper(s)} {
		f.Add(v)
	}
	if err := ch.VerifyWebhook(signatureHeader(good), body); err != nil {
		f.Fatalf("the correct signature is refused: %v", err)
	}
	f.Fuzz(func(t *testing.T, header string) {
		err := ch.VerifyWebhook(signatureHeader(header), body)
		if err != nil {
			checkSignatureError(t, err, strings.TrimPrefix(s, "s="))
			return
		}
		// Accepted: some t part, signed with the secret, gives an s part of the header.
		lower := strings.ToLower(header)
		for _, part := range strings.Split(header, ",") {
			name, value, _ := strings.Cut(part, "=")
			if strings.TrimSpace(name) != "t" {
				continue
			}
			secs, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil {
				continue
			}
			_, want, _ := strings.Cut(tiktoktest.SignWith(fuzzSecret, body, time.Unix(secs, 0)), ",s=")
			if strings.Contains(lower, want) {
				return
			}
		}
		t.Fatalf("header %q accepted", header)
	})
}

// signatureHeader is a header set as it arrives over HTTP (canonical key).
func signatureHeader(v string) http.Header {
	h := http.Header{}
	h.Set(tiktok.SignatureHeader, v)
	return h
}

func checkSignatureError(t *testing.T, err error, mac string) {
	t.Helper()
	if err == nil {
		return
	}
	if !errors.Is(err, oc.ErrBadSignature) {
		t.Fatalf("refusal does not wrap ErrBadSignature: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, fuzzSecret) || strings.Contains(msg, mac) {
		t.Fatalf("the error names the secret or the signature: %v", err)
	}
}

// FuzzParseWebhook: parsing never panics; it either fails with ErrMalformed or returns at most one
// well-formed event.
func FuzzParseWebhook(f *testing.F) {
	ch := fuzzAdapter(f)
	addDeliverySeeds(func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ch.ParseWebhook(nil, body)
		channeltest.CheckParseResult(t, evs, err)
		for _, ev := range evs {
			checkInboundEvent(t, ev)
		}
	})
}

// checkInboundEvent fails t unless ev is an event the engine can ingest (or fetch, NeedsFetch): the
// invariants of every adapter (channeltest.CheckParseResult has checked those) and TikTok's own.
func checkInboundEvent(t *testing.T, ev oc.InboundEvent) {
	t.Helper()
	switch ev.Type {
	case oc.InboundMessage:
		if !ev.NeedsFetch && ev.MessageType == oc.MessageOther && ev.Text == "" {
			t.Fatalf("a message of another type without a readable text: %+v", ev)
		}
	case oc.InboundStatus:
		if ev.Status != oc.MessageSeen {
			t.Fatalf("status %q", ev.Status)
		}
	case oc.InboundReferral:
		if ev.Referral == "" {
			t.Fatalf("referral without text: %+v", ev)
		}
	default:
		t.Fatalf("event type %q", ev.Type)
	}
	for _, a := range ev.Attachments {
		if a.RemoteURL == "" || a.ProviderRef == "" {
			t.Fatalf("attachment without locator or media id: %+v", a)
		}
	}
}
