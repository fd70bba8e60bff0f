// Package smsgw is an example channel adapter, written the way a vendor adds a channel to dakenh
// without touching the engine. "smsgw" is a made-up SMS gateway:
//
//   - It posts webhooks as application/x-www-form-urlencoded bodies, one event per delivery:
//     event=sms (a customer texted the business number) with account, from, id, text, ts; or
//     event=dlr (a delivery report) with account, ref, status (delivered|failed), ts. ts is Unix
//     seconds.
//   - It signs them with X-SMSGW-Timestamp (Unix seconds) and X-SMSGW-Signature =
//     hex(HMAC-SHA256(secret, timestamp + "." + raw body)); deliveries older than Tolerance are
//     refused, so a captured delivery cannot be replayed later.
//   - It sends with POST {BaseURL}/v1/messages, header X-API-Key, JSON
//     {"from","to","text","client_ref"} → {"id","status"}; errors are {"error","detail"}.
//
// The connection's API key is kept in Credentials.AccessToken (it never expires, so there is no
// TokenRefresher), and its sender number in Connection.ExternalID.
package smsgw

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Kind is the channel kind, and the webhook URL segment: POST /webhooks/smsgw.
const Kind omnichannel.Kind = "smsgw"

// Wire constants of the gateway.
const (
	SignatureHeader = "X-SMSGW-Signature"
	TimestampHeader = "X-SMSGW-Timestamp"
	// DefaultTolerance is how old a delivery may be when Config.Tolerance is zero.
	DefaultTolerance = 5 * time.Minute
	// MaxTextLength is six concatenated SMS segments of 153 characters.
	MaxTextLength = 918
)

// Config configures a Channel.
type Config struct {
	// Secret is the webhook signing secret from the gateway's console. Required.
	Secret string
	// BaseURL is the gateway's API root, e.g. "https://api.smsgw.example". Required.
	BaseURL string
	// HTTPClient makes the API calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Tolerance is the largest accepted age (and clock skew) of a delivery; 0 means
	// DefaultTolerance.
	Tolerance time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives debug and warning records; nil discards them. Secrets are never logged.
	Logger *slog.Logger
}

// Channel is the smsgw adapter. It is safe for concurrent use.
type Channel struct {
	secret    []byte
	baseURL   string
	client    *http.Client
	tolerance time.Duration
	now       func() time.Time
	log       *slog.Logger
}

var _ omnichannel.Channel = (*Channel)(nil)

