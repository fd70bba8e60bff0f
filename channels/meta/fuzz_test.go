package meta_test

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// fuzzSecret is the app secret of the fuzzed adapters; no error may ever contain it.
const fuzzSecret = "fuzz-meta-app-secret-8d3f"

func fuzzAdapters(f *testing.F) []*meta.Channel {
	f.Helper()
	var out []*meta.Channel
	for _, k := range []oc.Kind{meta.KindMessenger, meta.KindInstagram} {
		ch, err := meta.New(k, meta.Config{AppID: "990011223344556", AppSecret: fuzzSecret, VerifyToken: "fuzz-verify-token"})
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, ch)
	}
	return out
}

// addSeeds adds the documented samples, the malformed set and the emulator's own deliveries.
func addSeeds(add func([]byte)) {
	for _, fx := range append(messengerFixtures(), instagramFixtures()...) {
		add(fx.Body)
	}
	for _, b := range malformed {
		add(b)
	}
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	add(srv.DashboardTest("page"))
	add(srv.Body("instagram", metatest.Entry{ID: igID, Messaging: []map[string]any{{"sender": map[string]any{"id": igsid},
		"recipient": map[string]any{"id": igID}, "timestamp": 1785312004523, "message": map[string]any{"mid": "aWdf", "text": "Xin chào 😀 a/b"}}}}))
}

// FuzzVerifyWebhook: a body signed with the app secret verifies with either adapter; changing
// any byte of the body or of the signature makes it fail; refusals wrap ErrBadSignature and name
// neither the secret nor the signature.
func FuzzVerifyWebhook(f *testing.F) {
	chans := fuzzAdapters(f)
	addSeeds(func(b []byte) { f.Add(b, uint16(3), byte(1)) })
	f.Fuzz(func(t *testing.T, body []byte, at uint16, delta byte) {
		sig := metatest.SignWith(fuzzSecret, body)
		mac := strings.TrimPrefix(sig, "sha256=")
		for _, ch := range chans {
			if err := ch.VerifyWebhook(header(sig), body); err != nil {
				t.Fatalf("a correctly signed body is refused: %v", err)
			}
			if delta == 0 {
				delta = 1
			}
			if len(body) > 0 {
				changed := append([]byte(nil), body...)
				changed[int(at)%len(changed)] ^= delta
				checkRefused(t, ch.VerifyWebhook(header(sig), changed), mac)
			}
			raw, _ := hex.DecodeString(mac)
			raw[int(at)%len(raw)] ^= delta
			checkRefused(t, ch.VerifyWebhook(header("sha256="+hex.EncodeToString(raw)), body), mac)
			checkRefused(t, ch.VerifyWebhook(header("sha1="+mac[:40]), body), mac)
		}
	})
}

// FuzzParseWebhook: parsing never panics; it fails with ErrMalformed and no events, or returns
// events the engine can ingest.
func FuzzParseWebhook(f *testing.F) {
	chans := fuzzAdapters(f)
	addSeeds(func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ch := range chans {
			evs, err := ch.ParseWebhook(nil, body)
			if err != nil {
				if !errors.Is(err, oc.ErrMalformed) || evs != nil {
					t.Fatalf("refusal %v with %d events", err, len(evs))
				}
				if strings.Contains(err.Error(), fuzzSecret) {
					t.Fatal("the error names the secret")
				}
				continue
			}
			for _, ev := range evs {
				channeltest.CheckEvent(t, ev)
				if ev.Type == oc.InboundMessage && ev.MessageType == oc.MessageOther && ev.Text == "" {
					t.Fatalf("an unknown message without a readable text: %+v", ev)
				}
				if ev.Type == oc.InboundReferral && ev.Referral == "" {
					t.Fatalf("referral without text: %+v", ev)
				}
			}
		}
	})
}

func header(v string) http.Header {
	h := http.Header{}
	h.Set(meta.SignatureHeader, v)
	return h
}

func checkRefused(t *testing.T, err error, mac string) {
	t.Helper()
	if err == nil {
		t.Fatal("a forged delivery verified")
	}
	if !errors.Is(err, oc.ErrBadSignature) {
		t.Fatalf("refusal does not wrap ErrBadSignature: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, fuzzSecret) || strings.Contains(msg, mac) {
		t.Fatalf("the error names the secret or the signature: %v", err)
	}
}
