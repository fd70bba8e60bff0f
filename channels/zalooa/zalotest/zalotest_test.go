package zalotest_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
)

// The consent page is a real HTML page: it names the OA, escapes what it shows, and its form posts
// the decision back, redirecting to redirect_uri.
func TestConsentPage(t *testing.T) {
	emu := zalotest.New(zalotest.Options{OAName: `Shop <script>alert(1)</script>`})
	defer emu.Close()
	ch, err := zalooa.New(emu.Config())
	require.NoError(t, err)
	authURL := ch.AuthCodeURL(`st"><b>x`, "verifier-0123456789012345678901234567890123", "https://crm.example/cb")

	resp, err := emu.Client().Get(authURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	html := string(page)
	assert.Contains(t, html, "Cho phép")
	assert.Contains(t, html, "Từ chối")
	assert.Contains(t, html, `method="post"`)
	assert.Contains(t, html, "Shop &lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, html, "<script>")
	assert.NotContains(t, html, `st"><b>x`)

	q, err := emu.Consent(context.Background(), authURL)
	require.NoError(t, err)
	assert.Equal(t, `st"><b>x`, q.Get("state"))
	assert.Equal(t, emu.OAID(), q.Get("oa_id"))
	assert.NotEmpty(t, q.Get("code"))

	denied, err := emu.Deny(context.Background(), authURL)
	require.NoError(t, err)
	assert.Equal(t, "access_denied", denied.Get("error"))
	assert.Empty(t, denied.Get("code"))

	// As on Zalo's page (seed guide, step 2): the OA picker, a checkbox per permission and "Đồng ý"
	// come before "Cho phép", and an allow without all of them is refused.
	assert.Contains(t, html, `type="radio" name="oa"`)
	assert.Equal(t, 4, strings.Count(html, `type="checkbox" name="perm"`))
	assert.Contains(t, html, "Đồng ý")
	u, _ := url.Parse(authURL)
	form := u.Query()
	form.Set("decision", "allow")
	form.Set("oa", emu.OAID())
	resp, err = emu.Client().PostForm(emu.URL()+zalotest.PathPermission, form)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "allowed without the permissions and Đồng ý")

	bad := strings.Replace(authURL, "app_id="+emu.AppID(), "app_id=1", 1)
	resp, err = emu.Client().Get(bad)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// A code is single use and bound to its PKCE challenge; the token endpoint wants a form with the
// app secret in secret_key.
func TestTokenEndpoint(t *testing.T) {
	emu := zalotest.New(zalotest.Options{})
	defer emu.Close()
	ch, err := zalooa.New(emu.Config())
	require.NoError(t, err)
	const verifier = "verifier-0123456789012345678901234567890123"
	q, err := emu.Consent(context.Background(), ch.AuthCodeURL("s", verifier, "https://crm.example/cb"))
	require.NoError(t, err)
	post := func(form url.Values, secret, ctype string) string {
		req, _ := http.NewRequest(http.MethodPost, emu.URL()+zalotest.PathAccessToken, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("secret_key", secret)
		resp, err := emu.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "Zalo answers token errors with HTTP 200")
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	form := url.Values{"code": {q.Get("code")}, "app_id": {emu.AppID()}, "grant_type": {"authorization_code"}, "code_verifier": {verifier}}
	assert.Contains(t, post(form, emu.AppSecret(), "application/json"), `"error":-14003`)
	assert.Contains(t, post(form, "wrong", "application/x-www-form-urlencoded"), `"error":-14003`)
	bad := url.Values{"code": {q.Get("code")}, "app_id": {emu.AppID()}, "grant_type": {"authorization_code"}, "code_verifier": {"x"}}
	assert.Contains(t, post(bad, emu.AppSecret(), "application/x-www-form-urlencoded"), "Invalid code_verifier")
	assert.Contains(t, post(form, emu.AppSecret(), "application/x-www-form-urlencoded"), `"access_token":"zat-`)
	assert.Contains(t, post(form, emu.AppSecret(), "application/x-www-form-urlencoded"), "Invalid authorization code", "single use")
}

// Faults are armed per endpoint and consumed one call at a time; requests are recorded.
func TestFaultsAndRecording(t *testing.T) {
	emu := zalotest.New(zalotest.Options{})
	defer emu.Close()
	conn := emu.Connection()
	emu.FailNext(zalotest.PathSend, zalotest.Fault{Code: -32, Message: "limit", Times: 2})
	send := func() string {
		req, _ := http.NewRequest(http.MethodPost, emu.URL()+zalotest.PathSend,
			strings.NewReader(`{"recipient":{"user_id":"u1"},"message":{"text":"hi"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("access_token", conn.Credentials.AccessToken)
		resp, err := emu.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	assert.Contains(t, send(), `"error":-32`)
	assert.Contains(t, send(), `"error":-32`)
	assert.Contains(t, send(), `"error":0`)
	assert.Len(t, emu.Sent(), 1)
	reqs := emu.RequestsTo(zalotest.PathSend)
	require.Len(t, reqs, 3)
	assert.Equal(t, `{"recipient":{"user_id":"u1"},"message":{"text":"hi"}}`, string(reqs[2].Body))

	emu.ExpireAccessTokens()
	assert.Contains(t, send(), `"error":-220`)
}
