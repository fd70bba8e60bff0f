package tiktoktest

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TikTok — Authorize {{.App}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f1f1f2;margin:0;display:flex;justify-content:center}
main{background:#fff;margin:48px 16px;padding:32px;border-radius:12px;max-width:420px;box-shadow:0 2px 12px #0002}
h1{font-size:20px;margin:0 0 8px}.logo{font-weight:800;font-size:24px;color:#000}.logo span{color:#fe2c55}
.account{color:#555;margin-bottom:16px}ul{list-style:none;padding:0}li{margin:8px 0}
.buttons{display:flex;gap:12px;margin-top:24px}button{flex:1;padding:12px;border-radius:8px;font-size:16px;cursor:pointer}
button.primary{background:#fe2c55;color:#fff;border:0}button.secondary{background:#fff;border:1px solid #ccc}
.note{font-size:12px;color:#888;margin-top:16px}
</style></head><body><main>
<div class="logo">Tik<span>Tok</span> for Business</div>
<h1>{{.App}} wants to access your TikTok account</h1>
<p class="account">Account: <strong>{{.Business}}</strong> (@{{.Username}})</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_key" value="{{.ClientKey}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<p>Allow {{.App}} to:</p>
<ul>{{range .Scopes}}<li><label><input type="checkbox" name="scope" value="{{.}}" checked> {{.}}</label></li>{{end}}</ul>
<div class="buttons">
<button class="secondary" type="submit" name="action" value="cancel">Cancel</button>
<button class="primary" type="submit" name="action" value="authorize">Authorize</button>
</div>
<p class="note">TikTok emulator (tiktoktest): no real account is involved.</p>
</form></main></body></html>`))

// handleConsentPage serves the consent page: the app, the account and the requested scopes as
// checkboxes, with Authorize and Cancel.
func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if problem := s.checkConsentRequest(q.Get("client_key"), q.Get("redirect_uri")); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "" && q.Get("response_type") != "code" {
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	}
	var scopes []string
	for _, sc := range strings.Split(q.Get("scope"), ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			scopes = append(scopes, sc)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{
		"App": s.opts.AppName, "Business": s.opts.BusinessName, "Username": s.opts.BusinessUsername,
		"Action": AuthorizePath, "ClientKey": q.Get("client_key"), "RedirectURI": q.Get("redirect_uri"),
		"State": q.Get("state"), "Scopes": scopes,
	})
}

func (s *Server) checkConsentRequest(clientKey, redirectURI string) string {
	u, err := url.Parse(redirectURI)
	switch {
	case clientKey != s.opts.ClientKey:
		return "unknown client_key"
	case err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https"):
		return "redirect_uri must be an absolute http(s) URL"
	}
	return ""
}

// handleConsentDecision is the form's POST: Authorize redirects to redirect_uri with code and
// state (and the granted scopes), Cancel with error=access_denied.
func (s *Server) handleConsentDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if problem := s.checkConsentRequest(f.Get("client_key"), f.Get("redirect_uri")); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	target := s.decide(f.Get("redirect_uri"), f.Get("state"), f["scope"], f.Get("action") == "authorize")
	http.Redirect(w, r, target, http.StatusFound)
}

// decide records the owner's decision and returns the redirect target.
func (s *Server) decide(redirectURI, state string, scopes []string, approve bool) string {
	u, _ := url.Parse(redirectURI)
	back := u.Query()
	back.Set("state", state)
	if approve {
		code := "ttac." + randomHex(16)
		s.mu.Lock()
		s.codes[code] = &authCode{redirectURI: redirectURI, scopes: append([]string(nil), scopes...)}
		s.mu.Unlock()
		back.Set("code", code)
		back.Set("scopes", strings.Join(scopes, ","))
	} else {
		back.Set("error", "access_denied")
		back.Set("error_description", "The user canceled the authorization")
	}
	u.RawQuery = back.Encode()
	return u.String()
}

// Consent plays the account owner approving every requested scope on authCodeURL (as returned
// by the adapter's AuthCodeURL): it loads the consent page, submits Authorize, and returns the
// query TikTok sends to the redirect URI (code, state, scopes).
func (s *Server) Consent(ctx context.Context, authCodeURL string) (url.Values, error) {
	u, err := url.Parse(authCodeURL)
	if err != nil {
		return nil, err
	}
	return s.ConsentWith(ctx, authCodeURL, strings.Split(u.Query().Get("scope"), ","), true)
}

// ConsentWith is Consent with the owner's choices: the scopes left checked, and whether they press
// Authorize (true) or Cancel (false).
func (s *Server) ConsentWith(ctx context.Context, authCodeURL string, scopes []string, approve bool) (url.Values, error) {
	client := *s.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page, err := get(ctx, &client, authCodeURL)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(page, `name="action" value="authorize"`) {
		return nil, fmt.Errorf("tiktoktest: the consent page has no Authorize button")
	}
	q, _ := url.Parse(authCodeURL)
	form := url.Values{}
	form.Set("client_key", q.Query().Get("client_key"))
	form.Set("redirect_uri", q.Query().Get("redirect_uri"))
	form.Set("state", q.Query().Get("state"))
	for _, sc := range scopes {
		if sc = strings.TrimSpace(sc); sc != "" {
			form.Add("scope", sc)
		}
	}
	form.Set("action", map[bool]string{true: "authorize", false: "cancel"}[approve])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.AuthorizeURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("tiktoktest: consent answered %d: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return loc.Query(), nil
}

func get(ctx context.Context, client *http.Client, target string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("tiktoktest: GET consent page answered %d: %s", resp.StatusCode, body)
	}
	return string(body), nil
}

// tokenAnswer builds the data of a token answer.
func (s *Server) tokenAnswerLocked(scopes []string) map[string]any {
	access, refresh := s.issueLocked()
	return map[string]any{
		"access_token": access, "expires_in": int(s.opts.AccessTokenLifetime / time.Second),
		"refresh_token": refresh, "refresh_token_expires_in": int(s.opts.RefreshTokenLifetime / time.Second),
		"open_id": s.opts.BusinessID, "scope": strings.Join(scopes, ","), "token_type": "Bearer",
	}
}

type tokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	GrantType    string `json:"grant_type"`
	AuthCode     string `json:"auth_code"`
	RedirectURI  string `json:"redirect_uri"`
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) decodeTokenRequest(w http.ResponseWriter, r *http.Request, grant string) (*tokenRequest, bool) {
	var req tokenRequest
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&req) != nil {
		writeCode(w, CodeParamError, "The body must be JSON")
		return nil, false
	}
	switch {
	case req.ClientID != s.opts.ClientKey || req.ClientSecret != s.opts.ClientSecret:
		writeCode(w, CodeParamError, "Invalid client_id or client_secret")
		return nil, false
	case req.GrantType != grant:
		writeCode(w, CodeParamError, "grant_type must be "+grant)
		return nil, false
	}
	return &req, true
}

// handleToken exchanges a single-use auth_code bound to its redirect URI.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	req, ok := s.decodeTokenRequest(w, r, "authorization_code")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[req.AuthCode]
	switch {
	case ac == nil || ac.used:
		writeCode(w, CodeParamError, "The auth_code is invalid or already used")
		return
	case req.RedirectURI != ac.redirectURI:
		writeCode(w, CodeParamError, "redirect_uri does not match the authorization request")
		return
	}
	ac.used = true
	writeData(w, s.tokenAnswerLocked(ac.scopes))
}

// handleRefresh rotates a refresh token: the old one dies, a new pair is issued.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	req, ok := s.decodeTokenRequest(w, r, "refresh_token")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	used, known := s.refresh[req.RefreshToken]
	if !known || used {
		writeCode(w, CodeTokenInvalid, "The refresh token is invalid or expired")
		return
	}
	s.refresh[req.RefreshToken] = true
	writeData(w, s.tokenAnswerLocked(nil))
}

// handleBusiness answers /business/get/.
func (s *Server) handleBusiness(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("business_id") != s.opts.BusinessID {
		writeCode(w, CodeNotFound, "Unknown business_id")
		return
	}
	writeData(w, map[string]any{"username": s.opts.BusinessUsername, "display_name": s.opts.BusinessName,
		"profile_image": s.srv.URL + "/avatar/business.png"})
}
