package meta_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/internal/testlog"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestNewValidatesConfig(t *testing.T) {
	_, err := meta.New("whatsapp", meta.Config{GraphBaseURL: "ftp://x", GraphVersion: "v1/x"})
	require.Error(t, err)
	for _, want := range []string{"unknown kind", "AppID", "AppSecret", "VerifyToken", "GraphBaseURL", "GraphVersion"} {
		assert.Contains(t, err.Error(), want)
	}
	m, i, err := meta.NewPair(meta.Config{AppID: "1", AppSecret: "s", VerifyToken: "v"})
	require.NoError(t, err)
	assert.Equal(t, meta.KindMessenger, m.Kind())
	assert.Equal(t, meta.KindInstagram, i.Kind())
	assert.Equal(t, 2000, m.Capabilities().MaxTextLength)
	assert.Equal(t, 1000, i.Capabilities().MaxTextBytes)
	assert.Zero(t, m.Capabilities().HumanAgentWindow, "no Human Agent feature: 24 hours only")
}

func TestAnswerHandshake(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindMessenger, nil)
	for _, tc := range []struct {
		query string
		ok    bool
	}{
		{"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + srv.VerifyToken(), true},
		{"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong", false},
		{"hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=" + srv.VerifyToken(), false},
		{"hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=" + srv.VerifyToken(), false},
		{"hub.mode=subscribe&hub.challenge=1", false},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := ch.AnswerHandshake(q)
		if tc.ok {
			require.NoError(t, err, tc.query)
			assert.Equal(t, "1158201444", got)
		} else {
			require.Error(t, err, tc.query)
			assert.NotContains(t, err.Error(), srv.VerifyToken())
		}
	}
}

// The emulator escapes non-ASCII and "/" as Meta does; the signature covers those exact bytes,
// so re-encoded JSON fails, and the legacy SHA-1 header alone is not enough.
func TestVerifyWebhookRawBytes(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindMessenger, nil)
	hook := newCapture(t)
	_, err := srv.CustomerSays(context.Background(), hook.srv.URL, pageID, psid, "Lan", "Xin chào, áo đỏ size M/L")
	require.NoError(t, err)
	body, h := hook.last()
	assert.Contains(t, string(body), `\u00e0`)
	assert.Contains(t, string(body), `M\/L`)
	require.NoError(t, ch.VerifyWebhook(h, body))
	assert.True(t, strings.HasPrefix(h.Get("X-Hub-Signature"), "sha1="), "the legacy header is sent too")

	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	reencoded, _ := json.Marshal(v)
	assert.ErrorIs(t, ch.VerifyWebhook(h, reencoded), oc.ErrBadSignature)
	legacy := h.Clone()
	legacy.Del(meta.SignatureHeader)
	assert.ErrorIs(t, ch.VerifyWebhook(legacy, body), oc.ErrBadSignature)
}

func TestEchoMarkers(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindMessenger, nil)
	fx := messengerFixtures()
	find := func(name string) []byte {
		for _, f := range fx {
			if f.Name == name {
				return f.Body
			}
		}
		t.Fatalf("no fixture %s", name)
		return nil
	}
	evs, err := ch.ParseWebhook(nil, find("echo_of_our_send"))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "msg-1", evs[0].EchoOf, "our metadata names the engine message")
	assert.False(t, evs[0].ForeignEcho, "our own app_id")
	evs, err = ch.ParseWebhook(nil, find("echo_from_page_inbox"))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.True(t, evs[0].ForeignEcho, "the Page inbox's app_id "+meta.PageInboxAppID)
	assert.Empty(t, evs[0].EchoOf)
}

// Send's exact request: the Page's messages edge, the token only in the Authorization header,
// RESPONSE inside 24 hours, our metadata, recipient by id; Instagram through its Page.
func TestSendExactRequest(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ctx := context.Background()
	hook := newCapture(t)
	for _, tc := range []struct {
		kind          oc.Kind
		account, user string
	}{{meta.KindMessenger, pageID, psid}, {meta.KindInstagram, igID, igsid}} {
		ch := newAdapter(t, srv, tc.kind, nil)
		_, err := srv.CustomerSays(ctx, hook.srv.URL, tc.account, tc.user, "Lan", "hi")
		require.NoError(t, err)
		conn := srv.Connection(tc.account)
		res, err := ch.Send(ctx, conn, &oc.OutboundMessage{MessageID: "msg-42", RecipientID: tc.user, Text: "Dạ vâng",
			LastInboundAt: time.Now().Add(-time.Hour)})
		require.NoError(t, err)
		reqs := srv.Requests()
		r := reqs[len(reqs)-1]
		assert.Equal(t, "/v25.0/"+pageID+"/messages", r.Path, "Instagram sends through its Page")
		assert.Equal(t, "Bearer "+conn.Credentials.AccessToken, r.Header.Get("Authorization"))
		assert.NotContains(t, r.RawQuery, conn.Credentials.AccessToken)
		var body map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &body))
		assert.Equal(t, map[string]any{"id": tc.user}, body["recipient"])
		assert.Equal(t, "RESPONSE", body["messaging_type"])
		assert.NotContains(t, body, "tag")
		assert.Equal(t, map[string]any{"text": "Dạ vâng", "metadata": "dakenh:msg-42"}, body["message"])
		sent := srv.Sent()
		assert.Equal(t, sent[len(sent)-1].MessageID, res.ProviderMessageID)
	}
}

