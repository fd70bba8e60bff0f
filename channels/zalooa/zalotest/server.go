// Package zalotest is an in-process emulator of the Zalo OA platform for tests and demos: an
// httptest.Server that speaks the OAuth v4 consent and token endpoints, the Open API (send,
// uploads, user detail, OA info, history) and Zalo's CDN, signs and posts webhooks exactly as Zalo
// does, and records every request so tests can assert exact headers and bodies.
//
// Point an adapter at it with Server.Config. Play a customer with CustomerSays,
// CustomerSendsImage, CustomerSendsFile, CustomerSendsSticker, CustomerSaysAnonymously (an
// anonymous user, with the conversation_id replies must name), CustomerReacts,
// CustomerSharesPhone and CustomerSharesInfo (the official full_address form); play the OA admin with Consent (or
// click through the HTML consent page at the permission URL in a browser) and OAManagerSays; list
// what the OA sent with Sent. Faults are switched on per endpoint with FailNext: expired or invalid
// tokens, -32 throttling, HTTP 429 and 5xx, slow answers, and -230 / -213 refusals. Refresh tokens
// are single use, so reusing a rotated one fails as on Zalo.
//
// The emulator follows the facts of the reference notes; where they are uncertain it picks one
// form and offers the other as an Option (state echo, signature prefix, file upload field,
// expires_in type). Error codes it invents for situations the notes do not cover are marked below.
// It shares no code with the adapter: signatures are computed here, and every event shape is
// built from this package's own types. /v2.0/oa/message takes replies to anonymous users (the
// conversation id must be theirs) and reactions; /v3.0/oa/message/cs refuses a GIF element without
// width and height, and an element with both url and attachment_id.
package zalotest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// Defaults of Options.
const (
	DefaultAppID       = "3108542377690321457"
	DefaultAppSecret   = "zt-app-secret-3kPq8vZr2LmN5xWc"
	DefaultOASecretKey = "zt-oa-secret-key-Hb7Tq1Yx9Ld4Fe"
	DefaultOAID        = "4318402341099128374"
	DefaultOAName      = "Shop Hoa Mai"
)

// Lifetimes the emulator applies.
const (
	// TokenLifetime is the expires_in of issued access tokens (25 h, as Zalo).
	TokenLifetime = 25 * time.Hour
	// CodeLifetime is how long an authorization code can be exchanged (10 min, as Zalo).
	CodeLifetime = 10 * time.Minute
	// Window is how long after a user's last interaction the OA may send them CS messages.
	Window = 7 * 24 * time.Hour
)

// Paths the emulator serves (the same as Zalo's, on one host).
const (
	PathPermission  = "/v4/oa/permission"
	PathAccessToken = "/v4/oa/access_token"
	PathSend        = "/v3.0/oa/message/cs"
	// PathMessageV2 takes replies to anonymous users and reactions.
	PathMessageV2    = "/v2.0/oa/message"
	PathUploadImage  = "/v2.0/oa/upload/image"
	PathUploadGIF    = "/v2.0/oa/upload/gif"
	PathUploadFile   = "/v2.0/oa/upload/file"
	PathUserDetail   = "/v3.0/oa/user/detail"
	PathGetOA        = "/v2.0/oa/getoa"
	PathRecentChat   = "/v2.0/oa/listrecentchat"
	PathConversation = "/v2.0/oa/conversation"
	// PathMedia prefixes the CDN URLs of media (customer images and files, uploads).
	PathMedia = "/media/"
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// AppID, AppSecret and OASecretKey are the emulated app's id, secret key (checked in the
	// secret_key header of token requests) and webhook signing key.
	AppID, AppSecret, OASecretKey string
	// OAID, OAName and OAAvatar describe the emulated Official Account (consent page, getoa).
	OAID, OAName, OAAvatar string
	// OmitStateOnCallback makes the consent page redirect without state (whether Zalo echoes it is
	// unsettled).
	OmitStateOnCallback bool
	// BareSignature signs webhooks with bare hex instead of "mac=<hex>" (both forms are seen).
	BareSignature bool
	// FileUploadAttachmentID answers file uploads with data.attachment_id instead of data.token.
	FileUploadAttachmentID bool
	// NumericExpiresIn answers expires_in as a number instead of a quoted string.
	NumericExpiresIn bool
}

// Request is one request the emulator received, recorded before any fault or delay.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	At       time.Time
}

