package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxResponseBytes caps how much of a provider answer the adapter reads.
const maxResponseBytes = 4 << 20

// TikTok error codes the adapter classifies. Only 40100 is verified;
// the others come from third-party notes, so unknown codes are treated as final refusals with
// TikTok's own message.
const (
	CodeOK             = 0
	CodeNoPermission   = 40001
	CodeParamError     = 40002
	CodeNotFound       = 40007
	CodeDMRules        = 40064 // blocked by DM rules, the reply window or spam control
	CodeThrottled      = 40100 // verified: rate limited, HTTP 200
	CodeTokenExpired   = 40102
	CodeTokenMissing   = 40104
	CodeTokenInvalid   = 40105 // invalid or expired access token
	CodeUnsupportedMed = 40908
	CodeSystemError    = 51065
)

// apiEnvelope is every Business API answer: {code, message, request_id, data}.
type apiEnvelope struct {
	Code      *flexInt        `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// apiRequest is one Business API call.
type apiRequest struct {
	method string
	path   string // below the API root, with its trailing slash
	token  string // sent as Access-Token when not empty
	query  url.Values
	json   any // JSON body
	form   map[string]string
	file   *multipartFile
}

type multipartFile struct {
	field, name, contentType string
	data                     []byte
}

// call performs r and returns the data of a code-0 answer. Transport failures are plain wrapped
// errors (retryable); HTTP errors and non-zero codes are *omnichannel.ProviderError values. The
// token and the app secret never appear in the error.
func (c *Channel) call(ctx context.Context, r apiRequest) (json.RawMessage, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("tiktok: %s: waiting for the rate limiter: %w", r.path, err)
	}
	req := c.http.R().SetContext(ctx).SetHeader("Accept", "application/json")
	if r.token != "" {
		req.SetHeader("Access-Token", r.token)
	}
	if len(r.query) > 0 {
		req.SetQueryParamsFromValues(r.query)
	}
	switch {
	case r.file != nil:
		req.SetMultipartFormData(r.form)
		req.SetMultipartField(r.file.field, r.file.name, r.file.contentType, strings.NewReader(string(r.file.data)))
	case r.json != nil:
		body, err := json.Marshal(r.json)
		if err != nil {
			return nil, fmt.Errorf("tiktok: encoding %s: %w", r.path, err)
		}
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	resp, err := req.Execute(r.method, c.api+r.path)
	if err != nil {
		return nil, fmt.Errorf("tiktok: %s: %w", r.path, c.scrub(err, r.token))
	}
	return c.decode(resp, r.token)
}

// decode checks the HTTP status and the envelope's code.
func (c *Channel) decode(resp *resty.Response, token string) (json.RawMessage, error) {
	status := resp.StatusCode()
	var env apiEnvelope
	jsonErr := json.Unmarshal(resp.Body(), &env)
	if status/100 != 2 {
		code := 0
		if jsonErr == nil && env.Code != nil {
			code = int(*env.Code)
		}
		return nil, c.classify(status, code, env.Message, token)
	}
	if jsonErr != nil || env.Code == nil {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "TikTok returned an answer that is not its JSON envelope", Retryable: true}
	}
	if *env.Code != CodeOK {
		return nil, c.classify(status, int(*env.Code), env.Message, token)
	}
	return env.Data, nil
}

// classify turns an HTTP failure or a non-zero code into a *omnichannel.ProviderError.
func (c *Channel) classify(status, code int, message, token string) *omnichannel.ProviderError {
	pe := &omnichannel.ProviderError{Provider: Kind, Message: c.clean(message, 300, token)}
	if code != 0 {
		pe.Code = strconv.Itoa(code)
	} else {
		pe.Code = "http_" + strconv.Itoa(status)
	}
	switch {
	case code == CodeThrottled || status == http.StatusTooManyRequests:
		pe.Class, pe.Retryable = omnichannel.ErrRateLimited, true
		pe.Message = prefix("TikTok is throttling this app; the send is retried", pe.Message)
	case code == CodeTokenExpired || code == CodeTokenMissing || code == CodeTokenInvalid || status == http.StatusUnauthorized:
		pe.Class, pe.Retryable = omnichannel.ErrTokenExpired, true
		pe.Message = prefix("TikTok refused the access token", pe.Message)
	case code == CodeDMRules:
		pe.Class = omnichannel.ErrOutsideWindow
		pe.Message = prefix("TikTok refused the message: the 48-hour reply window is closed, its message quota is used up, or the account's DM rules block it; wait for the customer to write again", pe.Message)
	case code == CodeNoPermission:
		pe.Message = prefix("the TikTok account has not granted this app the messaging permission", pe.Message)
	case code == CodeUnsupportedMed:
		pe.Class = omnichannel.ErrUnsupported
		pe.Message = prefix("TikTok does not accept this file type", pe.Message)
	case status >= 500 || code >= 50000:
		pe.Retryable = true
		pe.Message = prefix("TikTok had a temporary failure", pe.Message)
	}
	if pe.Message == "" {
		pe.Message = fmt.Sprintf("TikTok refused the call (HTTP %d)", status)
	}
	return pe
}

func prefix(p, msg string) string {
	if msg == "" {
		return p
	}
	return p + " (" + msg + ")"
}

// clean trims s to max runes and removes the app secret and token from it.
func (c *Channel) clean(s string, max int, token string) string {
	for _, sec := range []string{c.cfg.ClientSecret, token} {
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

// scrub returns err with the secrets removed from its text (net/http errors quote the URL).
func (c *Channel) scrub(err error, token string) error {
	msg := err.Error()
	cleaned := c.clean(msg, 500, token)
	if cleaned == strings.TrimSpace(msg) {
		return err
	}
	return &scrubbedError{msg: cleaned, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// accessToken returns conn's access token, or a ProviderError asking for a reconnect.
func accessToken(conn *omnichannel.Connection) (string, error) {
	if conn == nil || conn.Credentials.AccessToken == "" {
		return "", &omnichannel.ProviderError{Provider: Kind, Code: "no_token", Reason: omnichannel.FailureTokenMissing,
			Message: "the TikTok connection has no access token; reconnect the account", Class: omnichannel.ErrNeedsReconnect}
	}
	return conn.Credentials.AccessToken, nil
}

// flexInt decodes 3600 and "3600" alike (TikTok's clients disagree on some numeric fields).
type flexInt int64

// UnmarshalJSON accepts a JSON number or a string holding one.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return err
		}
		n = int64(fl)
	}
	*f = flexInt(n)
	return nil
}

// flexString decodes "abc" and 123 alike (cursor values, ids).
type flexString string

// UnmarshalJSON accepts a JSON string or number.
func (f *flexString) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*f = ""
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexString(v)
		return nil
	}
	*f = flexString(s)
	return nil
}
