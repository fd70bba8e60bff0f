package fakechannel_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// setup starts an emulator and an adapter talking to it.
func setup(t *testing.T) (*fakechannel.Provider, *fakechannel.Channel, *omnichannel.Connection) {
	t.Helper()
	p := fakechannel.NewProvider(testSecret)
	t.Cleanup(p.Close)
	ch, err := fakechannel.New(fakechannel.Config{Secret: testSecret, BaseURL: p.URL() + "/", HTTPClient: p.Client()})
	require.NoError(t, err)
	return p, ch, p.Connection()
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := fakechannel.New(fakechannel.Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Config.Secret is required")
	assert.Contains(t, err.Error(), "Config.BaseURL is required")

	for _, base := range []string{"ftp://example.test", "example.test/api", "http://", "http://x/?q=1", "://bad"} {
		_, err := fakechannel.New(fakechannel.Config{Secret: "s", BaseURL: base})
		assert.Error(t, err, base)
	}

	ch, err := fakechannel.New(fakechannel.Config{Secret: "s", BaseURL: "https://api.fake.test/v1/"})
	require.NoError(t, err)
	assert.Equal(t, omnichannel.Kind("fake"), ch.Kind())
	assert.Equal(t, "https://api.fake.test/v1/consent?client_id=fake&code_challenge="+fakechannel.CodeChallenge("v")+
		"&code_challenge_method=S256&redirect_uri=https%3A%2F%2Fcrm%2Fcb&state=st", ch.AuthCodeURL("st", "v", "https://crm/cb"))
}

func TestCapabilities(t *testing.T) {
	_, ch, _ := setup(t)
	assert.Equal(t, omnichannel.Capabilities{
		MaxTextLength: 1000,
		Images:        true, ImageTypes: []string{"image/png", "image/jpeg"}, MaxImageBytes: 5 << 20,
		Files: true, FileTypes: []string{"application/pdf"}, MaxFileBytes: 10 << 20,
		MaxAttachments: 1, Quotes: true, Echoes: true,
	}, ch.Capabilities())
	assert.Equal(t, 5*time.Minute, ch.RefreshSkew())
}

func TestVerifyWebhook(t *testing.T) {
	_, ch, _ := setup(t)
	body := fakechannel.Webhook{AccountID: "acc1"}.JSON()
	good := fakechannel.Sign(testSecret, body)
	hexSum := strings.TrimPrefix(good, "sha256=")
	require.NoError(t, ch.VerifyWebhook(http.Header{"X-Fake-Signature": {good}}, body))

	cases := map[string]http.Header{
		"missing":      {},
		"empty":        {"X-Fake-Signature": {""}},
		"no prefix":    {"X-Fake-Signature": {hexSum}},
		"other prefix": {"X-Fake-Signature": {"sha1=" + hexSum}},
		"not hex":      {"X-Fake-Signature": {"sha256=" + strings.Repeat("zz", 32)}},
		"short":        {"X-Fake-Signature": {"sha256=" + hexSum[:40]}},
		"wrong":        {"X-Fake-Signature": {fakechannel.Sign("other", body)}},
		"twice":        {"X-Fake-Signature": {good, good}},
	}
	for name, h := range cases {
		err := ch.VerifyWebhook(h, body)
		require.ErrorIs(t, err, omnichannel.ErrBadSignature, name)
		assert.NotContains(t, err.Error(), testSecret, name)
		assert.NotContains(t, err.Error(), hexSum, name)
	}
}

func TestParseWebhookMapsEveryField(t *testing.T) {
	_, ch, _ := setup(t)
	body := fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{
		Type: "message", Direction: "in", UserID: "u1", UserName: "Lan", Avatar: "https://cdn/a.png", Phone: "0912",
		MessageID: "m1", Text: "hi", QuoteID: "pm-3", Time: 1700000000123,
		Attachments: []fakechannel.WebhookAttachment{{Type: "video", URL: "https://cdn/v.mp4", Name: "v.mp4", ContentType: "video/mp4", Size: 9}},
	}}}.JSON()
	events, err := ch.ParseWebhook(nil, body)
	require.NoError(t, err)
	assert.Equal(t, []omnichannel.InboundEvent{{
		Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
		Profile:   &omnichannel.Profile{ExternalUserID: "u1", DisplayName: "Lan", AvatarURL: "https://cdn/a.png", Phone: "0912"},
		Direction: omnichannel.DirectionIn, ProviderMessageID: "m1", MessageType: omnichannel.MessageVideo, Text: "hi",
		Attachments: []omnichannel.Attachment{{Kind: omnichannel.MessageVideo, Name: "v.mp4", ContentType: "video/mp4",
			Size: 9, RemoteURL: "https://cdn/v.mp4"}},
		QuoteProviderMessageID: "pm-3",
		Time:                   time.UnixMilli(1700000000123).UTC(),
	}}, events)

	events, err = ch.ParseWebhook(nil, []byte(`{"account_id":"acc1","events":[{"type":"typing"},{"type":"message","user_id":"u","message_id":"m"}]}`))
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, omnichannel.MessageOther, events[0].MessageType, "a message with neither text nor attachment")
	assert.True(t, events[0].Time.IsZero())
	assert.Nil(t, events[0].Profile)
}

