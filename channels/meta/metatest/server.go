// Package metatest is an in-process emulator of Meta's Messenger Platform and Instagram Messaging
// (through Facebook Login for Business and Page tokens) for tests, demos and the example inbox:
// an httptest.Server that serves the login dialog with its Page picker (a browser clicks through
// it), the Graph endpoints the adapter uses (oauth/access_token, me/accounts, Page fields,
// subscribed_apps, messages, message_attachments, conversations, profiles), a CDN for customer
// media and profile pictures, and posts webhooks exactly as Meta does: the body serialized the
// Meta way (non-ASCII as lowercase \uXXXX, "/" as "\/"), signed with its own HMAC code
// (X-Hub-Signature-256: sha256=…, plus the legacy X-Hub-Signature: sha1=…), several entries and
// messaging items per delivery, echoes posted before the send call answers, delivery and read
// watermarks, and every fault Meta documents. It records every request it receives.
//
// A test or the example app plays the customer:
//
//	srv := metatest.New(metatest.Options{})
//	defer srv.Close()
//	mid, err := srv.CustomerSays(ctx, webhookURL, srv.PageID(), "psid-1", "Lan", "Shop ơi, còn áo không?")
//	for _, m := range srv.Sent() { fmt.Println(m.Text) } // what the business sent
//
// Point the adapters at it with srv.Config(). All methods are safe for concurrent use.
package metatest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// Page is a Facebook Page of the emulated business, optionally with a linked Instagram
// professional account.
type Page struct {
	ID, Name string
	// Tasks are the admin's tasks on the Page (default MANAGE, MESSAGING, MODERATE).
	Tasks     []string
	Instagram *Instagram
}

// Instagram is an Instagram professional account linked to a Page.
type Instagram struct {
	ID, Username, Name string
}

// Options configures a Server; every field has a default.
type Options struct {
	// AppID, AppSecret and VerifyToken are the app's. Defaults "990011223344556",
	// "meta-app-secret-7c41d9e2" and "dakenh-verify-5521".
	AppID, AppSecret, VerifyToken string
	// GraphVersion is the path prefix. Default meta.DefaultGraphVersion.
	GraphVersion string
	// Pages the admin can pick. Default: "Shop Hoa Mai" (with Instagram @shophoamai, a 17-digit
	// id) and "Hoa Mai Outlet" (without).
	Pages []Page
	// Now is the emulator's clock. Default time.Now.
	Now func() time.Time
	// NoWindow stops enforcing the 24-hour / 7-day windows on sends.
	NoWindow bool
	// Timestamps is how webhook times are written: "ms" (default, as documented), "seconds" or
	// "string" (seconds in a JSON string, as the postbacks reference shows).
	Timestamps string
}

// RecordedRequest is one request the emulator received, recorded before any fault or check.
type RecordedRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	At                     time.Time
}

// SentMessage is a message the business sent and the emulator accepted.
type SentMessage struct {
	// MessageID is the mid returned (and echoed).
	MessageID string
	// AccountID is the Page or Instagram account it went out from; UserID the customer.
	AccountID, UserID string
	// MessagingType and Tag as sent (RESPONSE, MESSAGE_TAG + HUMAN_AGENT, …).
	MessagingType, Tag string
	Text               string
	// AttachmentType, ContentType and Attachment are set for attachments.
	AttachmentType, ContentType string
	Attachment                  []byte
	// AttachmentID is the reused or fresh upload id (of the first attachment);
	// AttachmentCount how many attachments the message carried (Instagram: up to 10 images).
	AttachmentID    string
	AttachmentCount int
	Metadata        string
	At              time.Time
}

// Server is the emulator. Create it with New and Close it when done.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu         sync.Mutex
	codes      map[string]*grant
	userTokens map[string]*userToken
	pageTokens map[string]*pageToken
	subscribed map[string]string
	customers  map[string]*Customer // user id → profile
	threads    map[threadKey]*thread
	uploads    map[string]*blob // attachment_id → content
	media      map[string]*blob // CDN id → content
	faults     map[string][]pendingFault
	requests   []RecordedRequest
	sent       []SentMessage
	echoHooks  map[string]string // object → webhook URL
	last       []byte
	seq        int
}

type grant struct {
	redirectURI string
	pages, igs  []string
	used        bool
}

type userToken struct {
	long       bool
	pages, igs []string
	dead       bool
}

type pageToken struct {
	pageID string
	dead   bool
}

type blob struct {
	contentType string
	data        []byte
}

type threadKey struct{ account, user string }

type thread struct {
	id             string
	object         string // page | instagram
	account, page  string
	user           string
	msgs           []*storedMessage
	lastCustomerAt time.Time
	updated        time.Time
}

type storedMessage struct {
	mid          string
	fromCustomer bool
	text         string
	at           time.Time
}

// New starts an emulator on a loopback port.
func New(opts Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.AppID, "990011223344556")
	def(&opts.AppSecret, "meta-app-secret-7c41d9e2")
	def(&opts.VerifyToken, "dakenh-verify-5521")
	def(&opts.GraphVersion, meta.DefaultGraphVersion)
	def(&opts.Timestamps, "ms")
	if len(opts.Pages) == 0 {
		opts.Pages = []Page{
			{ID: "104857600000001", Name: "Shop Hoa Mai", Instagram: &Instagram{ID: "17841400000000001", Username: "shophoamai", Name: "Shop Hoa Mai"}},
			{ID: "104857600000002", Name: "Hoa Mai Outlet"},
		}
	}
	for i := range opts.Pages {
		if len(opts.Pages[i].Tasks) == 0 {
			opts.Pages[i].Tasks = []string{"MANAGE", "MESSAGING", "MODERATE"}
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, codes: map[string]*grant{}, userTokens: map[string]*userToken{}, pageTokens: map[string]*pageToken{},
		subscribed: map[string]string{}, customers: map[string]*Customer{}, threads: map[threadKey]*thread{},
		uploads: map[string]*blob{}, media: map[string]*blob{}, faults: map[string][]pendingFault{}, echoHooks: map[string]string{}}
	s.srv = httptest.NewServer(s.middleware(http.HandlerFunc(s.route)))
	return s
}

