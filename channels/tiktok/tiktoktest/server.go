// Package tiktoktest is an in-process emulator of TikTok's Business Messaging API for tests,
// demos and the example inbox: an httptest.Server that speaks the consent page, the token and
// refresh endpoints, send, capabilities, media upload and download, the conversation and content
// lists, signs and posts webhooks exactly as TikTok does (TikTok-Signature: t=…,s=…, content as a
// JSON string), records every request it receives, and fails on demand.
//
// A test or the example app plays the customer through a small API:
//
//	srv := tiktoktest.New(tiktoktest.Options{})
//	defer srv.Close()
//	id, err := srv.CustomerSays(ctx, webhookURL, "u1", "Lan", "Shop ơi, còn áo size M không?")
//	...
//	for _, m := range srv.Sent() { fmt.Println(m.Text) } // what the business sent
//
// Point the adapter at it with tiktok.Config{APIBaseURL: srv.APIBaseURL(), AuthorizeURL:
// srv.AuthorizeURL(), ClientKey: srv.ClientKey(), ClientSecret: srv.ClientSecret(),
// HTTPClient: srv.Client()}. The emulator checks what TikTok checks (Access-Token on every API
// call, single-use auth codes bound to the redirect URI, rotating single-use refresh tokens,
// JPG/PNG ≤ 3 MB uploads, text ≤ 6,000 characters, about 10 business messages per 48-hour window)
// and answers errors the way TikTok does: HTTP 200 with a non-zero code. It also plays the shapes
// of the reference's corrections with its own fixtures: CustomerReacts (a "reaction" message on
// an earlier message, listed as "reactions" on it by content/list), CustomerSendsSticker (sticker
// and emoji with a url), content/list naming sender and recipient by username with upper-case
// participant roles, and capabilities/get refusing a conversation_type that is not the
// conversation's (STRANGER before the business answered, SINGLE after). All methods are safe for
// concurrent use.
package tiktoktest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// APIPrefix is the path of the API root on the emulator, as on TikTok.
const APIPrefix = "/open_api/v1.3"

// AuthorizePath is the consent page's path, as on TikTok.
const AuthorizePath = "/v2/auth/authorize"

// Endpoints, relative to the API root, for FailNext.
const (
	EndpointToken        = "/tt_user/oauth2/token/"
	EndpointRefresh      = "/tt_user/oauth2/refresh_token/"
	EndpointBusiness     = "/business/get/"
	EndpointSend         = "/business/message/send/"
	EndpointCapabilities = "/business/message/capabilities/get/"
	EndpointUpload       = "/business/message/media/upload/"
	EndpointDownload     = "/business/message/media/download/"
	EndpointConversation = "/business/message/conversation/list/"
	EndpointContent      = "/business/message/content/list/"
)

// Error codes the emulator answers with (HTTP 200 and this code).
const (
	CodeParamError   = 40002
	CodeNotFound     = 40007
	CodeDMRules      = 40064
	CodeThrottled    = 40100
	CodeTokenInvalid = 40105
	CodeBadMedia     = 40908
	CodeSystemError  = 51065
)

// Options configures a Server; every field has a default.
type Options struct {
	// ClientKey and ClientSecret are the app's credentials. Defaults "tt-app-7001" and
	// "tt-app-secret-3f9a2c7d1e".
	ClientKey    string
	ClientSecret string
	// AppName is shown on the consent page. Default "dakenh inbox (demo)".
	AppName string
	// BusinessID (the open_id), BusinessUsername and BusinessName describe the business account.
	// Defaults "biz-6980001", "shophoamai", "Shop Hoa Mai".
	BusinessID       string
	BusinessUsername string
	BusinessName     string
	// AccessTokenLifetime and RefreshTokenLifetime are the expires_in values issued. Defaults 24 h
	// and 365 days.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	// Now is the emulator's clock. Default time.Now.
	Now func() time.Time
	// NoReplyLimits stops enforcing the 48-hour window and the 10-message cap on sends (for
	// conformance runs that send many messages to one conversation).
	NoReplyLimits bool
}

// RecordedRequest is one request the emulator received, recorded before any fault or check.
type RecordedRequest struct {
	Method string
	// Path is the URL path, RawQuery the query string (without "?").
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// At is when the request arrived (the emulator's clock, Options.Now).
	At time.Time
}

// SentMessage is a message the business sent through the send endpoint and the emulator accepted.
type SentMessage struct {
	// ID is the message id returned ("tt-msg-…").
	ID             string
	ConversationID string
	// UserID is the customer the conversation is with.
	UserID string
	// Type is "TEXT" or "IMAGE".
	Type string
	Text string
	// MediaID, ContentType and Image are set for images.
	MediaID     string
	ContentType string
	Image       []byte
	// QuoteID is referenced_message_info.referenced_message_id.
	QuoteID string
	At      time.Time
}