func TestParseWebhookMalformed(t *testing.T) {
	_, ch, _ := setup(t)
	for _, body := range []string{``, `null`, `{"account_id":""}`, `{"account_id":"a","events":[{"type":"message","user_id":"u","message_id":"m","attachments":[{"type":"image"}]}]}`} {
		_, err := ch.ParseWebhook(nil, []byte(body))
		assert.ErrorIs(t, err, omnichannel.ErrMalformed, body)
	}
}

func TestSendExactRequest(t *testing.T) {
	p, ch, conn := setup(t)
	res, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{
		ConversationID: "c1", MessageID: "msg1", RecipientID: "u1", Text: "Dạ còn ạ", QuoteProviderMessageID: "m1",
	})
	require.NoError(t, err)
	assert.Equal(t, omnichannel.SendResult{ProviderMessageID: "pm-1", Status: omnichannel.MessageSent}, res)

	reqs := p.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/messages", r.Path)
	assert.Equal(t, "Bearer "+conn.Credentials.AccessToken, r.Header.Get("Authorization"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"recipient":"u1","text":"Dạ còn ạ","quote_id":"m1"}`, string(r.Body))
	assert.Equal(t, []fakechannel.SentMessage{{ID: "pm-1", Recipient: "u1", Text: "Dạ còn ạ", QuoteID: "m1", At: p.Sent()[0].At}}, p.Sent())
}

func TestSendAttachment(t *testing.T) {
	p, ch, conn := setup(t)
	opened := 0
	att := omnichannel.OutboundAttachment{
		Kind: omnichannel.MessageImage, Name: "x.png", ContentType: "image/png", Size: int64(len(pngBytes)),
		Open: func(context.Context) (io.ReadCloser, error) {
			opened++
			return io.NopCloser(bytes.NewReader(pngBytes)), nil
		},
	}
	_, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{att}})
	require.NoError(t, err)
	assert.Equal(t, 1, opened)
	assert.JSONEq(t, `{"recipient":"u1","attachments":[{"type":"image","name":"x.png","content_type":"image/png","data":"`+
		base64.StdEncoding.EncodeToString(pngBytes)+`"}]}`, string(p.Requests()[0].Body))
	sent := p.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, []fakechannel.SentAttachment{{Type: "image", Name: "x.png", ContentType: "image/png", Data: pngBytes}}, sent[0].Attachments)
}

func TestSendRefusesWhatTheProviderWouldRefuse(t *testing.T) {
	p, ch, conn := setup(t)
	open := func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }
	pdf := omnichannel.OutboundAttachment{Kind: omnichannel.MessageFile, Name: "a.pdf", ContentType: "application/pdf", Open: open}
	cases := map[string]struct {
		msg         omnichannel.OutboundMessage
		unsupported bool
	}{
		"no recipient":       {omnichannel.OutboundMessage{Text: "x"}, false},
		"empty":              {omnichannel.OutboundMessage{RecipientID: "u1"}, false},
		"too long":           {omnichannel.OutboundMessage{RecipientID: "u1", Text: strings.Repeat("ư", 1001)}, true},
		"two attachments":    {omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{pdf, pdf}}, true},
		"gif":                {omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{{Kind: omnichannel.MessageImage, ContentType: "image/gif", Open: open}}}, true},
		"video":              {omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{{Kind: omnichannel.MessageVideo, ContentType: "video/mp4", Open: open}}}, true},
		"declared too large": {omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{{Kind: omnichannel.MessageFile, ContentType: "application/pdf", Size: 11 << 20, Open: open}}}, true},
		"actually too large": {omnichannel.OutboundMessage{RecipientID: "u1", Attachments: []omnichannel.OutboundAttachment{{Kind: omnichannel.MessageImage, ContentType: "image/png", Size: 1,
			Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(make([]byte, 5<<20+1))), nil
			}}}}, true},
	}
	for name, c := range cases {
		_, err := ch.Send(context.Background(), conn, &c.msg)
		require.ErrorIs(t, err, omnichannel.ErrInvalid, name)
		assert.Equal(t, c.unsupported, errors.Is(err, omnichannel.ErrUnsupported), name)
		assert.False(t, omnichannel.IsRetryable(err), name)
	}
	assert.Empty(t, p.Requests(), "nothing reaches the provider")

	_, err := ch.Send(context.Background(), &omnichannel.Connection{}, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
	assert.ErrorIs(t, err, omnichannel.ErrNeedsReconnect)
}

