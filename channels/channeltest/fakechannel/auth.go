package fakechannel

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// RefreshSkew is how long before the access token expires the engine should refresh it.
const RefreshSkew = 5 * time.Minute

// tokenResponse is the answer of POST /token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// ExpiresIn is in seconds; the provider may send a number or a quoted number.
	ExpiresIn   flexInt `json:"expires_in"`
	AccountID   string  `json:"account_id"`
	AccountName string  `json:"account_name"`
}

// flexInt decodes 3600 and "3600" alike.
type flexInt int64

// UnmarshalJSON accepts a JSON number or a string holding one.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// AuthCodeURL returns the provider's consent page:
// {BaseURL}/consent?client_id=fake&code_challenge=<S256(codeVerifier)>&code_challenge_method=S256&redirect_uri=…&state=…
// The verifier itself never appears in the URL.
func (c *Channel) AuthCodeURL(state, codeVerifier, redirectURI string) string {
	q := url.Values{}
	q.Set("client_id", ClientID)
	q.Set("state", state)
	q.Set("code_challenge", CodeChallenge(codeVerifier))
	q.Set("code_challenge_method", "S256")
	q.Set("redirect_uri", redirectURI)
	return c.endpoint("/consent") + "?" + q.Encode()
}

// CodeChallenge returns the PKCE S256 challenge of verifier: base64url (no padding) of its SHA-256.
func CodeChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Exchange completes a connect flow. It reads "code" from the callback query and posts
// grant_type=authorization_code with the code, the PKCE verifier and the redirect URI to
// {BaseURL}/token. It returns a Connection with Kind, ExternalID (account_id), DisplayName
// (account_name), Status connected and Credentials set. A callback carrying "error" (for example
// access_denied when the owner refused) or lacking "code" returns a readable error without any
// network call; a refused exchange returns a *omnichannel.ProviderError. No error contains the code,
// the verifier or a token.
func (c *Channel) Exchange(ctx context.Context, cb omnichannel.CallbackParams) (*omnichannel.Connection, error) {
	q := url.Values(cb.Query)
	if e := q.Get("error"); e != "" {
		msg := "the account owner did not grant access"
		if e != "access_denied" {
			msg = "the provider refused the connection"
		}
		if d := q.Get("error_description"); d != "" {
			msg += ": " + clean(d, 200, nil)
		}
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: clean(e, 64, nil), Message: msg}
	}
	code := q.Get("code")
	if code == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "missing_code",
			Message: "the callback has no authorization code"}
	}
	form := url.Values{}
	form.Set("grant_type", "authorization_code")
	form.Set("client_id", ClientID)
	form.Set("code", code)
	form.Set("code_verifier", cb.CodeVerifier)
	if cb.RedirectURI != "" {
		form.Set("redirect_uri", cb.RedirectURI)
	}
	tok, err := c.token(ctx, form, code, cb.CodeVerifier)
	if err != nil {
		return nil, err
	}
	if tok.AccountID == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "the provider returned no account id"}
	}
	now := time.Now()
	return &omnichannel.Connection{
		Kind:        Kind,
		ExternalID:  tok.AccountID,
		DisplayName: tok.AccountName,
		Status:      omnichannel.ConnectionConnected,
		Credentials: omnichannel.Credentials{
			AccessToken:  tok.AccessToken,
			RefreshToken: tok.RefreshToken,
			AccessExpiry: expiry(now, int64(tok.ExpiresIn)),
		},
	}, nil
}

