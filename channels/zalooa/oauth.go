package zalooa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/dakenh/dakenh/omnichannel"
)

// OAuth v4 for Official Accounts.
const (
	permissionPath  = "/v4/oa/permission"
	accessTokenPath = "/v4/oa/access_token"
	getOAPath       = "/v2.0/oa/getoa"
)

// Codes of the OAuth endpoints worth naming in messages (uncertain, see the package doc).
const (
	codeBadRedirect  = -14003
	codeDeadRefresh  = -14014
	codeInvalidGrant = -118
)

// AuthCodeURL returns the OA permission page an OA admin opens to grant the app:
// {OAuthBaseURL}/v4/oa/permission?app_id&redirect_uri&code_challenge&state, where code_challenge is
// the S256 challenge of codeVerifier (Zalo has no code_challenge_method parameter: S256 is implied).
// The verifier itself never appears. With Config.StateInRedirectURI the state is also added to
// redirect_uri's query.
func (c *Channel) AuthCodeURL(state, codeVerifier, redirectURI string) string {
	if c.cfg.StateInRedirectURI {
		if u, err := url.Parse(redirectURI); err == nil {
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
			redirectURI = u.String()
		}
	}
	q := url.Values{}
	q.Set("app_id", c.cfg.AppID)
	q.Set("redirect_uri", redirectURI)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(codeVerifier))
	q.Set("state", state)
	return c.oauthBase + permissionPath + "?" + q.Encode()
}

// tokenResponse is the token endpoint's answer. On failure it carries error (negative),
// error_name, error_reason and error_description instead, often with HTTP 200.
type tokenResponse struct {
	envelope
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// ExpiresIn is in seconds, a number or a quoted number.
	ExpiresIn flexInt `json:"expires_in"`
}

// Exchange completes a connect flow from Zalo's redirect (code, oa_id; state and code_challenge
// when echoed). It posts code, app_id, grant_type=authorization_code and code_verifier as a form
// to {OAuthBaseURL}/v4/oa/access_token with the app secret in the secret_key header, then reads
// the OA's id, name and avatar from /v2.0/oa/getoa. The connection is identified by oa_id; when the
// callback has none, getoa's oaid is used, and when both are present they must agree.
//
// A callback with "error", without "code", or whose echoed code_challenge does not match the flow's
// verifier is refused without any network call. No error contains the code, the verifier, a token
// or the app secret.
func (c *Channel) Exchange(ctx context.Context, cb omnichannel.CallbackParams) (*omnichannel.Connection, error) {
	q := url.Values(cb.Query)
	if e := q.Get("error"); e != "" {
		msg := "the OA admin did not grant the app access to the Official Account"
		if d := q.Get("error_description"); d != "" {
			msg += ": " + clean(d, 200, nil)
		}
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: clean(e, 64, nil), Message: msg}
	}
	code := q.Get("code")
	if code == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "missing_code",
			Message: "Zalo's callback has no authorization code; start the connection again"}
	}
	// Whether Zalo echoes code_challenge is unsettled: when it does, it must be this flow's.
	if ch := q.Get("code_challenge"); ch != "" && ch != oauth2.S256ChallengeFromVerifier(cb.CodeVerifier) {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "challenge_mismatch",
			Message: "Zalo's callback belongs to another connect flow; start the connection again"}
	}
	tok, err := c.token(ctx, "exchange code", map[string]string{
		"code": code, "app_id": c.cfg.AppID, "grant_type": "authorization_code", "code_verifier": cb.CodeVerifier,
	}, code, cb.CodeVerifier)
	if err != nil {
		return nil, err
	}
	now := c.now()
	conn := &omnichannel.Connection{
		Kind:        Kind,
		ExternalID:  q.Get("oa_id"),
		Status:      omnichannel.ConnectionConnected,
		Credentials: credentialsFrom(tok, now),
	}
	info, infoErr := c.oaInfo(ctx, tok.AccessToken)
	switch {
	case infoErr == nil && conn.ExternalID != "" && info.OAID != "" && info.OAID != conn.ExternalID:
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "oa_mismatch",
			Message: "the token Zalo issued belongs to another Official Account than the callback names"}
	case infoErr == nil:
		if conn.ExternalID == "" {
			conn.ExternalID = info.OAID
		}
		conn.DisplayName, conn.AvatarURL = clean(info.Name, 120, nil), info.Avatar
	case conn.ExternalID == "":
		return nil, fmt.Errorf("zalooa: the callback has no oa_id and the OA could not be looked up: %w", infoErr)
	default:
		c.log.WarnContext(ctx, "zalooa: OA details unavailable after connect", "oa", conn.ExternalID, "err", infoErr)
	}
	if conn.ExternalID == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "missing_oa_id",
			Message: "Zalo did not say which Official Account was connected"}
	}
	if conn.DisplayName == "" {
		conn.DisplayName = "Zalo OA " + conn.ExternalID
	}
	return conn, nil
}

