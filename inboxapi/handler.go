package inboxapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
	"go.opentelemetry.io/otel/metric"
)

// Authenticator tells who makes a request. The host plugs in its own (session cookie, bearer token,
// …). It returns the user, whose WorkspaceID scopes every call of the request, or an error (or a nil
// user) when the request is not authenticated: the API then answers 401 without doing anything
// else. The engine's Authorizer checks what the user may do; the user must exist in the engine's
// store (hosts mirror their users with omnichannel.Engine.SaveUser under omnichannel.AsHost).
type Authenticator interface {
	Authenticate(r *http.Request) (*omnichannel.User, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(r *http.Request) (*omnichannel.User, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*omnichannel.User, error) { return f(r) }

// Config configures the API handler. Engine and Auth are required; every other field has the
// documented default. New validates the whole config and reports every problem at once.
type Config struct {
	// Engine serves every request.
	Engine *omnichannel.Engine
	// Auth authenticates every request, before anything else runs.
	Auth Authenticator
	// Logger receives server-side errors (never request bodies, customer text or secrets).
	// Default: Engine.Logger().
	Logger *slog.Logger
	// MeterProvider receives the API's metrics: dakenh.event_stream.clients (open event streams)
	// and dakenh.event_stream.refused (by reason: too_many_streams, shutting_down). Default:
	// OpenTelemetry's global provider, which does nothing until the host installs one.
	MeterProvider metric.MeterProvider
	// MaxUploadBytes caps the file of POST /attachments; larger files answer 413. Default 25 MiB.
	// The engine's Config.MaxAttachmentBytes still applies (422 beyond it).
	MaxUploadBytes int64
	// AfterConnect is where the browser goes after an OAuth connect flow (the app's settings page),
	// with ?connected=<connection id> or ?connect_error=<code> added: a local path ("/settings") or
	// an absolute http(s) URL. Default "/".
	AfterConnect string
	// PublicURL is the absolute URL where the API is mounted (e.g. "https://crm.example.com/api"); the
	// OAuth redirect URI given to providers is PublicURL + "/connect/callback/{kind}". Connecting an
	// account needs it: without it POST /connections/{kind}/connect answers 422 "unsupported" (the
	// request's Host header is never used, a client chooses it). Its origin is also allowed for
	// unsafe requests (see AllowedOrigins).
	PublicURL string
	// AllowedOrigins are the origins ("https://crm.example.com") of the pages that may call the
	// API's unsafe methods (POST, PUT, PATCH, DELETE). Every such request must be same-origin by
	// its Origin and Sec-Fetch-Site headers AND have a JSON body or the CSRFHeader (see
	// CrossSiteGuard); anything else answers 403 "cross_site" before authentication. The origin of
	// PublicURL is added. Default (neither set): an Origin must name the request's own Host, and
	// Sec-Fetch-Site must be "same-origin"; set them behind a proxy that rewrites Host.
	AllowedOrigins []string
	// HeartbeatInterval is how often GET /events writes a comment line to keep proxies from closing
	// an idle stream. Default 15 s.
	HeartbeatInterval time.Duration
	// EventBuffer is the engine subscription buffer of each event stream; a client that falls
	// further behind gets "event: resync". Default 256.
	EventBuffer int
	// UploadSecret signs the ids of uploaded attachments (an upload is stateless until it is sent).
	// At least 16 bytes. Default: random per handler, so every process serving the API behind one
	// load balancer must be given the same secret.
	UploadSecret []byte
	// UploadTTL is how long an uploaded attachment id stays valid for sending. Default 24 h.
	UploadTTL time.Duration
	// MaxStreamsPerUser caps the event streams (GET /events) one user may hold open at once (tabs,
	// devices); past it the API answers 429 "too_many_streams". Default 8.
	MaxStreamsPerUser int
	// MaxStreamsPerWorkspace caps the open event streams of a workspace, all users together; past
	// it the API answers 429 "too_many_streams". Default 1,000.
	MaxStreamsPerWorkspace int
}

// Limits and defaults of the API.
const (
	// MaxJSONBytes caps every JSON request body; larger bodies answer 413.
	MaxJSONBytes = 1 << 20
	// DefaultMaxUploadBytes is Config.MaxUploadBytes's default.
	DefaultMaxUploadBytes = 25 << 20
	// DefaultHeartbeatInterval is Config.HeartbeatInterval's default.
	DefaultHeartbeatInterval = 15 * time.Second
	// DefaultMaxStreamsPerUser is Config.MaxStreamsPerUser's default.
	DefaultMaxStreamsPerUser = 8
	// DefaultMaxStreamsPerWorkspace is Config.MaxStreamsPerWorkspace's default.
	DefaultMaxStreamsPerWorkspace = 1000
)

type handler struct {
	tel          streamMetrics
	eng          *omnichannel.Engine
	auth         Authenticator
	log          *slog.Logger
	maxUpload    int64
	afterConnect string
	publicURL    *url.URL
	heartbeat    time.Duration
	eventBuffer  int
	uploads      uploadSigner
	mux          *http.ServeMux
	now          func() time.Time
	fan          fanout // the SSE streams' shared store work (events.go)
	csrf         *CrossSiteGuard
	closing      chan struct{} // closed by Handler.CloseStreams
	closeOnce    sync.Once
}

// Handler is the agent HTTP API (an http.Handler). Mount it under a prefix with
// http.StripPrefix; see the package documentation for the routes.
type Handler struct {
	h *handler
}

// ServeHTTP serves one API request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

// CloseStreams ends every open event stream (GET /events) and answers new ones 503
// "shutting_down", so that http.Server.Shutdown, which waits for the requests in flight, returns
// promptly instead of waiting for the clients to go away. Wire it before serving:
//
//	srv.RegisterOnShutdown(api.CloseStreams)
//
// The browsers reconnect (the stream asks them to retry after 3 s), to another process behind the
// load balancer. Other requests are not affected. Calling it more than once is safe.
func (h *Handler) CloseStreams() {
	h.h.closeOnce.Do(func() { close(h.h.closing) })
}

// New validates cfg and returns the API handler. Mount it under a prefix with http.StripPrefix
// (see the package documentation for the routes), and register its CloseStreams with the server's
// RegisterOnShutdown.
func New(cfg Config) (*Handler, error) {
	p := model.ConfigProblems{Source: "inboxapi"}
	if cfg.Engine == nil {
		p.Add("Engine", model.ProblemRequired, "Config.Engine is required")
	}
	if cfg.Auth == nil {
		p.Add("Auth", model.ProblemRequired, "Config.Auth is required (the host's Authenticator)")
	}
	if cfg.MaxUploadBytes < 0 {
		p.Add("MaxUploadBytes", model.ProblemInvalid, "Config.MaxUploadBytes must not be negative")
	}
	if cfg.HeartbeatInterval < 0 {
		p.Add("HeartbeatInterval", model.ProblemInvalid, "Config.HeartbeatInterval must not be negative")
	}
	if cfg.EventBuffer < 0 {
		p.Add("EventBuffer", model.ProblemInvalid, "Config.EventBuffer must not be negative")
	}
	if cfg.MaxStreamsPerUser < 0 || cfg.MaxStreamsPerWorkspace < 0 {
		p.Add("MaxStreamsPerUser", model.ProblemInvalid, "Config.MaxStreamsPerUser and MaxStreamsPerWorkspace must not be negative")
	}
	if cfg.UploadTTL < 0 {
		p.Add("UploadTTL", model.ProblemInvalid, "Config.UploadTTL must not be negative")
	}
	if cfg.UploadSecret != nil && len(cfg.UploadSecret) < 16 {
		p.Add("UploadSecret", model.ProblemInvalid, "Config.UploadSecret must have at least 16 bytes")
	}
	if cfg.AfterConnect != "" && !validAfterConnect(cfg.AfterConnect) {
		p.Add("AfterConnect", model.ProblemInvalid, "Config.AfterConnect %q is neither a local path nor an absolute http(s) URL", cfg.AfterConnect)
	}
	var public *url.URL
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.Add("PublicURL", model.ProblemInvalid, "Config.PublicURL %q is not an absolute http(s) URL without query", cfg.PublicURL)
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/")
			u.RawPath = ""
			public = u
		}
	}
	origins := append([]string(nil), cfg.AllowedOrigins...)
	if public != nil {
		origins = append(origins, originOf(public))
	}
	guard, err := NewCrossSiteGuard(origins...)
	if err != nil {
		p.Add("AllowedOrigins", model.ProblemInvalid, "Config.AllowedOrigins: %v", err)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	tel, err := newStreamMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("inboxapi: setting up metrics: %w", err)
	}
	h := &handler{
		tel: tel, eng: cfg.Engine, auth: cfg.Auth, log: cfg.Logger, maxUpload: cfg.MaxUploadBytes,
		afterConnect: cfg.AfterConnect, publicURL: public, heartbeat: cfg.HeartbeatInterval,
		eventBuffer: cfg.EventBuffer, now: time.Now, csrf: guard, closing: make(chan struct{}),
	}
	if h.log == nil {
		h.log = cfg.Engine.Logger()
	}
	if h.maxUpload == 0 {
		h.maxUpload = DefaultMaxUploadBytes
	}
	if h.afterConnect == "" {
		h.afterConnect = "/"
	}
	if h.heartbeat == 0 {
		h.heartbeat = DefaultHeartbeatInterval
	}
	if h.eventBuffer == 0 {
		h.eventBuffer = 256
	}
	h.fan.maxPerUser, h.fan.maxPerWorkspace = cfg.MaxStreamsPerUser, cfg.MaxStreamsPerWorkspace
	if h.fan.maxPerUser == 0 {
		h.fan.maxPerUser = DefaultMaxStreamsPerUser
	}
	if h.fan.maxPerWorkspace == 0 {
		h.fan.maxPerWorkspace = DefaultMaxStreamsPerWorkspace
	}
	secret := cfg.UploadSecret
	if secret == nil {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("inboxapi: upload secret: %w", err)
		}
	}
	ttl := cfg.UploadTTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	h.uploads = uploadSigner{key: append([]byte(nil), secret...), ttl: ttl}
	h.mux = http.NewServeMux()
	h.routes()
	return &Handler{h: h}, nil
}

