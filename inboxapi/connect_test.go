package inboxapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// startConnect runs POST /connections/fake/connect as user and returns the consent URL and the
// cookie the browser keeps.
func (e *env) startConnect(user string, req inboxapi.ConnectRequest) (string, []*http.Cookie) {
	e.t.Helper()
	r := e.call("POST", "/connections/fake/connect", user, req)
	require.Equal(e.t, http.StatusOK, r.status, "body: %s", r.body)
	var out inboxapi.ConnectURL
	r.decode(e.t, &out)
	return out.URL, (&http.Response{Header: r.header}).Cookies()
}

// callback plays the browser coming back from the provider and returns the redirect target.
func (e *env) callback(user string, query url.Values, cookies []*http.Cookie) *url.URL {
	e.t.Helper()
	req := e.request("GET", "/connect/callback/fake?"+query.Encode(), user, nil)
	for _, c := range cookies {
		if c.MaxAge >= 0 {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	r := e.do(req)
	require.Equal(e.t, http.StatusSeeOther, r.status, "body: %s", r.body)
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(e.t, err)
	return loc
}

func TestConnectFlow(t *testing.T) {
	e := newEnv(t)
	consent, cookies := e.startConnect(supA, inboxapi.ConnectRequest{RedirectPath: "/settings/channels?tab=zalo"})
	cu, err := url.Parse(consent)
	require.NoError(t, err)
	assert.Equal(t, e.api.URL+"/api/connect/callback/fake", cu.Query().Get("redirect_uri"))
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].HttpOnly)
	assert.Equal(t, "/api/connect/callback/", cookies[0].Path)

	q, err := e.prov.Consent(e.ctx, consent)
	require.NoError(t, err)
	loc := e.callback(supA, q, cookies)
	assert.Equal(t, "/settings/channels", loc.Path)
	assert.Equal(t, "zalo", loc.Query().Get("tab"))
	assert.Equal(t, e.connA.ID, loc.Query().Get("connected"), "the provider's account was already connected: it is refreshed")

	// A state is single use; without the cookie the browser goes to Config.AfterConnect.
	loc = e.callback(supA, q, nil)
	assert.Equal(t, "/settings", loc.Path)
	assert.Equal(t, "bad_state", loc.Query().Get("connect_error"))

	// The account owner refuses.
	e.prov.DenyConsent(true)
	consent, _ = e.startConnect(supA, inboxapi.ConnectRequest{})
	q, err = e.prov.Consent(e.ctx, consent)
	require.NoError(t, err)
	assert.Equal(t, "denied", e.callback(supA, q, nil).Query().Get("connect_error"))
	e.prov.DenyConsent(false)

	// A flow started by workspace B's supervisor cannot be completed by A's.
	consent, _ = e.startConnect(supB, inboxapi.ConnectRequest{})
	q, err = e.prov.Consent(e.ctx, consent)
	require.NoError(t, err)
	assert.Equal(t, "bad_state", e.callback(supA, q, nil).Query().Get("connect_error"))

	// An unknown channel kind.
	r := e.do(e.request("GET", "/connect/callback/nope?state=x", supA, nil))
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Contains(t, r.header.Get("Location"), "connect_error=unknown_channel")
}

func TestConnectUsesPublicURL(t *testing.T) {
	e := newEnv(t, func(_ *oc.Config, c *inboxapi.Config) {
		c.PublicURL = "https://crm.example/api"
		c.AfterConnect = "https://crm.example/app/settings"
	})
	consent, cookies := e.startConnect(supA, inboxapi.ConnectRequest{})
	cu, err := url.Parse(consent)
	require.NoError(t, err)
	assert.Equal(t, "https://crm.example/api/connect/callback/fake", cu.Query().Get("redirect_uri"))
	require.Len(t, cookies, 1)
	assert.Equal(t, -1, cookies[0].MaxAge, "no redirectPath: the cookie is cleared")
	q, err := e.prov.Consent(e.ctx, consent)
	require.NoError(t, err)
	loc := e.callback(supA, q, nil)
	assert.Equal(t, "https://crm.example/app/settings?connected="+e.connA.ID, loc.String())
}