// RefreshTokens posts refresh_token, app_id and grant_type=refresh_token as a form to
// {OAuthBaseURL}/v4/oa/access_token (secret_key header) and returns the new pair. Zalo's refresh
// token is single-use: once this returns, the old pair is dead, so the caller must save the result
// before using it (the engine does). conn is not modified.
//
// An answer without an access token is an error, whatever its HTTP status: one carrying a Zalo
// error code (for example -14014 or -118 for a spent, expired or revoked refresh token) wraps
// omnichannel.ErrNeedsReconnect; throttling (-32, 429) and provider trouble (5xx) are retryable;
// an unreadable answer is a retryable "bad_response". Network failures are plain errors.
func (c *Channel) RefreshTokens(ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
	if conn == nil || conn.Credentials.RefreshToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: Kind, Code: "no_refresh_token",
			Message: "the connection has no refresh token; an OA admin must reconnect it", Class: omnichannel.ErrNeedsReconnect}
	}
	old := conn.Credentials
	tok, err := c.token(ctx, "refresh token", map[string]string{
		"refresh_token": old.RefreshToken, "app_id": c.cfg.AppID, "grant_type": "refresh_token",
	}, old.RefreshToken, old.AccessToken)
	var pe *omnichannel.ProviderError
	if errors.As(err, &pe) && pe.Code != "bad_response" && !pe.Retryable {
		pe.Class = omnichannel.ErrNeedsReconnect
		pe.Message = "Zalo refused the refresh token (spent, expired or revoked); an OA admin must reconnect the account. " + pe.Message
	}
	if err != nil {
		return omnichannel.Credentials{}, err
	}
	creds := credentialsFrom(tok, c.now())
	if creds.RefreshToken == "" {
		creds.RefreshToken, creds.RefreshExpiry = old.RefreshToken, old.RefreshExpiry
	}
	creds.Scopes = append([]string(nil), old.Scopes...)
	if len(old.Extra) > 0 {
		creds.Extra = make(map[string]string, len(old.Extra))
		for k, v := range old.Extra {
			creds.Extra[k] = v
		}
	}
	return creds, nil
}

func credentialsFrom(tok *tokenResponse, now time.Time) omnichannel.Credentials {
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = AccessTokenLifetime
	}
	creds := omnichannel.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, AccessExpiry: now.Add(life)}
	if tok.RefreshToken != "" {
		creds.RefreshExpiry = now.Add(RefreshTokenLifetime)
	}
	return creds
}

// token posts form to the token endpoint and returns an answer that has an access token, or a
// *omnichannel.ProviderError. secrets are removed from any provider text kept in the error.
func (c *Channel) token(ctx context.Context, op string, form map[string]string, secrets ...string) (*tokenResponse, error) {
	resp, err := c.do(ctx, request{method: http.MethodPost, url: c.oauthBase + accessTokenPath, op: op, form: form})
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, c.cfg.AppSecret)
	var tok tokenResponse
	decodeErr := json.Unmarshal(resp.body, &tok)
	if decodeErr == nil && tok.AccessToken != "" && tok.Error == 0 && resp.status/100 == 2 {
		return &tok, nil
	}
	if decodeErr == nil && (tok.Error != 0 || resp.status/100 != 2) {
		pe := classify(resp.status, resp.header, &tok.envelope, secrets...)
		if tokenCodes[int64(tok.Error)] || resp.status == http.StatusUnauthorized {
			pe.Class, pe.Retryable = nil, false // the token endpoint takes no access token
		}
		switch int64(tok.Error) {
		case codeBadRedirect:
			pe.Message += " (the redirect URI must equal the app's Official Account Callback URL)"
		case codeDeadRefresh, codeInvalidGrant:
			pe.Message += " (invalid grant)"
		}
		return nil, pe
	}
	if resp.status/100 != 2 {
		return nil, classify(resp.status, resp.header, &envelope{}, secrets...)
	}
	// HTTP 200 without an access token and without an error code: never take it for tokens.
	pe := badResponse(op, resp.status)
	pe.Message = "Zalo's token endpoint answered without an access token"
	pe.Retryable = true
	return nil, pe
}

// oaInfo is /v2.0/oa/getoa's data (note "oaid", not "oa_id").
type oaInfo struct {
	OAID   string     `json:"-"`
	RawID  flexString `json:"oaid"`
	Name   string     `json:"name"`
	Avatar string     `json:"avatar"`
}

func (c *Channel) oaInfo(ctx context.Context, accessToken string) (*oaInfo, error) {
	data, err := c.apiCall(ctx, request{method: http.MethodGet, url: c.apiBase + getOAPath, op: "get OA", token: accessToken})
	if err != nil {
		return nil, err
	}
	var info oaInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, badResponse("get OA", http.StatusOK)
	}
	info.OAID = string(info.RawID)
	return &info, nil
}
