package tiktok_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/internal/testlog"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := tiktok.New(tiktok.Config{APIBaseURL: "ftp://x", AuthorizeURL: "https://x/a?b=1", SignatureTolerance: -1,
		RefreshSkew: -1, Scopes: []string{"user.info.basic"}})
	require.Error(t, err)
	for _, want := range []string{"ClientKey is required", "ClientSecret is required", "APIBaseURL", "AuthorizeURL",
		"SignatureTolerance", "RefreshSkew", `required scope "message.list.send"`} {
		require.Contains(t, err.Error(), want)
	}
	ch, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: "s"})
	require.NoError(t, err)
	require.Equal(t, tiktok.DefaultRefreshSkew, ch.RefreshSkew())
	u := ch.AuthCodeURL("st-1", "verifier-never-sent", "https://crm.example/cb")
	require.True(t, strings.HasPrefix(u, tiktok.DefaultAuthorizeURL+"?"))
	for _, want := range []string{"client_key=k", "response_type=code", "state=st-1", "redirect_uri=https%3A%2F%2Fcrm.example%2Fcb",
		"scope=user.info.basic%2Cuser.info.username%2Cuser.info.profile%2Cmessage.list.read%2Cmessage.list.send%2Cmessage.list.manage"} {
		require.Contains(t, u, want)
	}
	require.NotContains(t, u, "verifier")
}

func TestSignatureParsing(t *testing.T) {
	now := time.Unix(1700000000, 0)
	ch, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: "app-secret", Now: func() time.Time { return now }})
	require.NoError(t, err)
	body := []byte(`{"event":"im_receive_msg"}`)
	good := tiktok.Signature("app-secret", now, body)
	tsPart, sPart, _ := strings.Cut(good, ",")
	h := func(v string) http.Header { return http.Header{"Tiktok-Signature": {v}} }

	require.NoError(t, ch.VerifyWebhook(h(good), body))
	require.NoError(t, ch.VerifyWebhook(h(" "+sPart+" , "+tsPart+" "), body), "parts by name, any order, spaces trimmed")
	require.NoError(t, ch.VerifyWebhook(h(tsPart+",s="+strings.Repeat("ab", 32)+","+sPart), body), "one of several s values")
	require.NoError(t, ch.VerifyWebhook(h(tiktok.Signature("app-secret", now.Add(-299*time.Second), body)), body), "inside 300 s")
	require.NoError(t, ch.VerifyWebhook(h(tiktok.Signature("app-secret", now.Add(-72*time.Hour), body)), body),
		"a retry after 72 h of TikTok's retries")
	for name, v := range map[string]string{
		"stale":     tiktok.Signature("app-secret", now.Add(-tiktok.DefaultSignatureMaxAge-time.Second), body),
		"future":    tiktok.Signature("app-secret", now.Add(301*time.Second), body),
		"no t":      sPart,
		"no s":      tsPart,
		"t not int": "t=abc," + sPart,
		"wrong key": tiktok.Signature("other", now, body),
		"non-hex s": tsPart + ",s=" + strings.Repeat("zz", 32),
	} {
		err := ch.VerifyWebhook(h(v), body)
		require.ErrorIs(t, err, oc.ErrBadSignature, name)
		require.NotContains(t, err.Error(), "app-secret")
		require.NotContains(t, err.Error(), strings.TrimPrefix(sPart, "s="))
	}
	err = ch.VerifyWebhook(http.Header{"Tiktok-Signature": {good, good}}, body)
	require.ErrorIs(t, err, oc.ErrBadSignature)

	// A configurable window: 5 s, as TikTok's sample, refuses a delivery 10 s old.
	strict, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: "app-secret", SignatureTolerance: 5 * time.Second,
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.ErrorIs(t, strict.VerifyWebhook(h(tiktok.Signature("app-secret", now.Add(-10*time.Second), body)), body), oc.ErrBadSignature)
}

