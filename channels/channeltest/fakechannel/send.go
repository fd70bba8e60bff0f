package fakechannel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxResponseBytes caps how much of a provider answer the adapter reads.
const maxResponseBytes = 1 << 20

// sendRequest is the body of POST /messages.
type sendRequest struct {
	Recipient   string           `json:"recipient"`
	Text        string           `json:"text,omitempty"`
	QuoteID     string           `json:"quote_id,omitempty"`
	Attachments []sendAttachment `json:"attachments,omitempty"`
}

type sendAttachment struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	// Data is the content, base64 (standard alphabet, padded).
	Data string `json:"data"`
}

// apiError is the provider's error envelope.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Send posts msg to {BaseURL}/messages with conn's access token and returns the provider's message id
// (Status omnichannel.MessageSent).
//
// It checks msg against Capabilities first and returns an *omnichannel.ValidationError (matching
// ErrInvalid, and ErrUnsupported for channel limits) without any network call when it does not fit.
// Provider refusals are *omnichannel.ProviderError values with Provider "fake": 401 → Class
// ErrTokenExpired (retryable once the token is refreshed); 429 → Class ErrRateLimited, Retryable,
// RetryAfter from the Retry-After header; 5xx → Retryable; 403 "window_closed" → Class
// ErrOutsideWindow; other statuses → final, with the provider's Code and Message. A 200 without a
// message id is a final error (the message may have been delivered, so it must not be re-sent).
// Network failures are returned as plain wrapped errors. No error contains the access token.
func (c *Channel) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	token, err := accessToken(conn)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	if msg == nil {
		return omnichannel.SendResult{}, &omnichannel.ValidationError{Problems: []string{"fakechannel: nil message"}}
	}
	req, err := c.buildSend(ctx, msg)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return omnichannel.SendResult{}, fmt.Errorf("fakechannel: encoding the message: %w", err)
	}
	status, header, respBody, err := c.call(ctx, http.MethodPost, c.endpoint("/messages"), token, "application/json", bytes.NewReader(body))
	if err != nil {
		return omnichannel.SendResult{}, fmt.Errorf("fakechannel: send: %w", err)
	}
	if status/100 != 2 {
		return omnichannel.SendResult{}, classify(status, header, respBody, token)
	}
	var out struct {
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(respBody, &out); err != nil || out.MessageID == "" {
		return omnichannel.SendResult{}, &omnichannel.ProviderError{
			Provider: Kind,
			Code:     "bad_response",
			Message:  "the provider accepted the message but returned no message id",
		}
	}
	return omnichannel.SendResult{ProviderMessageID: out.MessageID, Status: omnichannel.MessageSent}, nil
}

// buildSend validates msg and reads its attachment.
func (c *Channel) buildSend(ctx context.Context, msg *omnichannel.OutboundMessage) (*sendRequest, error) {
	var problems []string
	unsupported := false
	if msg.RecipientID == "" {
		problems = append(problems, "recipient is required")
	}
	if msg.Text == "" && len(msg.Attachments) == 0 {
		problems = append(problems, "a message needs text or an attachment")
	}
	if n := utf8.RuneCountInString(msg.Text); n > MaxTextLength {
		problems = append(problems, fmt.Sprintf("text has %d characters, the fake provider accepts %d", n, MaxTextLength))
		unsupported = true
	}
	if len(msg.Attachments) > 1 {
		problems = append(problems, fmt.Sprintf("%d attachments, the fake provider accepts 1 per message", len(msg.Attachments)))
		unsupported = true
	}
	caps := c.Capabilities()
	for _, a := range msg.Attachments {
		types, limit := caps.ImageTypes, caps.MaxImageBytes
		switch a.Kind {
		case omnichannel.MessageImage:
		case omnichannel.MessageFile:
			types, limit = caps.FileTypes, caps.MaxFileBytes
		default:
			problems = append(problems, fmt.Sprintf("attachment kind %q is not supported", a.Kind))
			unsupported = true
			continue
		}
		if !contains(types, a.ContentType) {
			problems = append(problems, fmt.Sprintf("%s type %q is not accepted (accepted: %s)", a.Kind, a.ContentType, strings.Join(types, ", ")))
			unsupported = true
		}
		if a.Size > limit {
			problems = append(problems, fmt.Sprintf("%s is %d bytes, the limit is %d", a.Kind, a.Size, limit))
			unsupported = true
		}
		if a.Open == nil {
			problems = append(problems, "attachment has no content (Open is nil)")
		}
	}
	if len(problems) > 0 {
		for i, p := range problems {
			problems[i] = "fakechannel: " + p
		}
		return nil, &omnichannel.ValidationError{Problems: problems, Unsupported: unsupported}
	}
	req := &sendRequest{Recipient: msg.RecipientID, Text: msg.Text, QuoteID: msg.QuoteProviderMessageID}
	for _, a := range msg.Attachments {
		limit := int64(MaxImageBytes)
		typ := "image"
		if a.Kind == omnichannel.MessageFile {
			limit, typ = MaxFileBytes, "file"
		}
		data, err := readAttachment(ctx, a, limit)
		if err != nil {
			return nil, err
		}
		req.Attachments = append(req.Attachments, sendAttachment{
			Type:        typ,
			Name:        a.Name,
			ContentType: a.ContentType,
			Data:        base64.StdEncoding.EncodeToString(data),
		})
	}
	return req, nil
}