// Server is the emulator. Create it with New and Close it when done.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	access   map[string]bool // access token → expired
	refresh  map[string]bool // refresh token → used
	codes    map[string]*authCode
	convs    map[string]*conversation // conversation id → conversation
	byUser   map[string]string        // user id → conversation id
	media    map[string]*medium       // media id → content
	links    map[string]string        // download token → media id
	faults   map[string][]pendingFault
	requests []RecordedRequest
	sent     []SentMessage
	echoURL  string
	noImages bool
	seq      int
}

type authCode struct {
	redirectURI string
	scopes      []string
	used        bool
}

type medium struct {
	contentType string
	data        []byte
}

type conversation struct {
	// username is the customer's TikTok username (content/list's sender / recipient).
	id, userID, name, avatar, username string
	follower                           bool
	single                             bool // the business has replied
	updated                            time.Time
	messages                           []*storedMessage
	repliesSinceCustomer               int
	lastCustomerAt                     time.Time
}

// storedMessage is a message of a conversation, as content/list returns it.
type storedMessage struct {
	id           string
	fromCustomer bool
	typ          string // TEXT, IMAGE, STICKER, EMOJI
	text         string
	mediaID      string
	// url is the image of a STICKER or EMOJI message (served at /cdn/{id}, no token needed).
	url string
	// reactions are the customer's reactions to the message (content/list's reactions).
	reactions []string
	at        time.Time
}

// New starts an emulator on a loopback port.
func New(opts Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.ClientKey, "tt-app-7001")
	def(&opts.ClientSecret, "tt-app-secret-3f9a2c7d1e")
	def(&opts.AppName, "dakenh inbox (demo)")
	def(&opts.BusinessID, "biz-6980001")
	def(&opts.BusinessUsername, "shophoamai")
	def(&opts.BusinessName, "Shop Hoa Mai")
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = 24 * time.Hour
	}
	if opts.RefreshTokenLifetime <= 0 {
		opts.RefreshTokenLifetime = 365 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:    opts,
		access:  map[string]bool{},
		refresh: map[string]bool{},
		codes:   map[string]*authCode{},
		convs:   map[string]*conversation{},
		byUser:  map[string]string{},
		media:   map[string]*medium{},
		links:   map[string]string{},
		faults:  map[string][]pendingFault{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AuthorizePath, s.handleConsentPage)
	mux.HandleFunc("POST "+AuthorizePath, s.handleConsentDecision)
	mux.HandleFunc("POST "+APIPrefix+EndpointToken, s.handleToken)
	mux.HandleFunc("POST "+APIPrefix+EndpointRefresh, s.handleRefresh)
	mux.HandleFunc("GET "+APIPrefix+EndpointBusiness, s.authed(s.handleBusiness))
	mux.HandleFunc("POST "+APIPrefix+EndpointSend, s.authed(s.handleSend))
	mux.HandleFunc("GET "+APIPrefix+EndpointCapabilities, s.authed(s.handleCapabilities))
	mux.HandleFunc("POST "+APIPrefix+EndpointUpload, s.authed(s.handleUpload))
	mux.HandleFunc("POST "+APIPrefix+EndpointDownload, s.authed(s.handleDownload))
	mux.HandleFunc("GET /media/{token}", s.handleMediaFile)
	mux.HandleFunc("GET /cdn/{id}", s.handleCDN)
	mux.HandleFunc("GET "+APIPrefix+EndpointConversation, s.authed(s.handleConversationList))
	mux.HandleFunc("GET "+APIPrefix+EndpointContent, s.authed(s.handleContentList))
	s.srv = httptest.NewServer(s.middleware(mux))
	return s
}

// URL is the emulator's root URL.
func (s *Server) URL() string { return s.srv.URL }

// APIBaseURL is the API root, for tiktok.Config.APIBaseURL.
func (s *Server) APIBaseURL() string { return s.srv.URL + APIPrefix }

// AuthorizeURL is the consent page, for tiktok.Config.AuthorizeURL.
func (s *Server) AuthorizeURL() string { return s.srv.URL + AuthorizePath }

// Client returns an *http.Client for the emulator, for tiktok.Config.HTTPClient.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// ClientKey is the app id the emulator accepts.
func (s *Server) ClientKey() string { return s.opts.ClientKey }

// ClientSecret is the app secret: the token endpoints' client_secret and the webhook HMAC key.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// BusinessID is the business account's open_id / business_id.
func (s *Server) BusinessID() string { return s.opts.BusinessID }

