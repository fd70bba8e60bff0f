package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// tokenData is the data of tt_user/oauth2/token/ and refresh_token/ (documented by the provider).
type tokenData struct {
	AccessToken           string          `json:"access_token"`
	ExpiresIn             flexInt         `json:"expires_in"`
	RefreshToken          string          `json:"refresh_token"`
	RefreshTokenExpiresIn flexInt         `json:"refresh_token_expires_in"`
	OpenID                string          `json:"open_id"`
	Scope                 json.RawMessage `json:"scope"`
	TokenType             string          `json:"token_type"`
}

// scopes reads scope as a comma-separated string (what Chatwoot sees) or a JSON list (uncertain:
// one SDK models it as a list).
func (t *tokenData) scopes() []string {
	var s string
	var list []string
	if err := json.Unmarshal(t.Scope, &s); err != nil {
		if err := json.Unmarshal(t.Scope, &list); err != nil {
			return nil
		}
	} else {
		list = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// credentials turns a token answer into Credentials, with expiries from the answer (never
// assumed: a missing expires_in leaves the expiry zero, "unknown").
func (c *Channel) credentials(t *tokenData) omnichannel.Credentials {
	now := c.now()
	return omnichannel.Credentials{
		AccessToken:   t.AccessToken,
		RefreshToken:  t.RefreshToken,
		AccessExpiry:  expiry(now, int64(t.ExpiresIn)),
		RefreshExpiry: expiry(now, int64(t.RefreshTokenExpiresIn)),
		Scopes:        t.scopes(),
	}
}

func expiry(now time.Time, secs int64) time.Time {
	if secs <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(secs) * time.Second)
}

// AuthCodeURL returns the TikTok consent page:
// {AuthorizeURL}?client_key=…&response_type=code&scope=<comma list>&redirect_uri=…&state=…
// TikTok's Business Messaging consent takes no PKCE challenge, so codeVerifier is not used (and
// never appears in the URL); the engine's single-use state, bound to the user, protects the flow.
func (c *Channel) AuthCodeURL(state, codeVerifier, redirectURI string) string {
	_ = codeVerifier
	q := url.Values{}
	q.Set("client_key", c.cfg.ClientKey)
	q.Set("response_type", "code")
	q.Set("scope", strings.Join(c.cfg.Scopes, ","))
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	sep := "?"
	if strings.Contains(c.authorize, "?") {
		sep = "&"
	}
	return c.authorize + sep + q.Encode()
}

// Exchange completes a connect flow. The callback's code is read from "code", or from
// "auth_code" (uncertain which one TikTok's business redirect uses: both are accepted), and posted
// as JSON {client_id, client_secret, grant_type:"authorization_code", auth_code, redirect_uri}
// to {APIBaseURL}/tt_user/oauth2/token/. open_id becomes the connection's ExternalID (the
// business_id of every later call); the account's display name and avatar come from
// /business/get/ (a failure there only leaves them generic).
//
// A callback with "error" (the owner pressed Cancel), without a code, or whose granted scopes lack
// one of Config.RequiredScopes returns a readable *omnichannel.ProviderError naming the problem
// (and the missing scopes), never the code or a token.
func (c *Channel) Exchange(ctx context.Context, cb omnichannel.CallbackParams) (*omnichannel.Connection, error) {
	q := url.Values(cb.Query)
	if e := q.Get("error"); e != "" {
		msg := "the TikTok account owner did not grant access"
		if e != "access_denied" {
			msg = "TikTok refused the connection"
		}
		if d := q.Get("error_description"); d != "" {
			msg += ": " + c.clean(d, 200, "")
		}
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: safeWord(e), Message: msg}
	}
	code := q.Get("code")
	if code == "" {
		code = q.Get("auth_code")
	}
	if code == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "missing_code",
			Message: "the TikTok callback has no authorization code"}
	}
	data, err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/tt_user/oauth2/token/", json: map[string]string{
		"client_id": c.cfg.ClientKey, "client_secret": c.cfg.ClientSecret, "grant_type": "authorization_code",
		"auth_code": code, "redirect_uri": cb.RedirectURI,
	}})
	if err != nil {
		return nil, c.tokenError("exchanging the authorization code", err, code)
	}
	var tok tokenData
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" || tok.OpenID == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "TikTok's token answer has no access token or open_id"}
	}
	creds := c.credentials(&tok)
	if missing := c.missingScopes(creds.Scopes); len(missing) > 0 {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "scope_not_granted",
			Message: fmt.Sprintf("the TikTok account did not grant the permissions the inbox needs (%s); connect again and keep them checked",
				strings.Join(missing, ", "))}
	}
	conn := &omnichannel.Connection{Kind: Kind, ExternalID: tok.OpenID, Status: omnichannel.ConnectionConnected,
		Credentials: creds, DisplayName: "TikTok " + tail(tok.OpenID)}
	if acc, err := c.account(ctx, tok.OpenID, tok.AccessToken); err == nil {
		if n := firstNonEmpty(acc.DisplayName, acc.Username); n != "" {
			conn.DisplayName = n
		}
		conn.AvatarURL = acc.ProfileImage
		if acc.Username != "" {
			conn.Settings = map[string]string{"username": acc.Username}
		}
	} else {
		c.log.Warn("tiktok: account details unavailable", "business", tok.OpenID, "err", err)
	}
	return conn, nil
}

