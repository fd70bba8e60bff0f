package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxResponseBytes caps how much of a Graph answer is read.
const maxResponseBytes = 4 << 20

// graphRequest is one Graph API call.
type graphRequest struct {
	method string
	path   string // below the versioned root, starting with "/"
	token  string // sent as Authorization: Bearer (never in the URL)
	query  url.Values
	json   any
	body   io.Reader // a prepared body (multipart), with contentType
	ctype  string
	// secrets are scrubbed from any error besides the token and the app secret.
	secrets []string
}

// graphError is Meta's error object (documented by the provider).
type graphError struct {
	Message      string     `json:"message"`
	Type         string     `json:"type"`
	Code         flexInt    `json:"code"`
	ErrorSubcode flexInt    `json:"error_subcode"`
	UserTitle    string     `json:"error_user_title"`
	UserMsg      string     `json:"error_user_msg"`
	FBTraceID    flexString `json:"fbtrace_id"`
}

// call performs r and returns the body of a 2xx answer without an error object. Transport
// failures are plain errors (retryable) with secrets scrubbed; Meta's refusals are classified
// *omnichannel.ProviderError values (see classify).
func (c *Channel) call(ctx context.Context, r graphRequest) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	target := c.graph + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader = r.body
	ctype := r.ctype
	if r.json != nil {
		b, err := json.Marshal(r.json)
		if err != nil {
			return nil, fmt.Errorf("meta: encoding the request: %w", err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("meta: building the request: %s", c.clean(err.Error(), r))
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("meta: waiting for the rate limiter: %w", err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry client_secret or a code
		}
		return nil, &scrubbedError{msg: "meta: " + strings.TrimPrefix(r.path, "/") + ": " + c.clean(err.Error(), r), err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("meta: reading the answer: %s", c.clean(err.Error(), r))
	}
	var env struct {
		Error *graphError `json:"error"`
	}
	_ = json.Unmarshal(data, &env)
	if env.Error != nil || resp.StatusCode/100 != 2 {
		ge := env.Error
		if ge == nil {
			ge = &graphError{}
		}
		return nil, c.classify(resp.StatusCode, resp.Header, ge, r)
	}
	return data, nil
}

// Meta error codes the adapter classifies.
const (
	codeUnknown          = 1
	codeService          = 2
	codeAppLimit         = 4
	codeUserLimit        = 17
	codePermission       = 10
	codePagesLimit       = 32
	codeInvalidParam     = 100
	codeToken            = 190
	codeAppLimit341      = 341
	codeBlocked          = 368
	codeUnavailable      = 551
	codeRateLimit        = 613
	codeTemporary        = 1200
	subOutsideWindow     = 2018278
	subIGOutsideWindow   = 2534022
	subPageRestricted    = 1893063
	subUserUnavailable   = 1545041
	subNoMatchingUser    = 2018001
	subNoProfile         = 2018218
	codeNoIGUser         = 9010
	bucPages, bucMsgr    = 80001, 80006
	bucInstagram         = 80002
	maxProviderMsgLength = 300
)

// classify turns Meta's refusal into a *omnichannel.ProviderError with Meta's code
// ("code/subcode") and a readable reason.
func (c *Channel) classify(status int, h http.Header, ge *graphError, r graphRequest) *omnichannel.ProviderError {
	code, sub := int(ge.Code), int(ge.ErrorSubcode)
	pe := &omnichannel.ProviderError{Provider: c.kind}
	switch {
	case code != 0 && sub != 0:
		pe.Code = strconv.Itoa(code) + "/" + strconv.Itoa(sub)
	case code != 0:
		pe.Code = strconv.Itoa(code)
	default:
		pe.Code = "http_" + strconv.Itoa(status)
	}
	metaMsg := c.clean(firstNonEmpty(ge.UserMsg, ge.Message), r)
	reason := ""
	switch {
	case code == codeToken:
		pe.Class = omnichannel.ErrTokenExpired
		reason = "Meta refused the Page access token (expired, password changed or access removed)"
	case code == codePermission && (sub == subOutsideWindow || sub == subIGOutsideWindow):
		pe.Class = omnichannel.ErrOutsideWindow
		reason = "outside the 24-hour reply window (the customer must write again, or the Human Agent tag is not allowed)"
	case code == codePermission && sub == subPageRestricted:
		reason = "the Page is temporarily restricted from sending messages; check the Page's quality in Meta Business Suite"
	case code == codePermission || (code >= 200 && code <= 299):
		pe.Class = omnichannel.ErrNeedsReconnect
		reason = "the app lacks a permission on this Page; reconnect the account and grant every permission"
	case code == codeAppLimit || code == codeUserLimit || code == codeRateLimit || code == codePagesLimit ||
		code == bucPages || code == bucMsgr || code == bucInstagram || status == http.StatusTooManyRequests:
		pe.Class, pe.Retryable = omnichannel.ErrRateLimited, true
		reason = "Meta is throttling this app or Page; the send is retried"
		pe.RetryAfter = retryAfter(h)
	case code == codeAppLimit341 || code == codeBlocked:
		pe.Retryable = true
		reason = "Meta temporarily blocked sending (app limit or policy); retried later"
	case code == codeUnavailable || sub == subUserUnavailable:
		reason = "this person is not available right now (blocked the Page or deactivated the account)"
	case code == codeInvalidParam && sub == subNoMatchingUser:
		reason = "no matching user: the customer cannot be reached by this Page"
	case code == codeInvalidParam:
		reason = "Meta refused the request as invalid"
	case code == codeNoIGUser:
		reason = "no matching Instagram user"
	case code == codeUnknown || code == codeService || code == codeTemporary || status >= 500:
		pe.Retryable = true
		reason = "Meta had a temporary failure; the send is retried"
	default:
		reason = fmt.Sprintf("Meta refused the call (HTTP %d)", status)
	}
	pe.Message = reason
	if metaMsg != "" {
		pe.Message += " (" + metaMsg + ")"
	}
	return pe
}

func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// clean trims s and removes the app secret, the verify token, the request's token and secrets.
func (c *Channel) clean(s string, r graphRequest) string {
	for _, sec := range append([]string{c.cfg.AppSecret, c.cfg.VerifyToken, r.token}, r.secrets...) {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxProviderMsgLength {
		s = string([]rune(s)[:maxProviderMsgLength]) + "…"
	}
	return s
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// pageToken returns conn's Page access token, or an error asking for a reconnect.
func (c *Channel) pageToken(conn *omnichannel.Connection) (string, error) {
	if conn == nil || conn.Credentials.AccessToken == "" {
		return "", &omnichannel.ProviderError{Provider: c.kind, Code: "no_token", Class: omnichannel.ErrNeedsReconnect,
			Message: "the connection has no Page access token; reconnect the account"}
	}
	return conn.Credentials.AccessToken, nil
}

// pageID returns the Page a connection sends through: the connection itself on Messenger, the
// linked Page (Settings["page_id"]) on Instagram, "me" (the token's Page) when unknown.
func (c *Channel) pageID(conn *omnichannel.Connection) string {
	if !c.instagram() {
		return conn.ExternalID
	}
	if p := conn.Settings["page_id"]; p != "" {
		return p
	}
	return "me"
}