// URL is the emulator's root (Graph and dialog host).
func (s *Server) URL() string { return s.srv.URL }

// Client returns an *http.Client for the emulator.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AppID, AppSecret and VerifyToken are the app's credentials.
func (s *Server) AppID() string       { return s.opts.AppID }
func (s *Server) AppSecret() string   { return s.opts.AppSecret }
func (s *Server) VerifyToken() string { return s.opts.VerifyToken }

// Pages returns the emulated Pages.
func (s *Server) Pages() []Page { return append([]Page(nil), s.opts.Pages...) }

// PageID is the first Page's id; InstagramID its Instagram account's id.
func (s *Server) PageID() string      { return s.opts.Pages[0].ID }
func (s *Server) InstagramID() string { return s.opts.Pages[0].Instagram.ID }

// MediaClient is the guarded client allowing this emulator's listener (for CDN URLs).
func (s *Server) MediaClient() *guardedfetch.Client {
	return guardedfetch.AllowingListeners(s.srv.Listener)
}

// Config returns an adapter configuration pointed at the emulator, with Human Agent approved.
func (s *Server) Config() meta.Config {
	return meta.Config{AppID: s.opts.AppID, AppSecret: s.opts.AppSecret, VerifyToken: s.opts.VerifyToken,
		GraphBaseURL: s.srv.URL, DialogBaseURL: s.srv.URL, GraphVersion: s.opts.GraphVersion, HumanAgent: true,
		HTTPClient: s.srv.Client(), MediaClient: s.MediaClient()}
}

// Connection returns a connected Connection for accountID (a Page id or an Instagram id) with a
// fresh Page token and a long-lived user token, as a login would give.
func (s *Server) Connection(accountID string) *omnichannel.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.opts.Pages {
		if p.ID != accountID && (p.Instagram == nil || p.Instagram.ID != accountID) {
			continue
		}
		user := s.issueUserLocked(true, []string{p.ID}, igIDs(p))
		pt := s.issuePageLocked(p.ID)
		c := &omnichannel.Connection{Kind: meta.KindMessenger, ExternalID: p.ID, DisplayName: p.Name, Status: omnichannel.ConnectionConnected,
			Credentials: omnichannel.Credentials{AccessToken: pt, RefreshToken: user, Scopes: meta.DefaultScopes()},
			Settings:    map[string]string{"page_id": p.ID}}
		if p.ID != accountID {
			c.Kind, c.ExternalID, c.DisplayName = meta.KindInstagram, p.Instagram.ID, "@"+p.Instagram.Username
			c.Settings["username"] = p.Instagram.Username
		}
		return c
	}
	return nil
}

func igIDs(p Page) []string {
	if p.Instagram == nil {
		return nil
	}
	return []string{p.Instagram.ID}
}

func (s *Server) issueUserLocked(long bool, pages, igs []string) string {
	t := "EAAU" + randomHex(24)
	s.userTokens[t] = &userToken{long: long, pages: pages, igs: igs}
	return t
}

func (s *Server) issuePageLocked(pageID string) string {
	t := "EAAP" + randomHex(24)
	s.pageTokens[t] = &pageToken{pageID: pageID}
	return t
}

// ExpirePageTokens kills every Page token issued so far: sends answer 190/463 until the adapter
// derives a new one from the user token.
func (s *Server) ExpirePageTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.pageTokens {
		t.dead = true
	}
}

// RevokeUserTokens kills every user token (the admin changed their password or removed the app):
// deriving a Page token answers 190/460.
func (s *Server) RevokeUserTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.userTokens {
		t.dead = true
	}
}

// Subscribed returns the webhook fields the app subscribed on pageID ("" when not subscribed).
func (s *Server) Subscribed(pageID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribed[pageID]
}

// Unsubscribe removes the app's subscription to pageID, as Meta does after an hour of failed
// deliveries.
func (s *Server) Unsubscribe(pageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subscribed, pageID)
}

// SetEchoURL makes the emulator post the echo of every accepted send of object ("page" or
// "instagram") to webhookURL before it answers the send call (the echo then reaches the inbox
// before the send returns). "" stops echoes.
func (s *Server) SetEchoURL(object, webhookURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.echoHooks[object] = webhookURL
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = r
		out[i].Header = r.Header.Clone()
		out[i].Body = append([]byte(nil), r.Body...)
	}
	return out
}

// Sent returns what the business sent so far, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentMessage, len(s.sent))
	copy(out, s.sent)
	return out
}

// middleware records the request and answers any pending fault.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, 100, 0, "unreadable body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, RecordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, At: s.opts.Now()})
		f, faulty := s.takeFaultLocked(endpointOf(r.Method, s.segments(r.URL.Path)))
		s.mu.Unlock()
		if faulty {
			f.write(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// segments splits the path below the version prefix ("/v25.0/123/messages" → [123 messages]).
func (s *Server) segments(path string) []string {
	rest, ok := strings.CutPrefix(path, "/"+s.opts.GraphVersion+"/")
	if !ok {
		return nil
	}
	return strings.Split(strings.Trim(rest, "/"), "/")
}

// writeError answers Meta's error object.
func writeError(w http.ResponseWriter, status, code, subcode int, msg string) {
	e := map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "A" + randomHex(10)}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
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