// readAttachment reads at most limit bytes of a's content; a larger content is a validation error.
func readAttachment(ctx context.Context, a omnichannel.OutboundAttachment, limit int64) ([]byte, error) {
	rc, err := a.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("fakechannel: opening attachment %q: %w", a.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fakechannel: reading attachment %q: %w", a.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, &omnichannel.ValidationError{
			Problems:    []string{fmt.Sprintf("fakechannel: attachment %q is larger than %d bytes", a.Name, limit)},
			Unsupported: true,
		}
	}
	return data, nil
}

// accessToken returns conn's access token, or a ProviderError asking for a reconnect.
func accessToken(conn *omnichannel.Connection) (string, error) {
	if conn == nil || conn.Credentials.AccessToken == "" {
		return "", &omnichannel.ProviderError{
			Provider: Kind,
			Code:     "no_token",
			Message:  "the connection has no access token",
			Class:    omnichannel.ErrNeedsReconnect,
		}
	}
	return conn.Credentials.AccessToken, nil
}

// endpoint returns BaseURL + path (path starts with "/" and is already escaped).
func (c *Channel) endpoint(path string) string {
	u := *c.base
	return u.String() + path
}

// call makes one provider request and returns the status, headers and (capped) body. token, when
// not empty, is sent as a bearer token. Errors are transport failures only.
func (c *Channel) call(ctx context.Context, method, target, token, contentType string, body io.Reader) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the provider's answer: %w", err)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// classify turns a non-2xx provider answer into a *omnichannel.ProviderError. Every secret in
// secrets is removed from the provider's text before it is kept.
func classify(status int, header http.Header, body []byte, secrets ...string) *omnichannel.ProviderError {
	var env apiError
	_ = json.Unmarshal(body, &env) // a body that is not the envelope leaves Code and Message empty
	pe := &omnichannel.ProviderError{
		Provider: Kind,
		Code:     clean(env.Error.Code, 64, secrets),
		Message:  clean(env.Error.Message, 300, secrets),
	}
	if pe.Message == "" {
		pe.Message = fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	}
	switch {
	case status == http.StatusUnauthorized:
		pe.Class = omnichannel.ErrTokenExpired
		pe.Retryable = true // after a token refresh
	case status == http.StatusTooManyRequests:
		pe.Class = omnichannel.ErrRateLimited
		pe.Retryable = true
		pe.RetryAfter = retryAfter(header.Get("Retry-After"), time.Now())
	case status >= 500:
		pe.Retryable = true
	case status == http.StatusForbidden && env.Error.Code == "window_closed":
		pe.Class = omnichannel.ErrOutsideWindow
	}
	return pe
}

// clean trims s to max runes and removes secrets from it.
func clean(s string, max int, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); zero when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