func TestExchangeAcceptsAuthCodeParameter(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	ch := newAdapter(t, srv, nil)
	ctx := context.Background()
	const redirect = "https://crm.example/cb"
	q, err := srv.Consent(ctx, ch.AuthCodeURL("s", "", redirect))
	require.NoError(t, err)
	q.Set("auth_code", q.Get("code")) // the other name TikTok may use
	q.Del("code")
	conn, err := ch.Exchange(ctx, oc.CallbackParams{Query: q, RedirectURI: redirect})
	require.NoError(t, err)
	require.Equal(t, srv.BusinessID(), conn.ExternalID)
	require.ElementsMatch(t, tiktok.DefaultScopes(), conn.Credentials.Scopes)
	require.Equal(t, "shophoamai", conn.Settings["username"])

	// A code is single use, and a wrong redirect URI is refused; neither error carries the code.
	code := q.Get("auth_code")
	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: q, RedirectURI: redirect})
	require.Error(t, err)
	require.NotContains(t, err.Error(), code)
}

func TestRefreshTokenPastItsExpiryNeedsReconnectWithoutCall(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	ch := newAdapter(t, srv, nil)
	conn := srv.Connection()
	conn.Credentials.RefreshExpiry = time.Now().Add(-time.Second)
	n := srv.RequestCount()
	_, err := ch.RefreshTokens(context.Background(), conn)
	require.ErrorIs(t, err, oc.ErrNeedsReconnect)
	require.Equal(t, n, srv.RequestCount())

	// A throttled refresh is retryable, not a dead grant.
	conn = srv.Connection()
	srv.FailNext(tiktoktest.EndpointRefresh, tiktoktest.FaultThrottled, 1)
	_, err = ch.RefreshTokens(context.Background(), conn)
	require.ErrorIs(t, err, oc.ErrRateLimited)
	require.False(t, errors.Is(err, oc.ErrNeedsReconnect))
	require.True(t, oc.IsRetryable(err))
}

func TestSendRefusesWhatTikTokCannotTake(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	ch := newAdapter(t, srv, nil)
	open := func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }
	n := srv.RequestCount()
	for name, msg := range map[string]*oc.OutboundMessage{
		"file":           {RecipientID: "c", Attachments: []oc.OutboundAttachment{{Kind: oc.MessageFile, ContentType: "application/pdf", Open: open}}},
		"text and image": {RecipientID: "c", Text: "xem mẫu", Attachments: []oc.OutboundAttachment{{Kind: oc.MessageImage, ContentType: "image/png", Open: open}}},
		"gif":            {RecipientID: "c", Attachments: []oc.OutboundAttachment{{Kind: oc.MessageImage, ContentType: "image/gif", Open: open}}},
		"too big":        {RecipientID: "c", Attachments: []oc.OutboundAttachment{{Kind: oc.MessageImage, ContentType: "image/png", Size: 4 << 20, Open: open}}},
		"too long":       {RecipientID: "c", Text: strings.Repeat("ạ", tiktok.MaxTextLength+1)},
	} {
		_, err := ch.Send(context.Background(), srv.Connection(), msg)
		require.ErrorIs(t, err, oc.ErrUnsupported, name)
	}
	require.Equal(t, n, srv.RequestCount(), "no request reached TikTok")
	require.False(t, ch.Capabilities().Files)
}

// TestHistorySyncPagesThroughConversations seeds more conversations than one page holds.
func TestHistorySyncPagesThroughConversations(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	at := time.Now().Add(-time.Hour)
	for i := 0; i < 130; i++ {
		srv.SeedConversation("h"+strings.Repeat("x", i%3)+string(rune('A'+i%26))+string(rune('a'+i/26)), "Khách",
			tiktoktest.SeedMessage{FromCustomer: true, Text: "hi", At: at.Add(time.Duration(i) * time.Second)})
	}
	// The subject is paging: lift the Basic tier's 10 calls a second (130 conversations would take
	// 13 s at it).
	ch := newAdapter(t, srv, nil, func(c *tiktok.Config) { c.RequestsPerSecond = 1000 })
	convs := map[string]int{}
	err := ch.SyncHistory(context.Background(), srv.Connection(), func(ev oc.InboundEvent) error {
		convs[ev.ExternalUserID]++
		require.Equal(t, "Khách", ev.Profile.DisplayName)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, convs, 130)
	pages := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, tiktoktest.EndpointConversation) && strings.Contains(r.RawQuery, "conversation_type=STRANGER") {
			pages++
		}
	}
	require.Equal(t, 2, pages, "130 conversations in pages of 100")
}

