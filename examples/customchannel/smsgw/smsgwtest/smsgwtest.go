// Package smsgwtest emulates the smsgw gateway in process, for the adapter's tests and the
// example: an httptest server speaking the gateway's send API, plus helpers that build and sign
// webhook deliveries exactly as the gateway does.
package smsgwtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/dakenh/dakenh/examples/customchannel/smsgw"
	"github.com/dakenh/dakenh/omnichannel"
)

// Account is the business number (short code) the emulator hosts.
const Account = "8055"

// SMS is a message the emulator accepted.
type SMS struct {
	ID, From, To, Text, ClientRef string
}

// Provider is the emulated gateway. Its methods are safe for concurrent use.
type Provider struct {
	secret string
	apiKey string
	srv    *httptest.Server

	mu     sync.Mutex
	sent   []SMS
	faults []fault
	inSeq  int // ids of inbound SMS
	outSeq int // ids of accepted sends
}

type fault struct {
	status int
	code   string
}

// NewProvider starts an emulator that signs webhooks with secret and accepts one API key
// (APIKey). Close it when done.
func NewProvider(secret string) *Provider {
	p := &Provider{secret: secret, apiKey: "smsk_" + randomHex(12)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", p.handleSend)
	p.srv = httptest.NewServer(mux)
	return p
}

// URL is the API root, for smsgw.Config.BaseURL.
func (p *Provider) URL() string { return p.srv.URL }

// Close stops the server.
func (p *Provider) Close() { p.srv.Close() }

// APIKey is the only key the emulator accepts.
func (p *Provider) APIKey() string { return p.apiKey }

// Connection returns a connection of Account with the valid API key.
func (p *Provider) Connection() *omnichannel.Connection {
	return &omnichannel.Connection{Kind: smsgw.Kind, ExternalID: Account, DisplayName: "SMS " + Account,
		Status: omnichannel.ConnectionConnected, Credentials: omnichannel.Credentials{AccessToken: p.apiKey}}
}

// Inbound returns the webhook body for an SMS from the phone number from, with a new id.
func (p *Provider) Inbound(from, text string) []byte {
	p.mu.Lock()
	p.inSeq++
	id := "in-" + strconv.Itoa(p.inSeq)
	p.mu.Unlock()
	return []byte(url.Values{"event": {"sms"}, "account": {Account}, "from": {from}, "id": {id}, "text": {text},
		"ts": {strconv.FormatInt(time.Now().Unix(), 10)}}.Encode())
}

// DeliveryReport returns the webhook body reporting status ("delivered" or "failed") of the sent
// message ref.
func (p *Provider) DeliveryReport(ref, status string) []byte {
	return []byte(url.Values{"event": {"dlr"}, "account": {Account}, "ref": {ref}, "status": {status},
		"ts": {strconv.FormatInt(time.Now().Unix(), 10)}}.Encode())
}

// Sign returns the signature headers the gateway sends with body at time at.
func (p *Provider) Sign(body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set(smsgw.TimestampHeader, ts)
	h.Set(smsgw.SignatureHeader, smsgw.Signature(p.secret, ts, body))
	return h
}

// SignedWebhook builds the POST the gateway makes to target with body, signed now.
func (p *Provider) SignedWebhook(target string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		panic("smsgwtest: " + err.Error())
	}
	req.Header = p.Sign(body, time.Now())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// Sent returns the messages accepted so far.
func (p *Provider) Sent() []SMS {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]SMS(nil), p.sent...)
}

// FailNext makes the next n sends fail with status and error code (429 adds Retry-After: 2).
func (p *Provider) FailNext(status int, code string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < n; i++ {
		p.faults = append(p.faults, fault{status, code})
	}
}

func (p *Provider) handleSend(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var f *fault
	if len(p.faults) > 0 {
		f, p.faults = &p.faults[0], p.faults[1:]
	}
	p.mu.Unlock()
	switch {
	case f != nil:
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		writeJSON(w, f.status, map[string]string{"error": f.code, "detail": "injected fault"})
		return
	case r.Header.Get("X-API-Key") != p.apiKey:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "INVALID_KEY", "detail": "unknown API key"})
		return
	}
	var m struct {
		From      string `json:"from"`
		To        string `json:"to"`
		Text      string `json:"text"`
		ClientRef string `json:"client_ref"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.To == "" || m.Text == "" || m.From != Account {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "INVALID_REQUEST", "detail": "from, to and text are required"})
		return
	}
	p.mu.Lock()
	p.outSeq++
	sms := SMS{ID: "sms-" + strconv.Itoa(p.outSeq), From: m.From, To: m.To, Text: m.Text, ClientRef: m.ClientRef}
	p.sent = append(p.sent, sms)
	p.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": sms.ID, "status": "queued"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