// apiFunc serves one route for an authenticated user; a returned error becomes the JSON error
// answer (see writeError).
type apiFunc func(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error

// route is one entry of the route table.
type route struct {
	pattern string
	fn      apiFunc
}

// routeTable lists every route of the API (tests walk it: a new route cannot escape them).
func (h *handler) routeTable() []route {
	return []route{
		{"GET /me", h.me},
		{"GET /conversations", h.listConversations},
		{"GET /conversations/unread-count", h.unreadCount},
		{"GET /conversations/{id}", h.getConversation},
		{"GET /conversations/{id}/messages", h.listMessages},
		{"POST /conversations/{id}/messages", h.sendMessage},
		{"POST /messages/{id}/retry", h.retryMessage},
		{"POST /messages/{id}/reactions", h.react},
		{"POST /conversations/{id}/info-request", h.requestInfo},
		{"POST /attachments", h.uploadAttachment},
		{"GET /attachments/{id}", h.downloadAttachment},
		{"POST /conversations/{id}/read", h.markRead},
		{"POST /conversations/{id}/done", h.markDone},
		{"POST /conversations/{id}/reopen", h.reopen},
		{"POST /conversations/{id}/claim", h.claim},
		{"POST /conversations/{id}/assign", h.assign},
		{"PATCH /conversations/{id}/details", h.updateDetails},
		{"GET /conversations/{id}/customer", h.customer},
		{"GET /conversations/{id}/templates", h.listTemplates},
		{"POST /conversations/{id}/templates/{templateId}/render", h.renderTemplate},
		{"GET /categories", h.listCategories},
		{"GET /classifications", h.listClassifications},
		{"GET /users", h.listUsers},
		{"POST /users", creating(h.saveUser)},
		{"PUT /users/{id}", replacing(h.saveUser)},
		{"POST /users/{id}/deactivate", h.deactivateUser},
		{"DELETE /users/{id}", h.removeUser},
		{"GET /teams", h.listTeams},
		{"POST /teams", creating(h.saveTeam)},
		{"PUT /teams/{id}", replacing(h.saveTeam)},
		{"DELETE /teams/{id}", h.deleteTeam},
		{"GET /templates", h.listAllTemplates},
		{"POST /templates", creating(h.saveTemplate)},
		{"PUT /templates/{id}", replacing(h.saveTemplate)},
		{"DELETE /templates/{id}", h.deleteTemplate},
		{"POST /categories", creating(h.saveCategory)},
		{"PUT /categories/{id}", replacing(h.saveCategory)},
		{"POST /classifications", creating(h.saveClassification)},
		{"PUT /classifications/{id}", replacing(h.saveClassification)},
		{"GET /workspace", h.getWorkspace},
		{"PUT /workspace", h.renameWorkspace},
		{"GET /connections", h.listConnections},
		{"POST /connections/{kind}/connect", h.startConnect},
		{"GET /connect/callback/{kind}", h.connectCallback},
		{"POST /connections/{id}/disconnect", h.disconnect},
		{"PUT /connections/{id}/permission", h.setPermission},
		{"GET /rules", h.listRules},
		{"POST /rules", h.createRule},
		{"PUT /rules/{id}", h.updateRule},
		{"DELETE /rules/{id}", h.deleteRule},
		{"DELETE /conversations/{id}", h.deleteConversation},
		{"DELETE /contacts/{id}", h.deleteContact},
		{"DELETE /workspace", h.deleteWorkspace},
		{"GET /events", h.events},
	}
}

func (h *handler) routes() {
	for _, rt := range h.routeTable() {
		h.mux.Handle(rt.pattern, h.wrap(rt.fn))
	}
	h.mux.Handle("/", h.wrap(func(http.ResponseWriter, *http.Request, *omnichannel.User) error {
		return errNoRoute
	}))
}

type userKey struct{}

// ServeHTTP authenticates the request, then routes it; GET /openapi.json (the API's OpenAPI
// description, see OpenAPI) is answered without authentication.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	if isOpenAPIRequest(r) { // the description is not secret: served without authentication
		serveOpenAPI(w)
		return
	}
	if !h.csrf.Allow(r) {
		writeCrossSite(w)
		return
	}
	u, err := h.auth.Authenticate(r)
	if err != nil || u == nil || u.ID == "" || u.WorkspaceID == "" {
		writeJSON(w, http.StatusUnauthorized, ErrorResponse{Error: ErrorDetail{Code: "unauthorized", Message: "sign in first"}})
		return
	}
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
}

func (h *handler) wrap(fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := r.Context().Value(userKey{}).(*omnichannel.User)
		if u == nil { // not reachable through ServeHTTP
			writeJSON(w, http.StatusUnauthorized, ErrorResponse{Error: ErrorDetail{Code: "unauthorized", Message: "sign in first"}})
			return
		}
		if err := fn(w, r, u); err != nil {
			h.writeError(w, r, err)
		}
	})
}
