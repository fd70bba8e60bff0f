package inboxapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// oauthStates counts the pending connect flows of workspace A (a state is taken by its callback).
func (e *env) oauthStates(t *testing.T, states ...string) int {
	t.Helper()
	n := 0
	for _, s := range states {
		require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
			st, err := tx.TakeOAuthState(s)
			if err == nil {
				n++
				return tx.InsertOAuthState(st) // put it back: only counting
			}
			return nil
		}))
	}
	return n
}

// The OAuth redirect URI never comes from the request's Host header: without Config.PublicURL a
// connect flow is refused (422 unsupported, naming the setting; no state stored, the provider never
// asked); with it, a
// forged Host changes nothing.
func TestConnectRedirectURINeverFromHostHeader(t *testing.T) {
	e := newEnv(t)
	api, err := inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: inboxapi.AuthenticatorFunc(headerAuth), Logger: e.logs.Logger()})
	require.NoError(t, err)
	req := httptest.NewRequest("POST", "http://evil.example/connections/fake/connect", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(userHeader, supA)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	checkRecorded(t, "POST", "/connections/fake/connect", rec)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"code":"unsupported"`)
	assert.Contains(t, rec.Body.String(), "Config.PublicURL")
	assert.NotContains(t, rec.Body.String(), "evil.example")
	assert.NotContains(t, e.logs.String(), "evil.example")
	for _, r := range e.prov.Requests() {
		assert.NotContains(t, r.Path, "token", "the provider was asked: %+v", r)
	}

	// With PublicURL, a forged Host (as a proxy may pass it through) is ignored.
	req = e.request("POST", "/connections/fake/connect", supA, inboxapi.ConnectRequest{})
	req.Host = "evil.example"
	r := e.do(req)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var out inboxapi.ConnectURL
	r.decode(t, &out)
	cu, err := url.Parse(out.URL)
	require.NoError(t, err)
	assert.Equal(t, e.api.URL+"/api/connect/callback/fake", cu.Query().Get("redirect_uri"))
	assert.NotContains(t, out.URL, "evil.example")
}

// Another signed-in user who opens the admin's callback URL (a shared link, a forwarded URL) gets
// bad_state and does not spoil the admin's flow: the admin's callback still connects, once.
func TestConnectCallbackOfAnotherUserDoesNotSpoilTheFlow(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: wsA, ID: "sup2", Name: "Phó Giám Sát", Role: oc.RoleSupervisor, Active: true})
	}))
	consent, cookies := e.startConnect(supA, inboxapi.ConnectRequest{})
	q, err := e.prov.Consent(e.ctx, consent)
	require.NoError(t, err)
	for _, other := range []string{wsA + "/sup2", agent1, supB} {
		loc := e.callback(other, q, nil)
		assert.Equal(t, "bad_state", loc.Query().Get("connect_error"), other)
	}
	assert.Equal(t, 1, e.oauthStates(t, q.Get("state")), "the state is still there for its owner")
	loc := e.callback(supA, q, cookies)
	assert.Equal(t, e.connA.ID, loc.Query().Get("connected"), loc.String())
	assert.Equal(t, 0, e.oauthStates(t, q.Get("state")), "used once")
	assert.Equal(t, "bad_state", e.callback(supA, q, nil).Query().Get("connect_error"), "replayed")
}
