package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// simHeader must accompany simulator writes: a cross-site form cannot set it, and a cross-site
// script cannot send it without a CORS preflight the app never allows.
const simHeader = "X-Dakenh-Sim"

// simCookie is the customer simulator's session: set by the /sim page, required to read what
// the shop answered a simulated customer.
const simCookie = "dakenh_sim"

// simSessions are the simulator pages opened (demo mode), kept in memory for sessionTTL.
type simSessions struct {
	now    func() time.Time
	secure bool

	mu sync.Mutex
	m  map[string]time.Time // token → expiry
}

// maxSimSessions bounds the simulator's sessions; past it the expired ones go, then the oldest.
const maxSimSessions = 10000

func newSimSessions(now func() time.Time, secure bool) *simSessions {
	return &simSessions{now: now, secure: secure, m: map[string]time.Time{}}
}

// start gives the page a session cookie unless it already has a valid one.
func (s *simSessions) start(w http.ResponseWriter, r *http.Request) {
	if s.valid(r) {
		return
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	s.mu.Lock()
	if len(s.m) >= maxSimSessions {
		var oldest string
		for k, exp := range s.m {
			if !now.Before(exp) {
				delete(s.m, k)
			} else if oldest == "" || exp.Before(s.m[oldest]) {
				oldest = k
			}
		}
		if len(s.m) >= maxSimSessions {
			delete(s.m, oldest)
		}
	}
	s.m[token] = now.Add(sessionTTL)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: simCookie, Value: token, Path: "/sim", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil, MaxAge: int(sessionTTL / time.Second)})
}

// valid reports whether r carries a live simulator session.
func (s *simSessions) valid(r *http.Request) bool {
	c, err := r.Cookie(simCookie)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[c.Value]
	return ok && s.now().Before(exp)
}

// simPage serves the simulator page with its session.
func (a *App) simPage(page http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.sim.start(w, r)
		page(w, r)
	}
}

// demoOnly answers 404 outside demo mode.
func (a *App) demoOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.opts.Demo() {
			writeJSONError(w, http.StatusNotFound, "not_found", errNotDemo.Error())
			return
		}
		h(w, r)
	}
}

// simAccount is a connected account a simulated customer can write to.
type simAccount struct {
	ConnectionID string `json:"connectionId"`
	Channel      string `json:"channel"`
	Label        string `json:"label"`
	DisplayName  string `json:"displayName"`
}