// SentMessage is a CS message the emulator accepted.
type SentMessage struct {
	// ID is the message_id returned to the adapter.
	ID string
	// UserID is the recipient's user_id, or their anonymous_id when ConversationID is set (a
	// reply to an anonymous user through /v2.0/oa/message).
	UserID         string
	ConversationID string
	Text           string
	QuoteMessageID string
	// MediaType ("image", "gif") with AttachmentID or ImageURL for media templates.
	MediaType    string
	AttachmentID string
	ImageURL     string
	// Width and Height of a GIF element.
	Width, Height int
	// InfoRequest is the request_user_info card, when the message is one.
	InfoRequest *InfoRequestCard
	// FileToken is the token of a file message.
	FileToken string
	// Upload is the uploaded content the message refers to, if any.
	Upload *Upload
	At     time.Time
}

// InfoRequestCard is a request_user_info template the OA sent.
type InfoRequestCard struct {
	Title, Subtitle, ImageURL string
}

// Upload is a file received on an upload endpoint.
type Upload struct {
	// Kind is "image", "gif" or "file"; Ref the attachment_id or token returned.
	Kind, Ref         string
	Name, ContentType string
	Data              []byte
	// URL is where the emulator's CDN serves it.
	URL string
}

// User is a Zalo user the OA knows.
type User struct {
	ID, Name, Avatar string
	// Phone is the phone shared with the OA ("" until shared).
	Phone string
	// NotFollower makes sends answer -213.
	NotFollower bool
	// LastInteraction, when set and older than Window, makes sends answer -230.
	LastInteraction time.Time
}

// HistoryMessage is a message of the OA's conversation history (listrecentchat, conversation).
type HistoryMessage struct {
	ID     string
	UserID string
	// FromOA says the OA sent it.
	FromOA bool
	// Type is Zalo's row type: "text", "photo", "sticker", "file", …
	Type, Text, URL string
	At              time.Time
}

// Fault makes the next Times calls (default 1) of one endpoint fail or slow down.
type Fault struct {
	// HTTPStatus, when not 0 or 200, answers with that status.
	HTTPStatus int
	// Code, when not 0, answers HTTP 200 (or HTTPStatus) with {"error":Code,"message":Message}.
	Code    int
	Message string
	// Delay holds the answer back (a slow provider); with no status or code the call then proceeds.
	Delay time.Duration
	Times int
}

// TokenExpired is Zalo's -220 "access token expired".
func TokenExpired() Fault { return Fault{Code: -220, Message: "Access token has expired"} }

// TokenInvalid is Zalo's -216 "access token is invalid".
func TokenInvalid() Fault { return Fault{Code: -216, Message: "Access token is invalid"} }

// RateLimited is Zalo's -32 per-minute limit, answered with HTTP 200.
func RateLimited() Fault { return Fault{Code: -32, Message: "Your application reached limit call api"} }

// TooManyRequests is an HTTP 429.
func TooManyRequests() Fault { return Fault{HTTPStatus: http.StatusTooManyRequests} }

// ServerError is an HTTP 502.
func ServerError() Fault { return Fault{HTTPStatus: http.StatusBadGateway} }

// OutsideWindow is Zalo's -230: no interaction in the last 7 days.
func OutsideWindow() Fault {
	return Fault{Code: -230, Message: "User has not interacted with the OA in the past 7 days"}
}

// NotFollower is Zalo's -213: the user does not follow the OA.
func NotFollower() Fault { return Fault{Code: -213, Message: "User has not followed OA"} }

// Slow delays the answer by d, then answers normally.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Server is the emulator. All methods are safe for concurrent use.
type Server struct {
	opt Options
	srv *httptest.Server

	mu       sync.Mutex
	access   map[string]*tokenState
	refresh  map[string]bool   // refresh token → used
	pairs    map[string]string // refresh token → the access token issued with it
	codes    map[string]*authCode
	issued   []string
	users    map[string]*User
	media    map[string]mediaItem
	uploads  map[string]*Upload
	history  []HistoryMessage
	faults   map[string][]Fault
	requests []Request
	sent     []SentMessage
	delay    time.Duration
	// anonymous maps an anonymous user's id to the conversation id replies must name.
	anonymous map[string]string
	reactions []SentReaction
}

// SentReaction is a reaction the emulator accepted on /v2.0/oa/message.
type SentReaction struct {
	// UserID is the user_id, or the anonymous_id, of the recipient.
	UserID, ConversationID string
	// MessageID is react_message_id; Icon the react_icon code.
	MessageID, Icon string
	At              time.Time
}