func TestSendErrorClassification(t *testing.T) {
	cases := []struct {
		status     int
		code       string
		class      error
		retryable  bool
		wantCode   string
		retryAfter time.Duration
	}{
		{http.StatusUnauthorized, "", omnichannel.ErrTokenExpired, true, "token_expired", 0},
		{http.StatusTooManyRequests, "", omnichannel.ErrRateLimited, true, "rate_limited", time.Second},
		{http.StatusInternalServerError, "", nil, true, "internal_error", 0},
		{http.StatusServiceUnavailable, "maintenance", nil, true, "maintenance", 0},
		{http.StatusForbidden, "window_closed", omnichannel.ErrOutsideWindow, false, "window_closed", 0},
		{http.StatusForbidden, "blocked", nil, false, "blocked", 0},
		{http.StatusBadRequest, "user_blocked_oa", nil, false, "user_blocked_oa", 0},
		{http.StatusNotFound, "", nil, false, "not_found", 0},
		{http.StatusConflict, "", nil, false, "bad_request", 0},
	}
	for _, c := range cases {
		p, ch, conn := setup(t)
		p.FailNext(c.status, c.code, 1)
		_, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
		var pe *omnichannel.ProviderError
		require.ErrorAs(t, err, &pe, "%d %s", c.status, c.code)
		assert.Equal(t, omnichannel.Kind("fake"), pe.Provider)
		assert.Equal(t, c.class, pe.Class, "%d %s", c.status, c.code)
		if c.class != nil {
			assert.ErrorIs(t, err, c.class)
		}
		assert.Equal(t, c.retryable, pe.Retryable, "%d %s", c.status, c.code)
		assert.Equal(t, c.retryable, omnichannel.IsRetryable(err), "%d %s", c.status, c.code)
		assert.Equal(t, c.wantCode, pe.Code)
		assert.Equal(t, "injected fault", pe.Message)
		assert.Equal(t, c.retryAfter, pe.RetryAfter)
		assert.NotContains(t, err.Error(), conn.Credentials.AccessToken)
		assert.Empty(t, p.Sent())
	}
}