// Without the Human Agent feature, a reply past 24 hours is refused before any call.
func TestSendOutsideWindowWithoutHumanAgent(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindMessenger, nil, func(c *meta.Config) { c.HumanAgent = false })
	n := len(srv.Requests())
	_, err := ch.Send(context.Background(), srv.Connection(pageID), &oc.OutboundMessage{MessageID: "m", RecipientID: psid,
		Text: "muộn", LastInboundAt: time.Now().Add(-25 * time.Hour)})
	require.ErrorIs(t, err, oc.ErrOutsideWindow)
	assert.Equal(t, n, len(srv.Requests()))
}

// Every error the provider documents and the emulator produces is classified with Meta's code and a
// readable reason, without the token.
func TestSendErrorClassification(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	logs := &testlog.Buffer{}
	ch := newAdapter(t, srv, meta.KindMessenger, logs)
	ctx := context.Background()
	hook := newCapture(t)
	_, err := srv.CustomerSays(ctx, hook.srv.URL, pageID, psid, "Lan", "hi")
	require.NoError(t, err)
	conn := srv.Connection(pageID)
	for _, tc := range []struct {
		fault     metatest.Fault
		code      string
		class     error
		retryable bool
		words     string
	}{
		{metatest.FaultTokenExpired, "190/463", oc.ErrTokenExpired, false, "access token"},
		{metatest.FaultTokenInvalid, "190/460", oc.ErrTokenExpired, false, "password"},
		{metatest.FaultOutsideWindow, "10/2018278", oc.ErrOutsideWindow, false, "24-hour"},
		{metatest.FaultUserUnavailable, "551/1545041", nil, false, "not available"},
		{metatest.FaultNoMatchingUser, "100/2018001", nil, false, "no matching user"},
		{metatest.FaultDeadTag, "100", nil, false, "invalid"},
		{metatest.FaultAppLimit, "4", oc.ErrRateLimited, true, "throttling"},
		{metatest.FaultRateLimit, "613", oc.ErrRateLimited, true, "throttling"},
		{metatest.FaultTemporary, "1200", nil, true, "temporary"},
		{metatest.FaultServerError, "2", nil, true, "temporary"},
		{metatest.FaultPermission, "10", oc.ErrNeedsReconnect, false, "permission"},
		{metatest.FaultNoMessageID, "no_message_id", nil, false, "not repeated"},
	} {
		srv.FailNext(metatest.EndpointSend, tc.fault, 1)
		_, err := ch.Send(ctx, conn, &oc.OutboundMessage{MessageID: "m", RecipientID: psid, Text: "x"})
		require.Error(t, err, tc.code)
		var pe *oc.ProviderError
		require.True(t, errors.As(err, &pe), "%v", err)
		assert.Equal(t, tc.code, pe.Code)
		assert.Equal(t, meta.KindMessenger, pe.Provider)
		if tc.class != nil {
			assert.ErrorIs(t, err, tc.class, tc.code)
		}
		assert.Equal(t, tc.retryable, oc.IsRetryable(err), tc.code)
		assert.Contains(t, strings.ToLower(pe.Message), tc.words, tc.code)
		assert.NotContains(t, err.Error(), conn.Credentials.AccessToken)
		if tc.fault == metatest.FaultRateLimit {
			assert.Equal(t, 2*time.Second, pe.RetryAfter)
		}
	}
	assert.NotContains(t, logs.String(), conn.Credentials.AccessToken)
	assert.NotContains(t, logs.String(), srv.AppSecret())
}

func TestFetchProfile(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ctx := context.Background()
	hook := newCapture(t)
	for _, u := range []string{psid, "p-noprofile", "ig-noconsent"} {
		_, err := srv.CustomerSays(ctx, hook.srv.URL, pageID, u, "x", "hi")
		require.NoError(t, err)
	}
	srv.SetCustomer(psid, metatest.Customer{Name: "Nguyễn Thị Lan", Picture: pngBytes})
	srv.SetCustomer("p-noprofile", metatest.Customer{NoProfile: true})
	srv.SetCustomer("ig-noconsent", metatest.Customer{NoConsent: true})
	ch := newAdapter(t, srv, meta.KindMessenger, nil)
	conn := srv.Connection(pageID)
	p, err := ch.FetchProfile(ctx, conn, psid)
	require.NoError(t, err)
	assert.Equal(t, "Nguyễn Thị Lan", p.DisplayName)
	assert.True(t, strings.HasPrefix(p.AvatarURL, "data:image/png;base64,"), "the expiring picture is copied: %.40s", p.AvatarURL)
	for _, u := range []string{"p-noprofile", "ig-noconsent"} {
		p, err := ch.FetchProfile(ctx, conn, u)
		require.NoError(t, err, u)
		assert.Empty(t, p.DisplayName)
	}
}