// Every API call waits for the client-side rate limiter: at one call a second, a second call
// whose context ends in 10 ms is refused before it reaches TikTok.
func TestAPICallsWaitForTheRateLimiter(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	conv := srv.SeedConversation("u1", "Lan", tiktoktest.SeedMessage{FromCustomer: true, Text: "hi", At: time.Now()})
	ch := newAdapter(t, srv, nil, func(c *tiktok.Config) { c.RequestsPerSecond = 1 })
	_, err := ch.FetchProfile(context.Background(), srv.Connection(), conv)
	require.NoError(t, err)
	before := len(srv.Requests())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = ch.FetchProfile(ctx, srv.Connection(), conv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rate limiter")
	assert.Len(t, srv.Requests(), before, "the refused call never reached the provider")
}

// TestTwoEnginesRefreshOnce: two engine instances share one store; both find the token about to
// expire at once; the per-connection lease lets exactly one refresh (TikTok's refresh tokens are
// single use here, so a second refresh would kill the connection).
func TestTwoEnginesRefreshOnce(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	store := memory.New()
	ctx := context.Background()
	var engines []*oc.Engine
	for i := 0; i < 2; i++ {
		router, err := routing.New(routing.Config{})
		require.NoError(t, err)
		eng, err := oc.New(oc.Config{Store: store, Channels: []oc.Channel{newAdapter(t, srv, nil)}, Router: router,
			Blobs: oc.DirBlobStore{Dir: t.TempDir()}, Logger: (&testlog.Buffer{}).Logger()})
		require.NoError(t, err)
		engines = append(engines, eng)
	}
	require.NoError(t, store.Update(ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: ws, ID: "sup", Name: "Sup", Role: oc.RoleSupervisor, Active: true})
	}))
	c := srv.Connection()
	c.WorkspaceID = ws
	c.Credentials.AccessExpiry = time.Now().Add(time.Minute) // inside the refresh skew
	conn, err := engines[0].AddConnection(ctx, "sup", *c)
	require.NoError(t, err)
	hook := serve(http.StripPrefix("/webhooks", engines[0].WebhookHandler()))
	t.Cleanup(hook.Close)
	_, err = srv.CustomerSays(ctx, hook.URL+"/webhooks/tiktok", "u1", "Lan", "Chào shop")
	require.NoError(t, err)
	var convID string
	require.NoError(t, store.View(ctx, func(tx oc.Tx) error {
		id, err := tx.FindIdentity(ws, conn.ID, srv.ConversationID("u1"))
		if err != nil {
			return err
		}
		cv, err := tx.FindConversation(ws, conn.ID, id.ID)
		convID = cv.ID
		return err
	}))
	for _, text := range []string{"một", "hai", "ba", "bốn"} {
		_, err := engines[0].Send(ctx, oc.SendParams{WorkspaceID: ws, ConversationID: convID, UserID: "sup", Text: text})
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for _, eng := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := eng.RunDue(ctx)
				if err != nil || n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	refreshes := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, tiktoktest.EndpointRefresh) {
			refreshes++
		}
	}
	require.Equal(t, 1, refreshes)
	require.Len(t, srv.Sent(), 4)
	var cur *oc.Connection
	require.NoError(t, store.View(ctx, func(tx oc.Tx) (err error) { cur, err = tx.GetConnection(ws, conn.ID); return err }))
	require.Equal(t, oc.ConnectionConnected, cur.Status)
	require.NotEqual(t, c.Credentials.RefreshToken, cur.Credentials.RefreshToken)
}