func TestSendProviderErrorsNeverCarryTheToken(t *testing.T) {
	var token string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "slow_down", "message": "token " + token + " is throttled"}})
	}))
	defer srv.Close()
	ch, err := fakechannel.New(fakechannel.Config{Secret: "s", BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = ch.Send(context.Background(), &omnichannel.Connection{Credentials: omnichannel.Credentials{AccessToken: "tok-secret-123"}},
		&omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
	var pe *omnichannel.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "tok-secret-123", token)
	assert.NotContains(t, err.Error(), "tok-secret-123")
	assert.Equal(t, "token [redacted] is throttled", pe.Message)
	assert.InDelta(t, 90*time.Second, pe.RetryAfter, float64(5*time.Second), "Retry-After as an HTTP date")
}

func TestSendWithoutMessageIDIsFinal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	ch, err := fakechannel.New(fakechannel.Config{Secret: "s", BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = ch.Send(context.Background(), &omnichannel.Connection{Credentials: omnichannel.Credentials{AccessToken: "t"}},
		&omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
	require.Error(t, err)
	assert.False(t, omnichannel.IsRetryable(err), "the provider may have delivered it: never send twice")
}

func TestSendNetworkErrorIsPlainAndRetryable(t *testing.T) {
	p, ch, conn := setup(t)
	p.Close()
	_, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
	require.Error(t, err)
	var pe *omnichannel.ProviderError
	assert.False(t, errors.As(err, &pe))
	assert.True(t, omnichannel.IsRetryable(err))
	assert.NotContains(t, err.Error(), conn.Credentials.AccessToken)
}

func TestSendHonoursContextDeadline(t *testing.T) {
	p, ch, conn := setup(t)
	// The provider would answer after a minute; the call gives up at its 50 ms deadline. The bound
	// checked is far from both, so a busy machine cannot make it fail.
	p.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ch.Send(ctx, conn, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 20*time.Second)
	p.SetDelay(0)
}

func TestExpiredTokenThenRefresh(t *testing.T) {
	p, ch, conn := setup(t)
	p.ExpireAccessToken()
	msg := &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"}
	_, err := ch.Send(context.Background(), conn, msg)
	var pe *omnichannel.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, omnichannel.ErrTokenExpired)
	assert.Equal(t, "token_expired", pe.Code)

	creds, err := ch.RefreshTokens(context.Background(), conn)
	require.NoError(t, err)
	assert.NotEqual(t, conn.Credentials.AccessToken, creds.AccessToken)
	assert.NotEqual(t, conn.Credentials.RefreshToken, creds.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(time.Hour), creds.AccessExpiry, 10*time.Second)

	fresh := *conn
	fresh.Credentials = creds
	_, err = ch.Send(context.Background(), &fresh, msg)
	require.NoError(t, err)

	_, err = ch.Send(context.Background(), &omnichannel.Connection{Credentials: omnichannel.Credentials{AccessToken: "forged"}}, msg)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "invalid_token", pe.Code)
}

func TestRefreshTokensSingleUse(t *testing.T) {
	p, ch, conn := setup(t)
	conn.Credentials.Scopes = []string{"messages"}
	creds, err := ch.RefreshTokens(context.Background(), conn)
	require.NoError(t, err)
	assert.Equal(t, []string{"messages"}, creds.Scopes)

	r := p.Requests()[0]
	assert.Equal(t, "POST /token", r.Method+" "+r.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Authorization"))
	form, err := url.ParseQuery(string(r.Body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {conn.Credentials.RefreshToken}}, form)

	_, err = ch.RefreshTokens(context.Background(), conn) // the old refresh token again
	require.ErrorIs(t, err, omnichannel.ErrNeedsReconnect)
	assert.False(t, omnichannel.IsRetryable(err))
	assert.NotContains(t, err.Error(), conn.Credentials.RefreshToken)

	next := *conn
	next.Credentials = creds
	_, err = ch.RefreshTokens(context.Background(), &next)
	require.NoError(t, err, "the rotated refresh token works once")

	_, err = ch.RefreshTokens(context.Background(), &omnichannel.Connection{})
	require.ErrorIs(t, err, omnichannel.ErrNeedsReconnect)

	p.FailNextOn("/token", http.StatusServiceUnavailable, "", 1)
	other := p.Connection()
	_, err = ch.RefreshTokens(context.Background(), other)
	require.Error(t, err)
	assert.True(t, omnichannel.IsRetryable(err), "a provider outage is not a dead grant")
	assert.NotErrorIs(t, err, omnichannel.ErrNeedsReconnect)
	_, err = ch.RefreshTokens(context.Background(), other)
	require.NoError(t, err, "a failed call does not spend the refresh token")
}

func TestRefreshConcurrentUseHasOneWinner(t *testing.T) {
	_, ch, conn := setup(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, dead := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *conn
			_, err := ch.RefreshTokens(context.Background(), &c)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if errors.Is(err, omnichannel.ErrNeedsReconnect) {
				dead++
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
	assert.Equal(t, 7, dead)
}

func TestFetchProfile(t *testing.T) {
	p, ch, conn := setup(t)
	p.AddUser("u 1/x", "Lan", "0912345678")
	prof, err := ch.FetchProfile(context.Background(), conn, "u 1/x")
	require.NoError(t, err)
	assert.Equal(t, &omnichannel.Profile{ExternalUserID: "u 1/x", DisplayName: "Lan", Phone: "0912345678"}, prof)
	r := p.Requests()[0]
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/users/u 1/x", r.Path, "the id is path-escaped on the wire and decoded by the server")
	assert.Equal(t, "Bearer "+conn.Credentials.AccessToken, r.Header.Get("Authorization"))

	_, err = ch.FetchProfile(context.Background(), conn, "nobody")
	var pe *omnichannel.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "user_not_found", pe.Code)
	assert.False(t, pe.Retryable)
}

func TestDownloadMedia(t *testing.T) {
	p, ch, conn := setup(t)
	u := p.ServeMedia("x.png", "image/png", pngBytes)
	rc, ct, err := ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: u})
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, pngBytes, data)
	assert.Equal(t, "image/png", ct)
	assert.Equal(t, "Bearer "+conn.Credentials.AccessToken, p.Requests()[0].Header.Get("Authorization"))

	_, _, err = ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: p.URL() + "/media/missing"})
	var pe *omnichannel.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "media_not_found", pe.Code)

	p.ExpireAccessToken()
	_, _, err = ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: u})
	assert.ErrorIs(t, err, omnichannel.ErrTokenExpired)

	_, _, err = ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: "file:///etc/passwd"})
	assert.ErrorIs(t, err, omnichannel.ErrInvalid)
}

