package zalooa_test

import (
	"errors"
	"github.com/dakenh/dakenh/internal/testlog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestVerifyWebhook(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	rotated := newChannel(t, s, nil, func(c *zalooa.Config) {
		c.OASecretKey, c.ExtraOASecretKeys = "the-new-oa-secret-key", []string{s.OASecretKey()}
	})
	otherApp := newChannel(t, s, nil, func(c *zalooa.Config) { c.AppID = "1111111111111111111" })
	noAge := newChannel(t, s, nil, func(c *zalooa.Config) { c.WebhookMaxAge = -1 })

	body := s.UserSend("text", fxUser, "m1", "xin chào")
	hex := zalooa.Signature(fxApp, body, zalotest.Timestamp(body), s.OASecretKey())
	stale := zalotest.WithTimestamp(body, time.Now().Add(-4*time.Hour))
	future := zalotest.WithTimestamp(body, time.Now().Add(time.Hour))
	numericTS := []byte(strings.Replace(string(body), `"timestamp":"`+zalotest.Timestamp(body)+`"`, `"timestamp":`+zalotest.Timestamp(body), 1))
	noTS := []byte(`{"app_id":"` + fxApp + `","event_name":"user_send_text"}`)

	cases := []struct {
		name string
		ch   *zalooa.Channel
		body []byte
		sig  string
		ok   bool
	}{
		{"mac= prefix", ch, body, "mac=" + hex, true},
		{"MAC= upper-case prefix and hex", ch, body, "MAC=" + strings.ToUpper(hex), true},
		{"bare hex", ch, body, hex, true},
		{"surrounding spaces", ch, body, "  mac= " + hex + " ", true},
		{"numeric timestamp, used as sent", ch, numericTS, zalooa.Signature(fxApp, numericTS, zalotest.Timestamp(numericTS), s.OASecretKey()), true},
		{"extra key during rotation", rotated, body, "mac=" + hex, true},
		{"missing", ch, body, "", false},
		{"tampered body", ch, append(append([]byte(nil), body...), ' '), "mac=" + hex, false},
		{"wrong key", ch, body, s.SignWithKey("wrong-key", body), false},
		{"app secret instead of OA secret key", ch, body, "mac=" + zalooa.Signature(fxApp, body, zalotest.Timestamp(body), s.AppSecret()), false},
		{"HMAC instead of plain SHA-256", ch, body, "mac=" + zalooa.AppSecretProof(s.OASecretKey(), fxApp+string(body)+zalotest.Timestamp(body)), false},
		{"another app", otherApp, body, "mac=" + hex, false},
		{"stale", ch, stale, s.Sign(stale), false},
		{"stale but the age check is off", noAge, stale, s.Sign(stale), true},
		{"from the future", ch, future, s.Sign(future), false},
		{"no timestamp", ch, noTS, "mac=" + zalooa.Signature(fxApp, noTS, "", s.OASecretKey()), false},
		{"truncated hex", ch, body, "mac=" + hex[:60], false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sig != "" {
				h.Set(zalooa.SignatureHeader, tc.sig)
			}
			err := tc.ch.VerifyWebhook(h, tc.body)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, oc.ErrBadSignature)
			assert.NotContains(t, err.Error(), hex)
			assert.NotContains(t, err.Error(), s.OASecretKey())
		})
	}
}

// The emulator's bare-hex mode is accepted too.
func TestVerifyWebhookBareSignatureMode(t *testing.T) {
	s := newEmulator(t, zalotest.Options{BareSignature: true})
	body := s.UserSend("text", fxUser, "m1", "hi")
	require.False(t, strings.HasPrefix(s.Sign(body), "mac="))
	assert.NoError(t, newChannel(t, s, nil).VerifyWebhook(sigHeader(s.Sign(body)), body))
}

// Unknown events yield no event and no error, and each name is logged once.
func TestParseWebhookUnknownEvents(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	logs := &testlog.Buffer{}
	ch := newChannel(t, s, logs)
	for _, name := range []string{"user_feedback", "user_feedback", "shop_has_order", "user_send_contact", "user_send_contact"} {
		evs, err := ch.ParseWebhook(nil, s.Build(zalotest.Event{EventName: name, Sender: &zalotest.Party{ID: fxUser}, Recipient: &zalotest.Party{ID: fxOA},
			Message: &zalotest.EventMessage{MsgID: "x"}}))
		require.NoError(t, err)
		assert.Empty(t, evs)
	}
	out := logs.String()
	for _, name := range []string{"user_feedback", "shop_has_order", "user_send_contact"} {
		assert.Equal(t, 1, strings.Count(out, "event="+name), name)
	}
}

// Malformed bodies are refused with ErrMalformed, and the error does not quote customer text.
func TestParseWebhookMalformed(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	for i, body := range malformed(time.Now()) {
		_, err := ch.ParseWebhook(nil, body)
		assert.True(t, errors.Is(err, oc.ErrMalformed), "malformed[%d]: %v", i, err)
	}
	_, err := ch.ParseWebhook(nil, []byte(`{"event_name":"user_send_text","message":{"text":"<script>secret text</script>"},"sender":{"id":"u"},"recipient":{"id":"o"}}`))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret text")
}

// The emulator's builders produce what the parser expects (the customer helpers rely on them).
func TestEmulatorEventsParse(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	cases := []struct {
		body []byte
		typ  oc.InboundType
		dir  oc.Direction
	}{
		{s.UserSend("text", fxUser, "m1", "hi"), oc.InboundMessage, oc.DirectionIn},
		{s.AnonymousSend("text", fxUser, "zc-1", "m2", "hi"), oc.InboundMessage, oc.DirectionIn},
		{s.UserReacted(fxUser, "m3", "/-heart"), oc.InboundReaction, oc.DirectionIn},
		{s.OASend("text", fxUser, "m3", "hi"), oc.InboundMessage, oc.DirectionOut},
		{s.UserReceived(fxUser, "m3"), oc.InboundStatus, ""},
		{s.UserSeen(fxUser, "m3"), oc.InboundStatus, ""},
		{s.FollowEvent(fxUser), oc.InboundFollow, ""},
		{s.UnfollowEvent(fxUser), oc.InboundUnfollow, ""},
		{s.UserSubmitInfo(fxUser, zalotest.SharedInfo{Phone: "0912345678"}), oc.InboundInfoShared, ""},
	}
	for _, tc := range cases {
		require.NoError(t, ch.VerifyWebhook(sigHeader(s.Sign(tc.body)), tc.body))
		evs, err := ch.ParseWebhook(nil, tc.body)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, tc.typ, evs[0].Type)
		assert.Equal(t, tc.dir, evs[0].Direction)
		assert.Equal(t, fxOA, evs[0].ExternalAccountID)
		assert.Equal(t, fxUser, evs[0].ExternalUserID)
	}
}

// sigHeader is a header set as it arrives over HTTP (canonical key).
func sigHeader(v string) http.Header {
	h := http.Header{}
	h.Set(zalooa.SignatureHeader, v)
	return h
}