// New validates cfg (every problem at once, in one *omnichannel.ValidationError) and returns an
// adapter.
func New(cfg Config) (*Channel, error) {
	p := model.ConfigProblems{Source: "smsgw"}
	if cfg.Secret == "" {
		p.Add("Secret", model.ProblemRequired, "Config.Secret is required")
	}
	if u, err := url.Parse(cfg.BaseURL); cfg.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Add("BaseURL", model.ProblemInvalid, "Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Tolerance < 0 {
		p.Add("Tolerance", model.ProblemInvalid, "Config.Tolerance is negative")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	c := &Channel{secret: []byte(cfg.Secret), baseURL: strings.TrimSuffix(cfg.BaseURL, "/"),
		client: cfg.HTTPClient, tolerance: cfg.Tolerance, now: cfg.Now, log: cfg.Logger}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.tolerance == 0 {
		c.tolerance = DefaultTolerance
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Signature returns the X-SMSGW-Signature value for a delivery of body at timestamp (Unix seconds,
// as sent in X-SMSGW-Timestamp).
func Signature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Kind returns "smsgw".
func (c *Channel) Kind() omnichannel.Kind { return Kind }

// Capabilities: text only, up to MaxTextLength characters, always open (no reply window).
func (c *Channel) Capabilities() omnichannel.Capabilities {
	return omnichannel.Capabilities{MaxTextLength: MaxTextLength}
}

// VerifyWebhook checks the timestamp is within Tolerance of now and the HMAC over
// timestamp + "." + body, in constant time. Failures wrap omnichannel.ErrBadSignature and never
// contain the secret or the expected signature.
func (c *Channel) VerifyWebhook(h http.Header, body []byte) error {
	ts, sig := h.Get(TimestampHeader), h.Get(SignatureHeader)
	if ts == "" || sig == "" {
		return fmt.Errorf("smsgw: %w: missing %s or %s", omnichannel.ErrBadSignature, TimestampHeader, SignatureHeader)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("smsgw: %w: malformed %s", omnichannel.ErrBadSignature, TimestampHeader)
	}
	if age := c.now().Sub(time.Unix(secs, 0)); age > c.tolerance || age < -c.tolerance {
		return fmt.Errorf("smsgw: %w: delivery timestamp is %s away from now (tolerance %s)",
			omnichannel.ErrBadSignature, age.Round(time.Second), c.tolerance)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("smsgw: %w: malformed %s", omnichannel.ErrBadSignature, SignatureHeader)
	}
	want, _ := hex.DecodeString(Signature(string(c.secret), ts, body))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("smsgw: %w: signature does not match", omnichannel.ErrBadSignature)
	}
	return nil
}

// ParseWebhook decodes one form-encoded event. Bodies that are not a form, or lack account, event or
// a field the event needs, return an error wrapping omnichannel.ErrMalformed. Unknown events and
// delivery reports with an unknown status produce no event.
func (c *Channel) ParseWebhook(_ http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("smsgw: %w: %v", omnichannel.ErrMalformed, err)
	}
	need := func(keys ...string) error {
		var missing []string
		for _, k := range keys {
			if f.Get(k) == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("smsgw: %w: missing %s", omnichannel.ErrMalformed, strings.Join(missing, ", "))
		}
		return nil
	}
	if err := need("account", "event"); err != nil {
		return nil, err
	}
	ev := omnichannel.InboundEvent{ExternalAccountID: f.Get("account")}
	if ts := f.Get("ts"); ts != "" {
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("smsgw: %w: ts is not a number", omnichannel.ErrMalformed)
		}
		ev.Time = time.Unix(secs, 0).UTC()
	}
	switch f.Get("event") {
	case "sms":
		if err := need("from", "id"); err != nil {
			return nil, err
		}
		ev.Type = omnichannel.InboundMessage
		ev.Direction = omnichannel.DirectionIn
		ev.ExternalUserID = f.Get("from")
		ev.ProviderMessageID = f.Get("id")
		ev.MessageType = omnichannel.MessageText
		ev.Text = f.Get("text")
		ev.Profile = &omnichannel.Profile{ExternalUserID: ev.ExternalUserID, Phone: ev.ExternalUserID}
	case "dlr":
		if err := need("ref"); err != nil {
			return nil, err
		}
		switch f.Get("status") {
		case "delivered":
			ev.Status = omnichannel.MessageDelivered
		case "failed":
			ev.Status = omnichannel.MessageFailed
		default:
			return nil, nil
		}
		ev.Type = omnichannel.InboundStatus
		ev.ProviderMessageIDs = []string{f.Get("ref")}
	default:
		return nil, nil
	}
	return []omnichannel.InboundEvent{ev}, nil
}

// Send posts one SMS from the connection's number to msg.RecipientID. Attachments and text over
// MaxTextLength are refused with an *omnichannel.ValidationError before any call. Gateway refusals
// are *omnichannel.ProviderError: 401/403 (API key revoked) → ErrNeedsReconnect; 429 →
// ErrRateLimited with RetryAfter; 5xx → retryable; others final. Network failures are plain errors.
func (c *Channel) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	var problems []string
	unsupported := false
	if conn == nil || conn.Credentials.AccessToken == "" || conn.ExternalID == "" {
		return omnichannel.SendResult{}, &omnichannel.ProviderError{Provider: Kind, Code: "no_credentials",
			Message: "the connection has no API key or sender number", Class: omnichannel.ErrNeedsReconnect}
	}
	switch {
	case msg == nil || msg.RecipientID == "":
		problems = append(problems, "smsgw: recipient is required")
	case len(msg.Attachments) > 0:
		problems, unsupported = append(problems, "smsgw: SMS cannot carry attachments"), true
	case msg.Text == "":
		problems = append(problems, "smsgw: text is required")
	case utf8.RuneCountInString(msg.Text) > MaxTextLength:
		problems, unsupported = append(problems, fmt.Sprintf("smsgw: text longer than %d characters", MaxTextLength)), true
	}
	if len(problems) > 0 {
		return omnichannel.SendResult{}, &omnichannel.ValidationError{Problems: problems, Unsupported: unsupported}
	}
	body, _ := json.Marshal(map[string]string{
		"from": conn.ExternalID, "to": msg.RecipientID, "text": msg.Text, "client_ref": msg.MessageID,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return omnichannel.SendResult{}, fmt.Errorf("smsgw: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", conn.Credentials.AccessToken)
	resp, err := c.client.Do(req)
	if err != nil {
		return omnichannel.SendResult{}, fmt.Errorf("smsgw: send: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		pe := classify(resp, data)
		c.log.WarnContext(ctx, "smsgw: send refused", "status", resp.StatusCode, "code", pe.Code, "message_id", msg.MessageID)
		return omnichannel.SendResult{}, pe
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return omnichannel.SendResult{}, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "the gateway accepted the message but returned no id"}
	}
	c.log.DebugContext(ctx, "smsgw: sent", "to", msg.RecipientID, "provider_id", out.ID, "message_id", msg.MessageID)
	return omnichannel.SendResult{ProviderMessageID: out.ID, Status: omnichannel.MessageSent}, nil
}

// classify maps a refused call to a ProviderError. The gateway never echoes the API key, so its
// text is kept as is (trimmed).
func classify(resp *http.Response, body []byte) *omnichannel.ProviderError {
	var e struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(body, &e)
	pe := &omnichannel.ProviderError{Provider: Kind, Code: e.Error, Message: e.Detail}
	if len(pe.Message) > 300 {
		pe.Message = pe.Message[:300]
	}
	if pe.Message == "" {
		pe.Message = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		pe.Class = omnichannel.ErrNeedsReconnect
	case s == http.StatusTooManyRequests:
		pe.Class, pe.Retryable = omnichannel.ErrRateLimited, true
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			pe.RetryAfter = time.Duration(secs) * time.Second
		}
	case s >= 500:
		pe.Retryable = true
	}
	return pe
}