func TestConnectRefusedOrWithoutPage(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindMessenger, nil)
	ctx := context.Background()
	u := ch.AuthCodeURL("st-1", "verifier", "https://crm.example/cb")
	assert.Contains(t, u, "scope=pages_messaging%2C")
	q, err := srv.ConsentWith(ctx, u, nil, nil, true)
	require.NoError(t, err)
	_, err = ch.ExchangeAll(ctx, oc.CallbackParams{Query: q, RedirectURI: "https://crm.example/cb"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no Facebook Page")
	assert.NotContains(t, err.Error(), q.Get("code"))

	q, err = srv.ConsentWith(ctx, u, nil, nil, false)
	require.NoError(t, err)
	_, err = ch.ExchangeAll(ctx, oc.CallbackParams{Query: q, RedirectURI: "https://crm.example/cb"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cancelled")

	withConfig := newAdapter(t, srv, meta.KindMessenger, nil, func(c *meta.Config) { c.ConfigID = "cfg-77" })
	u = withConfig.AuthCodeURL("st-2", "verifier", "https://crm.example/cb")
	assert.Contains(t, u, "config_id=cfg-77")
	assert.NotContains(t, u, "scope=")
	assert.NotContains(t, u, "verifier")
}

// Instagram carries up to 10 images in one message (each uploaded once); Messenger one
// attachment; a mix with a file is refused before any call.
func TestInstagramSeveralImages(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ctx := context.Background()
	hook := newCapture(t)
	_, err := srv.CustomerSays(ctx, hook.srv.URL, igID, igsid, "Mai", "cho xem mẫu")
	require.NoError(t, err)
	_, err = srv.CustomerSays(ctx, hook.srv.URL, pageID, psid, "Lan", "cho xem mẫu")
	require.NoError(t, err)
	img := func(b byte) oc.OutboundAttachment {
		data := append(append([]byte(nil), pngBytes...), b)
		return oc.OutboundAttachment{Kind: oc.MessageImage, Name: "a.png", ContentType: "image/png", Size: int64(len(data)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	}
	ig := newAdapter(t, srv, meta.KindInstagram, nil)
	_, err = ig.Send(ctx, srv.Connection(igID), &oc.OutboundMessage{MessageID: "m1", RecipientID: igsid,
		Attachments: []oc.OutboundAttachment{img(1), img(2), img(3)}})
	require.NoError(t, err)
	sent := srv.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, 3, sent[0].AttachmentCount)
	assert.Equal(t, 3, srv.UploadCount())

	n := len(srv.Requests())
	pdf := oc.OutboundAttachment{Kind: oc.MessageFile, Name: "b.pdf", ContentType: "application/pdf", Size: 4,
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF")), nil }}
	_, err = ig.Send(ctx, srv.Connection(igID), &oc.OutboundMessage{MessageID: "m2", RecipientID: igsid, Attachments: []oc.OutboundAttachment{img(1), pdf}})
	require.ErrorIs(t, err, oc.ErrUnsupported)
	msgr := newAdapter(t, srv, meta.KindMessenger, nil)
	_, err = msgr.Send(ctx, srv.Connection(pageID), &oc.OutboundMessage{MessageID: "m3", RecipientID: psid, Attachments: []oc.OutboundAttachment{img(1), img(2)}})
	require.ErrorIs(t, err, oc.ErrUnsupported)
	assert.Equal(t, n, len(srv.Requests()), "refused before any Graph call")
}

// A Page Meta unsubscribed (failed deliveries) is subscribed again; a subscribed one is left alone.
func TestEnsureSubscribed(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	ch := newAdapter(t, srv, meta.KindInstagram, nil)
	ctx := context.Background()
	conn := srv.Connection(igID)
	again, err := ch.EnsureSubscribed(ctx, conn)
	require.NoError(t, err)
	assert.True(t, again, "never subscribed yet")
	assert.Contains(t, srv.Subscribed(pageID), "messages", "through the Instagram account's Page")
	again, err = ch.EnsureSubscribed(ctx, conn)
	require.NoError(t, err)
	assert.False(t, again)
	srv.Unsubscribe(pageID)
	again, err = ch.EnsureSubscribed(ctx, conn)
	require.NoError(t, err)
	assert.True(t, again)
	assert.NotEmpty(t, srv.Subscribed(pageID))
}
