package zalooa_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func TestAuthCodeURL(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	raw := newChannel(t, s, nil).AuthCodeURL("st-123", verifier, callback)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, s.URL()+zalotest.PathPermission, u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, url.Values{
		"app_id":         {fxApp},
		"redirect_uri":   {callback},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"state":          {"st-123"},
	}, u.Query(), "the four parameters of the OA permission URL; S256 is implied")
	assert.NotContains(t, raw, verifier)

	withState := newChannel(t, s, nil, func(c *zalooa.Config) { c.StateInRedirectURI = true }).AuthCodeURL("st-123", verifier, callback)
	u, _ = url.Parse(withState)
	assert.Equal(t, callback+"?state=st-123", u.Query().Get("redirect_uri"))
}

// The code exchange posts exactly the documented form, with the app secret in secret_key.
func TestExchange(t *testing.T) {
	for _, numeric := range []bool{false, true} {
		t.Run("numeric expires_in="+map[bool]string{false: "no", true: "yes"}[numeric], func(t *testing.T) {
			s := newEmulator(t, zalotest.Options{NumericExpiresIn: numeric, OAAvatar: "https://s160-ava-talk.zadn.vn/oa.jpg"})
			ch := newChannel(t, s, nil)
			ctx := context.Background()
			q, err := s.Consent(ctx, ch.AuthCodeURL("st-1", verifier, callback))
			require.NoError(t, err)
			assert.Equal(t, "st-1", q.Get("state"))
			conn, err := ch.Exchange(ctx, oc.CallbackParams{Query: q, CodeVerifier: verifier, RedirectURI: callback})
			require.NoError(t, err)

			reqs := s.RequestsTo(zalotest.PathAccessToken)
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			assert.Equal(t, s.AppSecret(), r.Header.Get("secret_key"))
			assert.Empty(t, r.Header.Get("Authorization"), "the secret is not Basic auth")
			form, err := url.ParseQuery(string(r.Body))
			require.NoError(t, err)
			assert.Equal(t, url.Values{"code": {q.Get("code")}, "app_id": {fxApp}, "grant_type": {"authorization_code"},
				"code_verifier": {verifier}}, form)
			assert.Equal(t, conn.Credentials.AccessToken, s.RequestsTo(zalotest.PathGetOA)[0].Header.Get("access_token"))

			assert.Equal(t, zalooa.Kind, conn.Kind)
			assert.Equal(t, fxOA, conn.ExternalID)
			assert.Equal(t, zalotest.DefaultOAName, conn.DisplayName)
			assert.Equal(t, "https://s160-ava-talk.zadn.vn/oa.jpg", conn.AvatarURL)
			assert.WithinDuration(t, time.Now().Add(25*time.Hour), conn.Credentials.AccessExpiry, time.Minute)
			assert.WithinDuration(t, time.Now().Add(90*24*time.Hour), conn.Credentials.RefreshExpiry, time.Minute)
			assert.NotEmpty(t, conn.Credentials.RefreshToken)
		})
	}
}

func TestExchangeRefusals(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	ctx := context.Background()

	denied, err := s.Deny(ctx, ch.AuthCodeURL("st-1", verifier, callback))
	require.NoError(t, err)
	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: denied, CodeVerifier: verifier})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not grant")

	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: url.Values{"oa_id": {fxOA}}, CodeVerifier: verifier})
	assert.ErrorContains(t, err, "no authorization code")

	// A callback of another flow (its echoed challenge is not ours) is refused before any call.
	other, err := s.Consent(ctx, ch.AuthCodeURL("st-2", "another-verifier-"+strings.Repeat("z", 30), callback))
	require.NoError(t, err)
	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: other, CodeVerifier: verifier})
	assert.ErrorContains(t, err, "another connect flow")
	assert.Empty(t, s.RequestsTo(zalotest.PathAccessToken))

	// A code exchanged with the wrong verifier is refused by Zalo.
	q, err := s.Consent(ctx, ch.AuthCodeURL("st-3", verifier, callback))
	require.NoError(t, err)
	q.Del("code_challenge") // the echo is uncertain: without it the check falls to Zalo
	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: q, CodeVerifier: "wrong-" + verifier})
	var pe *oc.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "-14003", pe.Code)
	assert.NotContains(t, err.Error(), q.Get("code"))

	// Without oa_id on the callback, getoa names the OA.
	q, err = s.Consent(ctx, ch.AuthCodeURL("st-4", verifier, callback))
	require.NoError(t, err)
	q.Del("oa_id")
	conn, err := ch.Exchange(ctx, oc.CallbackParams{Query: q, CodeVerifier: verifier})
	require.NoError(t, err)
	assert.Equal(t, fxOA, conn.ExternalID)

	// A callback naming another OA than the token's is refused.
	q, err = s.Consent(ctx, ch.AuthCodeURL("st-5", verifier, callback))
	require.NoError(t, err)
	q.Set("oa_id", "999")
	_, err = ch.Exchange(ctx, oc.CallbackParams{Query: q, CodeVerifier: verifier})
	assert.ErrorContains(t, err, "another Official Account")
}