func TestDownloadMediaKeepsTheTokenOnTheProviderOrigin(t *testing.T) {
	p, refusing, conn := setup(t)
	var auth string
	var hits atomic.Int32
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		auth = r.Header.Get("Authorization")
		_, _ = w.Write([]byte("public"))
	}))
	defer cdn.Close()
	// By default only the provider's own listener is reachable on loopback.
	_, _, err := refusing.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: cdn.URL + "/a.bin"})
	require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress)
	require.Zero(t, hits.Load())
	assert.False(t, omnichannel.IsRetryable(err), "a refused fetch is final")

	ch, err := fakechannel.New(fakechannel.Config{Secret: testSecret, BaseURL: p.URL(), HTTPClient: p.Client(),
		MediaClient: guardedfetch.AllowingListeners(cdn.Listener)})
	require.NoError(t, err)
	rc, ct, err := ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: cdn.URL + "/a.bin", ContentType: "application/pdf"})
	require.NoError(t, err)
	data, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "public", string(data))
	assert.Empty(t, auth, "the bearer token must not leave the provider's origin")
	assert.Equal(t, "text/plain; charset=utf-8", ct)
}

func TestConnector(t *testing.T) {
	p, ch, _ := setup(t)
	ctx := context.Background()
	const verifier = "verifier-0123456789-0123456789-0123456789"
	authURL := ch.AuthCodeURL("state-1", verifier, "https://crm.test/cb")
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	assert.Equal(t, p.URL()+"/consent", u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, url.Values{
		"client_id": {"fake"}, "state": {"state-1"}, "redirect_uri": {"https://crm.test/cb"},
		"code_challenge": {fakechannel.CodeChallenge(verifier)}, "code_challenge_method": {"S256"},
	}, u.Query())
	assert.NotContains(t, authURL, verifier)

	q, err := p.Consent(ctx, authURL)
	require.NoError(t, err)
	assert.Equal(t, "state-1", q.Get("state"))
	code := q.Get("code")
	require.NotEmpty(t, code)

	conn, err := ch.Exchange(ctx, omnichannel.CallbackParams{Query: q, CodeVerifier: verifier, RedirectURI: "https://crm.test/cb"})
	require.NoError(t, err)
	assert.Equal(t, omnichannel.Kind("fake"), conn.Kind)
	assert.Equal(t, "acc1", conn.ExternalID)
	assert.Equal(t, "Fake Shop", conn.DisplayName)
	assert.Equal(t, omnichannel.ConnectionConnected, conn.Status)
	assert.NotEmpty(t, conn.Credentials.AccessToken)
	assert.NotEmpty(t, conn.Credentials.RefreshToken)

	reqs := p.Requests()
	tokenReq := reqs[len(reqs)-1]
	assert.Equal(t, "POST /token", tokenReq.Method+" "+tokenReq.Path)
	form, _ := url.ParseQuery(string(tokenReq.Body))
	assert.Equal(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {"fake"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {"https://crm.test/cb"}}, form)

	_, err = ch.Send(ctx, conn, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "connected"})
	require.NoError(t, err, "the exchanged token works")

	_, err = ch.Exchange(ctx, omnichannel.CallbackParams{Query: q, CodeVerifier: verifier, RedirectURI: "https://crm.test/cb"})
	require.Error(t, err, "a code is single use")
	assert.NotContains(t, err.Error(), code)

	q, err = p.Consent(ctx, ch.AuthCodeURL("state-2", verifier, "https://crm.test/cb"))
	require.NoError(t, err)
	_, err = ch.Exchange(ctx, omnichannel.CallbackParams{Query: q, CodeVerifier: "another-verifier", RedirectURI: "https://crm.test/cb"})
	var pe *omnichannel.ProviderError
	require.ErrorAs(t, err, &pe, "PKCE: a wrong verifier is refused")
	assert.Equal(t, "invalid_grant", pe.Code)

	p.DenyConsent(true)
	q, err = p.Consent(ctx, ch.AuthCodeURL("state-3", verifier, "https://crm.test/cb"))
	require.NoError(t, err)
	assert.Equal(t, "access_denied", q.Get("error"))
	n := len(p.Requests())
	_, err = ch.Exchange(ctx, omnichannel.CallbackParams{Query: q, CodeVerifier: verifier})
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "access_denied", pe.Code)
	assert.Equal(t, "fake error access_denied: the account owner did not grant access: The account owner denied the request", err.Error())
	assert.Len(t, p.Requests(), n, "no token request after a refusal")

	_, err = ch.Exchange(ctx, omnichannel.CallbackParams{Query: url.Values{"state": {"s"}}})
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "missing_code", pe.Code)
}

