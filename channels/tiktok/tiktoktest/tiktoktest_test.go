package tiktoktest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
)

// TestConsentPageInABrowserFlow drives the HTML consent page as a browser does: GET the page,
// submit its form with one box unchecked, follow the redirect to the CRM.
func TestConsentPageInABrowserFlow(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	var landed url.Values
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { landed = r.URL.Query() }))
	t.Cleanup(crm.Close)
	ch, err := tiktok.New(srv.Config())
	require.NoError(t, err)
	authURL := ch.AuthCodeURL("state-<x>", "", crm.URL+"/cb?tenant=7")

	resp, err := http.Get(authURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	html := string(page)
	for _, want := range []string{"dakenh inbox (demo)", "Shop Hoa Mai", `type="checkbox" name="scope" value="message.list.send" checked`,
		`value="authorize"`, `value="cancel"`, `method="post"`, "state-&lt;x&gt;"} {
		require.Contains(t, html, want)
	}

	form := url.Values{"client_key": {srv.ClientKey()}, "redirect_uri": {crm.URL + "/cb?tenant=7"}, "state": {"state-<x>"},
		"scope": {"message.list.read", "message.list.manage"}, "action": {"authorize"}}
	resp, err = http.PostForm(srv.AuthorizeURL(), form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "7", landed.Get("tenant"), "the redirect keeps the redirect URI's own query")
	require.Equal(t, "state-<x>", landed.Get("state"))
	require.NotEmpty(t, landed.Get("code"))
	require.Equal(t, "message.list.read,message.list.manage", landed.Get("scopes"))

	form.Set("action", "cancel")
	resp, err = http.PostForm(srv.AuthorizeURL(), form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "access_denied", landed.Get("error"))
	require.Empty(t, landed.Get("code"))

	resp, err = http.Get(strings.Replace(authURL, "client_key="+srv.ClientKey(), "client_key=other", 1))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// TestWebhooksAreSignedAsTikTokDoes checks a delivery independently of the adapter.
func TestWebhooksAreSignedAsTikTokDoes(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{})
	t.Cleanup(srv.Close)
	var header http.Header
	var body []byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header, body = r.Header, must(io.ReadAll(r.Body))
	}))
	t.Cleanup(hook.Close)
	before := time.Now().Unix()
	_, err := srv.CustomerSays(context.Background(), hook.URL, "u1", "Lan", "hi")
	require.NoError(t, err)
	sig := header.Get("TikTok-Signature")
	require.Regexp(t, `^t=\d+,s=[0-9a-f]{64}$`, sig)
	var ts int64
	_, err = fmt.Sscanf(sig, "t=%d,", &ts)
	require.NoError(t, err)
	require.GreaterOrEqual(t, ts, before)
	require.Equal(t, sig, tiktok.Signature(srv.ClientSecret(), time.Unix(ts, 0), body))
	require.Contains(t, string(body), `"content":"{\"conversation_id\":`, "content is a JSON string")

	// A refusing receiver is reported.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	t.Cleanup(refuse.Close)
	_, err = srv.CustomerSays(context.Background(), refuse.URL, "u1", "Lan", "hi")
	var we *tiktoktest.WebhookError
	require.ErrorAs(t, err, &we)
	require.Equal(t, http.StatusUnauthorized, we.Status)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
