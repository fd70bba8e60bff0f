package fakechannel

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// Emulator defaults.
const (
	// AccountID and AccountName are the business account the emulator hosts: the account_id of
	// its webhooks and of a code exchange.
	AccountID   = "acc1"
	AccountName = "Fake Shop"
	// TokenLifetime is the expires_in of the tokens the emulator issues.
	TokenLifetime = time.Hour
	// FaultRetryAfter is the Retry-After the emulator sends with an injected 429.
	FaultRetryAfter = time.Second
)

// RecordedRequest is one request the emulator received, recorded before any fault, delay or check.
type RecordedRequest struct {
	Method string
	// Path is the URL path, RawQuery the query string (without "?").
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// SentMessage is a message the emulator accepted on POST /messages.
type SentMessage struct {
	// ID is the provider message id returned to the adapter ("pm-1", "pm-2", … in order).
	ID          string
	Recipient   string
	Text        string
	QuoteID     string
	Attachments []SentAttachment
	At          time.Time
}

// SentAttachment is an attachment of a SentMessage, with its decoded content.
type SentAttachment struct {
	Type        string
	Name        string
	ContentType string
	Data        []byte
}

// User is a provider user known to the emulator (see Provider.AddUser).
type User struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
	Phone  string `json:"phone"`
}

// Provider emulates the fake provider's HTTP API on an httptest.Server; see the package
// documentation for the endpoints. It checks bearer tokens (401 "invalid_token" for an unknown one,
// 401 "token_expired" for an expired one), rotates single-use refresh tokens, validates sends
// against the same limits as Channel.Capabilities, and records everything it receives. All methods
// are safe for concurrent use.
type Provider struct {
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	access   map[string]bool // access token → expired
	refresh  map[string]bool // refresh token → used
	codes    map[string]authCode
	users    map[string]User
	media    map[string]mediaItem
	faults   map[string][]fault // endpoint → pending faults (each with a count)
	requests []RecordedRequest
	sent     []SentMessage
	delay    time.Duration
	deny     bool
	seq      int
}

type authCode struct {
	challenge, redirectURI string
	used                   bool
}

type mediaItem struct {
	contentType string
	data        []byte
}

type fault struct {
	status int
	code   string
	n      int
}

// NewProvider starts an emulator whose webhooks are signed with secret. Close it when done.
func NewProvider(secret string) *Provider {
	p := &Provider{
		secret:  secret,
		access:  map[string]bool{},
		refresh: map[string]bool{},
		codes:   map[string]authCode{},
		users:   map[string]User{},
		media:   map[string]mediaItem{},
		faults:  map[string][]fault{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /messages", p.authed(p.handleSend))
	mux.HandleFunc("POST /token", p.handleToken)
	mux.HandleFunc("GET /users/{id}", p.authed(p.handleUser))
	mux.HandleFunc("GET /media/{name}", p.authed(p.handleMedia))
	mux.HandleFunc("GET /consent", p.handleConsent)
	p.srv = httptest.NewServer(p.middleware(mux))
	return p
}

// URL is the API base URL, to use as Config.BaseURL.
func (p *Provider) URL() string { return p.srv.URL }

// Client returns an *http.Client configured for the emulator's server.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// Close shuts the server down, waiting for requests in flight.
func (p *Provider) Close() { p.srv.Close() }

// Secret returns the webhook secret, to use as Config.Secret.
func (p *Provider) Secret() string { return p.secret }

// Sign returns the X-Fake-Signature header value the provider sends with body.
func (p *Provider) Sign(body []byte) string { return Sign(p.secret, body) }

// SignedWebhook builds a POST of body to targetURL exactly as the provider delivers webhooks:
// Content-Type application/json, User-Agent FakeProvider-Webhook/1.0 and X-Fake-Signature. It panics
// when targetURL does not parse (it is meant for tests).
func (p *Provider) SignedWebhook(targetURL string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, targetURL, bytes.NewReader(body))
	if err != nil {
		panic("fakechannel: SignedWebhook: " + err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "FakeProvider-Webhook/1.0")
	req.Header.Set(SignatureHeader, p.Sign(body))
	return req
}

// IssueTokens creates a valid access token (lifetime TokenLifetime, never enforced by time: use
// ExpireAccessToken) and a fresh single-use refresh token, as a code exchange would.
func (p *Provider) IssueTokens() (access, refresh string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issueLocked()
}

func (p *Provider) issueLocked() (access, refresh string) {
	access, refresh = "fat-"+randomHex(16), "frt-"+randomHex(16)
	p.access[access] = false
	p.refresh[refresh] = false
	return access, refresh
}

// Connection returns a connected Connection of Kind "fake" for the emulator's account, with a
// freshly issued token pair (AccessExpiry TokenLifetime from now). WorkspaceID, ID and the other
// engine fields are left for the caller.
func (p *Provider) Connection() *omnichannel.Connection {
	access, refresh := p.IssueTokens()
	return &omnichannel.Connection{
		Kind:        Kind,
		ExternalID:  AccountID,
		DisplayName: AccountName,
		Status:      omnichannel.ConnectionConnected,
		Credentials: omnichannel.Credentials{
			AccessToken:  access,
			RefreshToken: refresh,
			AccessExpiry: time.Now().Add(TokenLifetime),
		},
	}
}

// ExpireAccessToken expires every access token issued so far: the next API call with any of them
// answers 401 "token_expired" until the adapter refreshes.
func (p *Provider) ExpireAccessToken() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t := range p.access {
		p.access[t] = true
	}
}

// AddUser registers (or replaces) a user served by GET /users/{id}.
func (p *Provider) AddUser(id, name, phone string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[id] = User{ID: id, Name: name, Phone: phone}
}

// ServeMedia makes data available at the returned URL (GET with a valid bearer token), as the
// provider serves the attachments of inbound messages.
func (p *Provider) ServeMedia(name, contentType string, data []byte) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.media[name] = mediaItem{contentType: contentType, data: append([]byte(nil), data...)}
	return p.srv.URL + "/media/" + url.PathEscape(name)
}