type tokenState struct {
	expires time.Time
	revoked bool
}

type authCode struct {
	challenge, redirectURI string
	expires                time.Time
	used                   bool
}

type mediaItem struct {
	contentType string
	data        []byte
}

// New starts an emulator. Close it when done.
func New(o Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.AppID, DefaultAppID)
	def(&o.AppSecret, DefaultAppSecret)
	def(&o.OASecretKey, DefaultOASecretKey)
	def(&o.OAID, DefaultOAID)
	def(&o.OAName, DefaultOAName)
	s := &Server{
		opt: o, access: map[string]*tokenState{}, refresh: map[string]bool{}, pairs: map[string]string{}, codes: map[string]*authCode{},
		users: map[string]*User{}, media: map[string]mediaItem{}, uploads: map[string]*Upload{}, faults: map[string][]Fault{},
		anonymous: map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathPermission, s.handleConsentPage)
	mux.HandleFunc("POST "+PathPermission, s.handleConsentDecision)
	mux.HandleFunc("POST "+PathAccessToken, s.handleToken)
	mux.HandleFunc("POST "+PathSend, s.authed(s.handleSend))
	mux.HandleFunc("POST "+PathMessageV2, s.authed(s.handleMessageV2))
	mux.HandleFunc("POST "+PathUploadImage, s.authed(s.handleUpload("image")))
	mux.HandleFunc("POST "+PathUploadGIF, s.authed(s.handleUpload("gif")))
	mux.HandleFunc("POST "+PathUploadFile, s.authed(s.handleUpload("file")))
	mux.HandleFunc("GET "+PathUserDetail, s.authed(s.handleUserDetail))
	mux.HandleFunc("GET "+PathGetOA, s.authed(s.handleGetOA))
	mux.HandleFunc("GET "+PathRecentChat, s.authed(s.handleRecentChat))
	mux.HandleFunc("GET "+PathConversation, s.authed(s.handleConversation))
	mux.HandleFunc("GET "+PathMedia+"{name}", s.handleMedia)
	s.srv = httptest.NewServer(s.middleware(mux))
	return s
}

// URL is the emulator's base URL (OAuth, Open API and CDN on one host).
func (s *Server) URL() string { return s.srv.URL }

// Client returns an *http.Client for the emulator's server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// MediaClient returns the guarded client for media URLs (Config.MediaClient): public addresses
// and this emulator's own listener, no other loopback service.
func (s *Server) MediaClient() *guardedfetch.Client {
	return guardedfetch.AllowingListeners(s.srv.Listener)
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AppID returns the emulated app's id.
func (s *Server) AppID() string { return s.opt.AppID }

// AppSecret returns the app's secret key (the secret_key header of token requests).
func (s *Server) AppSecret() string { return s.opt.AppSecret }

// OASecretKey returns the key webhooks are signed with.
func (s *Server) OASecretKey() string { return s.opt.OASecretKey }

// OAID returns the emulated Official Account's id.
func (s *Server) OAID() string { return s.opt.OAID }

// OAName returns the emulated Official Account's name.
func (s *Server) OAName() string { return s.opt.OAName }

// Config returns an adapter configuration that talks to the emulator.
func (s *Server) Config() zalooa.Config {
	return zalooa.Config{AppID: s.opt.AppID, AppSecret: s.opt.AppSecret, OASecretKey: s.opt.OASecretKey,
		OAuthBaseURL: s.srv.URL, APIBaseURL: s.srv.URL, HTTPClient: s.srv.Client(), MediaClient: s.MediaClient()}
}

// Connection returns a connected Connection of the emulated OA with a freshly issued token pair.
// WorkspaceID, ID and the other engine fields are left to the caller.
func (s *Server) Connection() *omnichannel.Connection {
	access, refresh := s.IssueTokens()
	now := time.Now()
	return &omnichannel.Connection{
		Kind: zalooa.Kind, ExternalID: s.opt.OAID, DisplayName: s.opt.OAName, Status: omnichannel.ConnectionConnected,
		Credentials: omnichannel.Credentials{AccessToken: access, RefreshToken: refresh,
			AccessExpiry: now.Add(TokenLifetime), RefreshExpiry: now.Add(zalooa.RefreshTokenLifetime)},
	}
}

// IssueTokens creates a valid access token (TokenLifetime) and a fresh single-use refresh token.
func (s *Server) IssueTokens() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked()
}