func (a *App) handleSimAccounts(w http.ResponseWriter, r *http.Request) {
	var out []simAccount
	err := a.store.View(r.Context(), func(tx omnichannel.Tx) error {
		list, err := tx.ListConnections(workspaceID)
		if err != nil {
			return err
		}
		for _, c := range list {
			if e := a.emulators[c.Kind]; e != nil && c.Status == omnichannel.ConnectionConnected {
				out = append(out, simAccount{ConnectionID: c.ID, Channel: string(c.Kind), Label: e.Label(), DisplayName: c.DisplayName})
			}
		}
		return nil
	})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal", "could not list the accounts")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// simReply is a message of the business as the customer received it.
type simReply struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`
	Attachments []string  `json:"attachments"`
	At          time.Time `json:"at"`
}

// handleSimThread returns what the shop sent a simulated customer: only to the simulator page's
// session (the shop's replies are not for anyone who guesses a customer id).
func (a *App) handleSimThread(w http.ResponseWriter, r *http.Request) {
	if !a.sim.valid(r) {
		writeJSONError(w, http.StatusUnauthorized, "unauthorized", "open the simulator page first")
		return
	}
	e := a.emulators[omnichannel.Kind(r.URL.Query().Get("channel"))]
	if e == nil {
		writeJSONError(w, http.StatusNotFound, "not_found", "unknown channel")
		return
	}
	out := []simReply{}
	for _, m := range e.Received(r.URL.Query().Get("customerId")) {
		out = append(out, simReply{ID: m.ProviderMessageID, Text: m.Text, Attachments: append([]string{}, m.Attachments...), At: m.At})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// handleSimMessage takes a multipart form (connectionId, channel, customerId, name, phone, text,
// file) and delivers it as the customer's message.
func (a *App) handleSimMessage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(simHeader) != "1" {
		writeJSONError(w, http.StatusForbidden, "forbidden", "missing "+simHeader+" header")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "the file is too large")
			return
		}
		writeJSONError(w, http.StatusBadRequest, "bad_request", "expected a multipart form")
		return
	}
	defer r.MultipartForm.RemoveAll()
	f := r.MultipartForm.Value
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	m := customerMessage{CustomerID: get("customerId"), Name: get("name"), Phone: get("phone"), Text: get("text")}
	fields := map[string]string{}
	if m.CustomerID == "" || len(m.CustomerID) > 64 {
		fields["customerId"] = "required, at most 64 characters"
	}
	if utf8.RuneCountInString(m.Name) > 100 {
		fields["name"] = "at most 100 characters"
	}
	if utf8.RuneCountInString(m.Text) > 2000 {
		fields["text"] = "at most 2000 characters"
	}
	if files := r.MultipartForm.File["file"]; len(files) > 0 {
		fh := files[0]
		src, err := fh.Open()
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "bad_request", "unreadable file")
			return
		}
		data, err := io.ReadAll(io.LimitReader(src, maxUploadBytes+1))
		src.Close()
		if err != nil || len(data) > maxUploadBytes {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "the file is too large")
			return
		}
		ct := fh.Header.Get("Content-Type")
		if ct == "" || ct == "application/octet-stream" {
			ct = http.DetectContentType(data)
		}
		m.File = &customerFile{Name: omnichannel.SafeFileName(fh.Filename), ContentType: ct, Data: data}
	}
	if m.Text == "" && m.File == nil && m.Phone == "" {
		fields["text"] = "write something, attach a file or share a phone number"
	}
	if len(fields) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "invalid", "message": "the message is incomplete", "fields": fields}})
		return
	}
	if err := a.customerWrites(r.Context(), omnichannel.Kind(get("channel")), m); err != nil {
		if errors.Is(err, omnichannel.ErrNotFound) {
			writeJSONError(w, http.StatusNotFound, "not_found", "no emulator for this channel")
			return
		}
		if errors.Is(err, errCustomerCannot) {
			writeJSONError(w, http.StatusUnprocessableEntity, "unsupported", err.Error())
			return
		}
		a.log.Warn("simulator: delivering a customer message", "err", err)
		writeJSONError(w, http.StatusBadGateway, "internal", "the webhook was not accepted")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSimReact plays the customer putting a ❤️ on one of the shop's messages (the provider's
// reaction webhook): channel, customerId and messageId (the provider's id) in the query.
func (a *App) handleSimReact(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(simHeader) != "1" {
		writeJSONError(w, http.StatusForbidden, "forbidden", "missing "+simHeader+" header")
		return
	}
	q := r.URL.Query()
	kind := omnichannel.Kind(q.Get("channel"))
	e := a.emulators[kind]
	if e == nil {
		writeJSONError(w, http.StatusNotFound, "not_found", "unknown channel")
		return
	}
	if q.Get("customerId") == "" || q.Get("messageId") == "" {
		writeJSONError(w, http.StatusBadRequest, "bad_request", "customerId and messageId are required")
		return
	}
	if err := e.CustomerReacts(r.Context(), a.webhookURL(kind), q.Get("customerId"), q.Get("messageId")); err != nil {
		a.log.Warn("simulator: posting a reaction", "err", err)
		writeJSONError(w, http.StatusBadGateway, "internal", "the webhook was not accepted")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSimRead plays the customer reading the shop's messages (the provider's "seen" webhook).
func (a *App) handleSimRead(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(simHeader) != "1" {
		writeJSONError(w, http.StatusForbidden, "forbidden", "missing "+simHeader+" header")
		return
	}
	kind := omnichannel.Kind(r.URL.Query().Get("channel"))
	e := a.emulators[kind]
	if e == nil {
		writeJSONError(w, http.StatusNotFound, "not_found", "unknown channel")
		return
	}
	if err := e.CustomerReads(r.Context(), a.webhookURL(kind), r.URL.Query().Get("customerId")); err != nil {
		a.log.Warn("simulator: posting a seen receipt", "err", err)
		writeJSONError(w, http.StatusBadGateway, "internal", "the webhook was not accepted")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