// FailNext makes the next n calls of POST /messages fail with status and the error code (a default
// code for the status when empty: 401 "token_expired", 403 "forbidden", 404 "not_found", 429
// "rate_limited", 5xx "internal_error", others "bad_request"). A 429 carries Retry-After: 1.
// Faults are answered before the token is checked; the failed calls are recorded but send nothing.
func (p *Provider) FailNext(status int, code string, n int) {
	p.FailNextOn("/messages", status, code, n)
}

// FailNextOn is FailNext for another endpoint: "/messages", "/token", "/users" or "/media".
func (p *Provider) FailNextOn(endpoint string, status int, code string, n int) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[endpoint] = append(p.faults[endpoint], fault{status: status, code: code, n: n})
}

// SetDelay delays every later answer by d (0 to stop), or until the request is canceled.
func (p *Provider) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// DenyConsent makes the consent page refuse (redirecting with error=access_denied) while deny is
// true.
func (p *Provider) DenyConsent(deny bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = deny
}

// Requests returns a copy of every request received so far, in arrival order.
func (p *Provider) Requests() []RecordedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]RecordedRequest, len(p.requests))
	for i, r := range p.requests {
		out[i] = RecordedRequest{Method: r.Method, Path: r.Path, RawQuery: r.RawQuery,
			Header: r.Header.Clone(), Body: append([]byte(nil), r.Body...)}
	}
	return out
}

// Sent returns a copy of the messages accepted so far, in order.
func (p *Provider) Sent() []SentMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]SentMessage, len(p.sent))
	for i, m := range p.sent {
		out[i] = m
		out[i].Attachments = append([]SentAttachment(nil), m.Attachments...)
	}
	return out
}

// middleware records the request, applies the delay and any pending fault.
func (p *Provider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "unreadable body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		p.requests = append(p.requests, RecordedRequest{Method: r.Method, Path: r.URL.Path,
			RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		delay := p.delay
		f, faulty := p.takeFaultLocked(r.URL.Path)
		p.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if faulty {
			code := f.code
			if code == "" {
				code = defaultCode(f.status)
			}
			if f.status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", strconv.Itoa(int(FaultRetryAfter/time.Second)))
			}
			writeError(w, f.status, code, "injected fault")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) takeFaultLocked(path string) (fault, bool) {
	for endpoint, list := range p.faults {
		if path != endpoint && !strings.HasPrefix(path, endpoint+"/") || len(list) == 0 {
			continue
		}
		f := list[0]
		list[0].n--
		if list[0].n <= 0 {
			list = list[1:]
		}
		p.faults[endpoint] = list
		return f, true
	}
	return fault{}, false
}

func defaultCode(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "token_expired"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusForbidden:
		return "forbidden"
	case status == http.StatusNotFound:
		return "not_found"
	case status >= 500:
		return "internal_error"
	}
	return "bad_request"
}

// authed checks the bearer token before calling h.
func (p *Provider) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p.mu.Lock()
		expired, known := p.access[token]
		p.mu.Unlock()
		switch {
		case !ok || !known:
			writeError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
		case expired:
			writeError(w, http.StatusUnauthorized, "token_expired", "the access token has expired")
		default:
			h(w, r)
		}
	}
}