// BusinessName is the business account's display name.
func (s *Server) BusinessName() string { return s.opts.BusinessName }

// Config returns an adapter configuration pointed at the emulator.
func (s *Server) Config() tiktok.Config {
	return tiktok.Config{ClientKey: s.opts.ClientKey, ClientSecret: s.opts.ClientSecret, APIBaseURL: s.APIBaseURL(),
		AuthorizeURL: s.AuthorizeURL(), HTTPClient: s.Client(), MediaClient: s.MediaClient()}
}

// MediaClient returns the guarded client for media URLs (Config.MediaClient): public addresses
// and this emulator's own listener, no other loopback service.
func (s *Server) MediaClient() *guardedfetch.Client {
	return guardedfetch.AllowingListeners(s.srv.Listener)
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// IssueTokens creates a valid access token and a fresh single-use refresh token, as a code
// exchange would.
func (s *Server) IssueTokens() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked()
}

func (s *Server) issueLocked() (access, refresh string) {
	access, refresh = "act."+randomHex(20), "rft."+randomHex(20)
	s.access[access] = false
	s.refresh[refresh] = false
	return access, refresh
}

// Connection returns a connected Connection of the emulator's business with a freshly issued
// token pair and every messaging scope. WorkspaceID, ID and the other engine fields are left to the
// caller.
func (s *Server) Connection() *omnichannel.Connection {
	access, refresh := s.IssueTokens()
	now := s.opts.Now()
	return &omnichannel.Connection{
		Kind: tiktok.Kind, ExternalID: s.opts.BusinessID, DisplayName: s.opts.BusinessName,
		Status: omnichannel.ConnectionConnected,
		Credentials: omnichannel.Credentials{AccessToken: access, RefreshToken: refresh,
			AccessExpiry: now.Add(s.opts.AccessTokenLifetime), RefreshExpiry: now.Add(s.opts.RefreshTokenLifetime),
			Scopes: tiktok.DefaultScopes()},
	}
}

// ExpireAccessTokens expires every access token issued so far: later calls with them answer code
// 40105 until the adapter refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.access {
		s.access[t] = true
	}
}

// RevokeRefreshTokens kills every refresh token issued so far (the owner revoked the grant).
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.refresh {
		s.refresh[t] = true
	}
}

// SetEchoURL makes the emulator post the im_send_msg echo of every accepted API send to
// webhookURL before it answers the send call, as TikTok sometimes does (the echo then reaches the
// inbox before the send returns). "" stops echoes.
func (s *Server) SetEchoURL(webhookURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.echoURL = webhookURL
}

// SetImagesAllowed sets what capabilities/get answers for IMAGE_SEND (default allowed).
func (s *Server) SetImagesAllowed(allowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noImages = !allowed
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = RecordedRequest{Method: r.Method, Path: r.Path, RawQuery: r.RawQuery, Header: r.Header.Clone(),
			Body: append([]byte(nil), r.Body...), At: r.At}
	}
	return out
}

// RequestCount returns how many requests were received so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Sent returns what the business sent through the API so far, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentMessage, len(s.sent))
	copy(out, s.sent)
	for i := range out {
		out[i].Image = append([]byte(nil), out[i].Image...)
	}
	return out
}

// middleware records the request and answers any pending fault.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			writeCode(w, CodeParamError, "unreadable body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, RecordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, At: s.opts.Now()})
		f, faulty := s.takeFaultLocked(strings.TrimPrefix(r.URL.Path, APIPrefix))
		s.mu.Unlock()
		if faulty {
			f.write(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authed checks the Access-Token header before calling h.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("Access-Token")
		s.mu.Lock()
		expired, known := s.access[token]
		s.mu.Unlock()
		if !known || expired {
			writeCode(w, CodeTokenInvalid, "Access token is invalid or has expired")
			return
		}
		h(w, r)
	}
}

// writeData answers {code:0, message:"OK", request_id, data}.
func writeData(w http.ResponseWriter, data any) {
	writeEnvelope(w, http.StatusOK, 0, "OK", data)
}

// writeCode answers a refusal the way TikTok does: HTTP 200 with a non-zero code.
func writeCode(w http.ResponseWriter, code int, message string) {
	writeEnvelope(w, http.StatusOK, code, message, map[string]any{})
}

func writeEnvelope(w http.ResponseWriter, status, code int, message string, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": message, "request_id": randomHex(8), "data": data})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// conversationIDFor derives a TikTok-looking conversation id (with '+' and '=', which must be
// URL-encoded as TikTok requires) from a user id.
func conversationIDFor(userID string) string {
	return "0:1+" + base64.StdEncoding.EncodeToString([]byte("tt:"+userID))
}