// missingScopes lists the required scopes not in granted. An answer without any scope list is
// accepted (uncertain whether every answer carries it); API calls then report what is missing.
func (c *Channel) missingScopes(granted []string) []string {
	if len(granted) == 0 {
		return nil
	}
	var missing []string
	for _, s := range c.cfg.RequiredScopes {
		if !containsFold(granted, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// RefreshTokens posts {client_id, client_secret, grant_type:"refresh_token", refresh_token} to
// {APIBaseURL}/tt_user/oauth2/refresh_token/ and returns the new credentials with the expiries
// TikTok returned. The refresh token in the answer replaces the old one every time (TikTok may
// rotate it); the old one is kept only when the answer has none. A refresh token that TikTok
// refuses, or that is past its RefreshExpiry, returns an error wrapping
// omnichannel.ErrNeedsReconnect; throttling and TikTok failures are retryable errors.
func (c *Channel) RefreshTokens(ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
	if conn == nil || conn.Credentials.RefreshToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: Kind, Code: "no_refresh_token",
			Message: "the TikTok connection has no refresh token; reconnect the account", Class: omnichannel.ErrNeedsReconnect}
	}
	old := conn.Credentials
	if !old.RefreshExpiry.IsZero() && !c.now().Before(old.RefreshExpiry) {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: Kind, Code: "refresh_token_expired",
			Message: "the TikTok authorization expired; reconnect the account", Class: omnichannel.ErrNeedsReconnect}
	}
	data, err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/tt_user/oauth2/refresh_token/", json: map[string]string{
		"client_id": c.cfg.ClientKey, "client_secret": c.cfg.ClientSecret, "grant_type": "refresh_token",
		"refresh_token": old.RefreshToken,
	}})
	if err != nil {
		err = c.tokenError("refreshing the access token", err, old.RefreshToken, old.AccessToken)
		var pe *omnichannel.ProviderError
		if errors.As(err, &pe) && !pe.Retryable && !errors.Is(pe, omnichannel.ErrRateLimited) {
			pe.Class = omnichannel.ErrNeedsReconnect
			pe.Message = "TikTok refused the refresh token (revoked, expired or already used); reconnect the account: " + pe.Message
		}
		return omnichannel.Credentials{}, err
	}
	var tok tokenData
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "TikTok's refresh answer has no access token", Retryable: true}
	}
	creds := c.credentials(&tok)
	if creds.RefreshToken == "" {
		creds.RefreshToken = old.RefreshToken
		creds.RefreshExpiry = old.RefreshExpiry
	}
	if len(creds.Scopes) == 0 {
		creds.Scopes = append([]string(nil), old.Scopes...)
	}
	if len(old.Extra) > 0 {
		creds.Extra = make(map[string]string, len(old.Extra))
		for k, v := range old.Extra {
			creds.Extra[k] = v
		}
	}
	return creds, nil
}

// tokenError classifies a failure of a token endpoint: a refused grant is final (not a token
// expiry of the call itself); throttling and 5xx stay retryable. secrets are scrubbed.
func (c *Channel) tokenError(what string, err error, secrets ...string) error {
	var pe *omnichannel.ProviderError
	if !errors.As(err, &pe) {
		msg := err.Error()
		for _, s := range secrets {
			if s != "" {
				msg = strings.ReplaceAll(msg, s, "[redacted]")
			}
		}
		return fmt.Errorf("tiktok: %s: %s", what, msg)
	}
	for _, s := range secrets {
		if s != "" {
			pe.Message = strings.ReplaceAll(pe.Message, s, "[redacted]")
		}
	}
	if errors.Is(pe, omnichannel.ErrTokenExpired) {
		pe.Class, pe.Retryable = nil, false
	}
	pe.Message = what + ": " + pe.Message
	return pe
}

// accountData is /business/get/'s data.
type accountData struct {
	Username     string `json:"username"`
	DisplayName  string `json:"display_name"`
	ProfileImage string `json:"profile_image"`
}

// account fetches the business account's names and avatar.
func (c *Channel) account(ctx context.Context, businessID, token string) (*accountData, error) {
	q := url.Values{}
	q.Set("business_id", businessID)
	q.Set("fields", `["username","display_name","profile_image"]`)
	data, err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/business/get/", token: token, query: q})
	if err != nil {
		return nil, err
	}
	var a accountData
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "undecodable account details"}
	}
	return &a, nil
}

func tail(s string) string {
	if len(s) > 6 {
		return s[len(s)-6:]
	}
	return s
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