func (s *Server) issueLocked() (access, refresh string) {
	access, refresh = "zat-"+randomHex(24), "zrt-"+randomHex(24)
	s.access[access] = &tokenState{expires: time.Now().Add(TokenLifetime)}
	s.refresh[refresh] = false
	s.pairs[refresh] = access
	s.issued = append(s.issued, access, refresh)
	return access, refresh
}

// ExpireAccessTokens expires every access token issued so far: API calls with them answer -220
// until the adapter refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.expires = time.Now().Add(-time.Second)
	}
}

// IssuedSecrets returns every token and authorization code the emulator has issued, for tests that
// check none leaks into logs or errors.
func (s *Server) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{s.opt.AppSecret, s.opt.OASecretKey}, s.issued...)
}

// AddUser registers (or replaces) a user the OA knows.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	s.users[u.ID] = &cp
}

// UserByID returns a copy of a known user.
func (s *Server) UserByID(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// AddHistory adds a message to the OA's conversation history.
func (s *Server) AddHistory(m HistoryMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ID == "" {
		m.ID = randomHex(16)
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	if m.Type == "" {
		m.Type = "text"
	}
	s.history = append(s.history, m)
}

// ServeMedia makes the CDN serve data under name and returns its URL.
func (s *Server) ServeMedia(name, contentType string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := randomHex(8) + "-" + safeSegment(name)
	s.media[key] = mediaItem{contentType: contentType, data: append([]byte(nil), data...)}
	return s.srv.URL + PathMedia + key
}

// FailNext arms a fault for the next f.Times calls (default 1) to path (a Path constant).
func (s *Server) FailNext(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults[path] = append(s.faults[path], f)
}

// SetDelay holds back every answer by d (0 to stop).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r
		out[i].Header = r.Header.Clone()
		out[i].Body = append([]byte(nil), r.Body...)
	}
	return out
}

// RequestsTo returns the requests received on path.
func (s *Server) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Sent returns the CS messages accepted so far, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// Reactions returns the reactions the OA sent, oldest first.
func (s *Server) Reactions() []SentReaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentReaction(nil), s.reactions...)
}

// Uploads returns every upload received, sorted by reference.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, 0, len(s.uploads))
	for _, u := range s.uploads {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// middleware records each request, then applies the global delay and the endpoint's next fault.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, At: time.Now()})
		delay := s.delay
		var f *Fault
		if q := s.faults[r.URL.Path]; len(q) > 0 {
			cp := q[0]
			f = &cp
			if q[0].Times--; q[0].Times <= 0 {
				s.faults[r.URL.Path] = q[1:]
			}
		}
		s.mu.Unlock()
		if f != nil {
			delay += f.Delay
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if f != nil && (f.Code != 0 || (f.HTTPStatus != 0 && f.HTTPStatus != http.StatusOK)) {
			s.writeFault(w, r.URL.Path, *f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) writeFault(w http.ResponseWriter, path string, f Fault) {
	status := f.HTTPStatus
	if status == 0 {
		status = http.StatusOK
	}
	if f.Code == 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status))
		return
	}
	if path == PathAccessToken {
		writeJSON(w, status, map[string]any{"error": f.Code, "error_name": f.Message, "error_description": f.Message})
		return
	}
	writeJSON(w, status, map[string]any{"error": f.Code, "message": f.Message})
}

// authed checks the access_token header (and appsecret_proof when sent) as Zalo does: -216 for a
// missing, unknown or replaced token, -220 for an expired one, -242 for a wrong proof.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("access_token")
		// The token's state is read under the lock: a refresh revokes it concurrently.
		s.mu.Lock()
		st := s.access[tok]
		valid, expires := st != nil && !st.revoked, time.Time{}
		if st != nil {
			expires = st.expires
		}
		s.mu.Unlock()
		switch {
		case tok == "" || !valid:
			apiError(w, -216, "Access token is invalid")
		case time.Now().After(expires):
			apiError(w, -220, "Access token has expired")
		case r.Header.Get("appsecret_proof") != "" && r.Header.Get("appsecret_proof") != zalooa.AppSecretProof(s.opt.AppSecret, tok):
			apiError(w, -242, "Invalid appsecret_proof")
		default:
			h(w, r)
		}
	}
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"error": code, "message": msg})
}

func apiOK(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"error": 0, "message": "Success", "data": data})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// safeSegment keeps a name usable as one URL path segment.
func safeSegment(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name) && len(out) < 80; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			out = append(out, c)
		} else {
			out = append(out, '_')
		}
	}
	if len(out) == 0 {
		return "file"
	}
	return string(out)
}