func (p *Provider) handleSend(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "bad_content_type", "send JSON")
		return
	}
	var req sendRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the body is not a valid message")
		return
	}
	msg := SentMessage{Recipient: req.Recipient, Text: req.Text, QuoteID: req.QuoteID}
	var problem string
	switch {
	case req.Recipient == "":
		problem = "recipient is required"
	case req.Text == "" && len(req.Attachments) == 0:
		problem = "text or an attachment is required"
	case utf8.RuneCountInString(req.Text) > MaxTextLength:
		problem = "text is too long"
	case len(req.Attachments) > 1:
		problem = "only one attachment per message"
	}
	for _, a := range req.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		switch {
		case err != nil:
			problem = "attachment data is not base64"
		case a.Type == "image" && (!contains([]string{"image/png", "image/jpeg"}, a.ContentType) || len(data) > MaxImageBytes):
			problem = "image type or size not accepted"
		case a.Type == "file" && (a.ContentType != "application/pdf" || len(data) > MaxFileBytes):
			problem = "file type or size not accepted"
		case a.Type != "image" && a.Type != "file":
			problem = "unknown attachment type"
		}
		msg.Attachments = append(msg.Attachments, SentAttachment{Type: a.Type, Name: a.Name, ContentType: a.ContentType, Data: data})
	}
	if problem != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", problem)
		return
	}
	p.mu.Lock()
	p.seq++
	msg.ID = "pm-" + strconv.Itoa(p.seq)
	msg.At = time.Now()
	p.sent = append(p.sent, msg)
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"message_id": msg.ID})
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	resp := map[string]any{}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		used, known := p.refresh[rt]
		if !known || used {
			writeError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is invalid or already used")
			return
		}
		p.refresh[rt] = true
	case "authorization_code":
		code := r.PostForm.Get("code")
		ac, known := p.codes[code]
		switch {
		case !known || ac.used:
			writeError(w, http.StatusBadRequest, "invalid_grant", "the authorization code is invalid or already used")
			return
		case r.PostForm.Get("client_id") != ClientID:
			writeError(w, http.StatusBadRequest, "invalid_client", "unknown client")
			return
		case CodeChallenge(r.PostForm.Get("code_verifier")) != ac.challenge:
			writeError(w, http.StatusBadRequest, "invalid_grant", "the code verifier does not match the challenge")
			return
		case ac.redirectURI != "" && r.PostForm.Get("redirect_uri") != ac.redirectURI:
			writeError(w, http.StatusBadRequest, "invalid_grant", "the redirect URI does not match")
			return
		}
		ac.used = true
		p.codes[code] = ac
		resp["account_id"] = AccountID
		resp["account_name"] = AccountName
	default:
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", "unknown grant_type")
		return
	}
	access, refresh := p.issueLocked()
	resp["access_token"] = access
	resp["refresh_token"] = refresh
	resp["expires_in"] = int(TokenLifetime / time.Second)
	writeJSON(w, http.StatusOK, resp)
}

func (p *Provider) handleUser(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	u, ok := p.users[r.PathValue("id")]
	p.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "user_not_found", "no such user")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (p *Provider) handleMedia(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	m, ok := p.media[r.PathValue("name")]
	p.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "media_not_found", "no such media")
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(m.data)
}

// handleConsent plays the account owner: it approves at once (or refuses, see DenyConsent) and
// redirects to redirect_uri with code and state.
func (p *Provider) handleConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != ClientID:
		writeError(w, http.StatusBadRequest, "invalid_client", "unknown client")
		return
	case err != nil || !redirect.IsAbs():
		writeError(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be an absolute URL")
		return
	case q.Get("code_challenge") == "":
		writeError(w, http.StatusBadRequest, "invalid_request", "code_challenge is required")
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	p.mu.Lock()
	if p.deny {
		back.Set("error", "access_denied")
		back.Set("error_description", "The account owner denied the request")
	} else {
		code := "fcode-" + randomHex(12)
		p.codes[code] = authCode{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	p.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// Consent plays the account owner on authCodeURL (as returned by Channel.AuthCodeURL) without
// following the redirect, and returns the query the provider sends to the redirect URI: code and
// state, or error=access_denied when DenyConsent is on.
func (p *Provider) Consent(ctx context.Context, authCodeURL string) (url.Values, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authCodeURL, nil)
	if err != nil {
		return nil, err
	}
	client := *p.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("fakechannel: consent page answered %d: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return loc.Query(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var env apiError
	env.Error.Code, env.Error.Message = code, message
	writeJSON(w, status, env)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
