package zalooa

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// request is one provider call.
type request struct {
	method string
	url    string
	// op names the call in logs and errors ("send", "upload image", …).
	op string
	// token, when set, is sent in the access_token header (with appsecret_proof when enabled).
	token string
	// query is added to the URL.
	query map[string]string
	// jsonBody is sent as application/json.
	jsonBody []byte
	// form is sent as application/x-www-form-urlencoded, with the app secret in secret_key.
	form map[string]string
	// file is sent as multipart/form-data in the field "file".
	file *filePart
}

type filePart struct {
	name, contentType string
	data              []byte
}

// response is a provider answer: HTTP status, headers and the (capped) body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do waits for the rate limiter, makes the call and returns the answer. Errors are transport
// failures (or ctx ending) only; they never contain a token, since tokens travel in headers and
// form bodies, never in URLs.
func (c *Channel) do(ctx context.Context, r request) (*response, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("zalooa: %s: waiting for the rate limit: %w", r.op, err)
	}
	req := c.http.R().SetContext(ctx).SetHeader("Accept", "application/json")
	if r.token != "" {
		req.SetHeader("access_token", r.token)
		if c.cfg.AppSecretProof {
			req.SetHeader("appsecret_proof", AppSecretProof(c.cfg.AppSecret, r.token))
		}
	}
	if len(r.query) > 0 {
		req.SetQueryParams(r.query)
	}
	switch {
	case r.jsonBody != nil:
		req.SetHeader("Content-Type", "application/json").SetBody(r.jsonBody)
	case r.form != nil:
		req.SetHeader("secret_key", c.cfg.AppSecret).SetFormData(r.form)
	case r.file != nil:
		req.SetMultipartField("file", r.file.name, r.file.contentType, bytes.NewReader(r.file.data))
	}
	start := time.Now()
	resp, err := req.Execute(r.method, r.url)
	if err != nil {
		c.log.DebugContext(ctx, "zalooa: provider call failed", "op", r.op, "elapsed", time.Since(start))
		return nil, fmt.Errorf("zalooa: %s: %w", r.op, err)
	}
	out := &response{status: resp.StatusCode(), header: resp.Header(), body: resp.Body()}
	c.log.DebugContext(ctx, "zalooa: provider call", "op", r.op, "status", out.status, "elapsed", time.Since(start))
	return out, nil
}

// AppSecretProof returns the appsecret_proof header value: hex HMAC-SHA256 of accessToken keyed
// with the app secret.
func AppSecretProof(appSecret, accessToken string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(accessToken))
	return hex.EncodeToString(m.Sum(nil))
}

// envelope is Zalo's answer to every Open API call: error 0 and data on success; a negative error
// with message on failure (OAuth answers use error_name / error_description instead).
type envelope struct {
	Error            flexInt         `json:"error"`
	Message          string          `json:"message"`
	ErrorName        string          `json:"error_name"`
	ErrorReason      string          `json:"error_reason"`
	ErrorDescription string          `json:"error_description"`
	Data             json.RawMessage `json:"data"`
}

// text is the provider's readable explanation, whichever field carries it.
func (e *envelope) text() string {
	for _, s := range []string{e.Message, e.ErrorDescription, e.ErrorName, e.ErrorReason} {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// apiCall makes an Open API call and returns the data of a successful answer, or a classified
// *omnichannel.ProviderError (transport failures are returned as plain wrapped errors).
func (c *Channel) apiCall(ctx context.Context, r request) (json.RawMessage, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var env envelope
	decodeErr := json.Unmarshal(resp.body, &env)
	if resp.status/100 != 2 || (decodeErr == nil && env.Error != 0) {
		return nil, classify(resp.status, resp.header, &env, r.token)
	}
	if decodeErr != nil {
		return nil, badResponse(r.op, resp.status)
	}
	return env.Data, nil
}

// flexInt decodes 90000, "90000" and -216 alike (Zalo quotes some numbers).
type flexInt int64

// UnmarshalJSON accepts a JSON number or a string holding one; null and "" are 0.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if fl, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			*f = flexInt(fl)
			return nil
		}
		return fmt.Errorf("not a number: %q", truncate(s, 20))
	}
	*f = flexInt(n)
	return nil
}

// flexString decodes ids that Zalo sends as strings or as (18–19 digit) numbers without losing
// digits; null is "".
type flexString string

// UnmarshalJSON accepts a JSON string, a number (kept digit for digit) or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	default:
		return fmt.Errorf("want a string or a number, got %s", truncate(string(b), 20))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// readLimited reads at most limit bytes of r; more is reported as tooBig.
func readLimited(r io.Reader, limit int64) (data []byte, tooBig bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return nil, true, nil
	}
	return data, false, nil
}