// RefreshTokens posts grant_type=refresh_token to {BaseURL}/token and returns the new credentials
// (the provider rotates the refresh token: the old one is dead once this returns). A refused refresh
// token (400 invalid_grant), or a connection without one, returns an error wrapping
// omnichannel.ErrNeedsReconnect; other failures are classified like Send's. conn is not modified.
func (c *Channel) RefreshTokens(ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
	if conn == nil || conn.Credentials.RefreshToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: Kind, Code: "no_refresh_token",
			Message: "the connection has no refresh token", Class: omnichannel.ErrNeedsReconnect}
	}
	old := conn.Credentials
	form := url.Values{}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", old.RefreshToken)
	tok, err := c.token(ctx, form, old.RefreshToken, old.AccessToken)
	var pe *omnichannel.ProviderError
	if errors.As(err, &pe) && pe.Code == "invalid_grant" {
		pe.Class, pe.Retryable = omnichannel.ErrNeedsReconnect, false
		pe.Message = "the refresh token was revoked, expired or already used; reconnect the account (" + pe.Message + ")"
	}
	if err != nil {
		return omnichannel.Credentials{}, err
	}
	creds := omnichannel.Credentials{
		AccessToken:   tok.AccessToken,
		RefreshToken:  tok.RefreshToken,
		AccessExpiry:  expiry(time.Now(), int64(tok.ExpiresIn)),
		RefreshExpiry: old.RefreshExpiry,
		Scopes:        append([]string(nil), old.Scopes...),
	}
	if creds.RefreshToken == "" {
		creds.RefreshToken = old.RefreshToken // not rotated
	}
	if len(old.Extra) > 0 {
		creds.Extra = make(map[string]string, len(old.Extra))
		for k, v := range old.Extra {
			creds.Extra[k] = v
		}
	}
	return creds, nil
}

// RefreshSkew returns 5 minutes.
func (c *Channel) RefreshSkew() time.Duration { return RefreshSkew }

// token posts form to /token and decodes the answer; secrets are kept out of errors.
func (c *Channel) token(ctx context.Context, form url.Values, secrets ...string) (*tokenResponse, error) {
	status, header, body, err := c.call(ctx, http.MethodPost, c.endpoint("/token"), "",
		"application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("fakechannel: token request: %w", err)
	}
	if status/100 != 2 {
		pe := classify(status, header, body, secrets...)
		if status == http.StatusUnauthorized {
			pe.Class, pe.Retryable = nil, false // the token endpoint takes no bearer token
		}
		return nil, pe
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "the token endpoint returned no access token"}
	}
	return &tok, nil
}

func expiry(now time.Time, secs int64) time.Time {
	if secs <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(secs) * time.Second)
}

// FetchProfile gets GET {BaseURL}/users/{id} with conn's bearer token. Failures are classified like
// Send's (an unknown user is a final ProviderError with Code "user_not_found").
func (c *Channel) FetchProfile(ctx context.Context, conn *omnichannel.Connection, externalUserID string) (*omnichannel.Profile, error) {
	token, err := accessToken(conn)
	if err != nil {
		return nil, err
	}
	if externalUserID == "" {
		return nil, &omnichannel.ValidationError{Problems: []string{"fakechannel: empty user id"}}
	}
	status, header, body, err := c.call(ctx, http.MethodGet, c.endpoint("/users/"+url.PathEscape(externalUserID)), token, "", nil)
	if err != nil {
		return nil, fmt.Errorf("fakechannel: fetch profile: %w", err)
	}
	if status/100 != 2 {
		return nil, classify(status, header, body, token)
	}
	var u struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Avatar string `json:"avatar"`
		Phone  string `json:"phone"`
	}
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "undecodable user profile"}
	}
	if u.ID == "" {
		u.ID = externalUserID
	}
	return &omnichannel.Profile{ExternalUserID: u.ID, DisplayName: u.Name, AvatarURL: u.Avatar, Phone: u.Phone}, nil
}

// DownloadMedia opens att.RemoteURL through Config.MediaClient (package guardedfetch) and returns
// the body (the caller closes it) and its content type (att.ContentType when the provider sends
// none). conn's bearer token is sent only when the URL is on the provider's own origin (BaseURL's
// scheme and host), so a link pointing elsewhere never receives it. Refusals of the guard match
// guardedfetch.ErrRefused; other failures are classified like Send's.
func (c *Channel) DownloadMedia(ctx context.Context, conn *omnichannel.Connection, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	u, err := url.Parse(att.RemoteURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", &omnichannel.ValidationError{Problems: []string{"fakechannel: attachment has no http(s) URL"}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("fakechannel: download media: %w", err)
	}
	token := ""
	if strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host) {
		if token, err = accessToken(conn); err != nil {
			return nil, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.media.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fakechannel: download media: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		return nil, "", classify(resp.StatusCode, resp.Header, body, token)
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = att.ContentType
	}
	return resp.Body, ct, nil
}