func TestProviderSignedWebhook(t *testing.T) {
	p, ch, _ := setup(t)
	var got *http.Request
	var body []byte
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	}))
	defer target.Close()
	payload := fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{Type: "follow", UserID: "u1"}}}.JSON()
	assert.Equal(t, `{"account_id":"acc1","events":[{"type":"follow","user_id":"u1"}]}`, string(payload))

	resp, err := http.DefaultClient.Do(p.SignedWebhook(target.URL+"/webhooks/fake", payload))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "/webhooks/fake", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, p.Sign(payload), got.Header.Get("X-Fake-Signature"))
	assert.Equal(t, payload, body)
	require.NoError(t, ch.VerifyWebhook(got.Header, body))

	assert.Equal(t, `{"account_id":"acc1","events":[]}`, string(fakechannel.Webhook{AccountID: "acc1"}.JSON()))
}

func TestProviderIsSafeForConcurrentUse(t *testing.T) {
	p, ch, conn := setup(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.AddUser("u", "n", "")
			_ = p.ServeMedia("m", "image/png", []byte{1})
			_, _ = ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{RecipientID: "u1", Text: "x"})
			_, _ = ch.FetchProfile(context.Background(), conn, "u")
			_ = p.Requests()
			_ = p.Sent()
		}()
	}
	wg.Wait()
	assert.Len(t, p.Sent(), 16)
	ids := map[string]bool{}
	for _, m := range p.Sent() {
		ids[m.ID] = true
	}
	assert.Len(t, ids, 16)
}

func TestProviderRefusesInvalidSends(t *testing.T) {
	p, _, conn := setup(t)
	post := func(body string) int {
		req, _ := http.NewRequest(http.MethodPost, p.URL()+"/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+conn.Credentials.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := p.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, post(`{"recipient":"u1"}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"recipient":"u1","text":"x","extra":1}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"recipient":"u1","attachments":[{"type":"image","content_type":"image/gif","data":""}]}`))
	assert.Equal(t, http.StatusOK, post(`{"recipient":"u1","text":"x"}`))
	assert.Len(t, p.Sent(), 1)
}