// Refreshing posts the refresh form, rotates both tokens and kills the old pair.
func TestRefreshTokens(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	ctx := context.Background()
	conn := s.Connection()
	conn.Credentials.Scopes = []string{"send"}
	creds, err := ch.RefreshTokens(ctx, conn)
	require.NoError(t, err)

	r := s.RequestsTo(zalotest.PathAccessToken)[0]
	assert.Equal(t, s.AppSecret(), r.Header.Get("secret_key"))
	form, _ := url.ParseQuery(string(r.Body))
	assert.Equal(t, url.Values{"refresh_token": {conn.Credentials.RefreshToken}, "app_id": {fxApp}, "grant_type": {"refresh_token"}}, form)
	assert.NotEqual(t, conn.Credentials.AccessToken, creds.AccessToken)
	assert.NotEqual(t, conn.Credentials.RefreshToken, creds.RefreshToken)
	assert.Equal(t, []string{"send"}, creds.Scopes)
	assert.Equal(t, zalooa.DefaultRefreshSkew, ch.RefreshSkew())

	_, err = ch.RefreshTokens(ctx, conn)
	assert.ErrorIs(t, err, oc.ErrNeedsReconnect, "a refresh token is single use")
	_, err = ch.Send(ctx, conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	assert.ErrorIs(t, err, oc.ErrTokenExpired, "the replaced access token is dead too")
	fresh := *conn
	fresh.Credentials = creds
	_, err = ch.Send(ctx, &fresh, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	assert.NoError(t, err)

	_, err = ch.RefreshTokens(ctx, &oc.Connection{})
	assert.ErrorIs(t, err, oc.ErrNeedsReconnect)
}

// Token endpoint answers: only one with an access token is a success, whatever the HTTP status;
// error codes mean reconnect, throttling and server trouble do not.
func TestRefreshTokenAnswers(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		reconnect bool
		retryable bool
	}{
		{"dead refresh token, HTTP 200", 200, `{"error":-14014,"error_name":"Invalid refresh token","error_description":"Invalid refresh token"}`, true, false},
		{"invalid grant, HTTP 400", 400, `{"error":-118,"error_name":"invalid_grant"}`, true, false},
		{"error as a string", 200, `{"error":"-14014","error_description":"expired"}`, true, false},
		{"throttled", 200, `{"error":-32,"message":"reached limit"}`, false, true},
		{"server error", 502, `bad gateway`, false, true},
		{"empty object", 200, `{}`, false, true},
		{"empty access token", 200, `{"access_token":"","refresh_token":"r","expires_in":"90000"}`, false, true},
		{"not JSON", 200, `<html>maintenance</html>`, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			ch, err := zalooa.New(zalooa.Config{AppID: fxApp, AppSecret: "app-secret-xyz", OASecretKey: "oa-key",
				OAuthBaseURL: srv.URL, APIBaseURL: srv.URL, HTTPClient: srv.Client()})
			require.NoError(t, err)
			conn := &oc.Connection{Credentials: oc.Credentials{AccessToken: "old-access-123", RefreshToken: "old-refresh-123"}}
			creds, err := ch.RefreshTokens(context.Background(), conn)
			require.Error(t, err)
			assert.Empty(t, creds.AccessToken, "never tokens from a failed answer")
			assert.Equal(t, tc.reconnect, errors.Is(err, oc.ErrNeedsReconnect))
			assert.Equal(t, tc.retryable, oc.IsRetryable(err))
			assert.NotContains(t, err.Error(), "old-refresh-123")
			assert.NotContains(t, err.Error(), "app-secret-xyz")
		})
	}
}

func TestNewValidatesEverything(t *testing.T) {
	_, err := zalooa.New(zalooa.Config{APIBaseURL: "ftp://x", OAuthBaseURL: "https://o.example/?q=1", RefreshSkew: -1,
		ExtraOASecretKeys: []string{""}})
	require.Error(t, err)
	for _, want := range []string{"AppID", "AppSecret", "OASecretKey", "ExtraOASecretKeys[0]", "APIBaseURL", "OAuthBaseURL", "RefreshSkew"} {
		assert.Contains(t, err.Error(), want)
	}
	ch, err := zalooa.New(zalooa.Config{AppID: "1", AppSecret: "2", OASecretKey: "3"})
	require.NoError(t, err)
	assert.Equal(t, zalooa.Kind, ch.Kind())
	assert.True(t, strings.HasPrefix(ch.AuthCodeURL("s", verifier, callback), zalooa.DefaultOAuthBaseURL+"/v4/oa/permission?"))
}
