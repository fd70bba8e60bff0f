package inboxapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// apiError is an error answer decided by the API itself (bad input, missing route).
type apiError struct {
	status   int
	code     string
	message  string
	fields   map[string]string
	problems []Problem
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

var errNoRoute = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such route"}

func badRequest(msg string) error {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", message: msg}
}

func tooLarge(msg string) error {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large", message: msg}
}

func unsupportedMedia(msg string) error {
	return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", message: msg}
}

func notFound(msg string) error {
	return &apiError{status: http.StatusNotFound, code: "not_found", message: msg}
}

// fieldErrors collects the coded validation problems of a request, by field.
type fieldErrors map[string][]Problem

// add records a problem of field: its stable code, its English text and the params of its
// translation (name, value pairs).
func (f fieldErrors) add(field, code, text string, params ...string) {
	p := Problem{Field: field, Code: code, Message: text}
	if len(params) > 1 {
		p.Params = map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			p.Params[params[i]] = params[i+1]
		}
	}
	f[field] = append(f[field], p)
}

// err returns a 422 "invalid" error listing the problems, or nil when there are none.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	list := f.list()
	msgs := make([]string, 0, len(list))
	for _, p := range list {
		msgs = append(msgs, p.Field+": "+p.Message)
	}
	return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", message: strings.Join(msgs, "; "),
		fields: f.texts(), problems: list}
}

// list returns the problems ordered by field, then as added.
func (f fieldErrors) list() []Problem {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var out []Problem
	for _, k := range keys {
		out = append(out, f[k]...)
	}
	return out
}

// texts maps each field to its problems in English, separated by semicolons.
func (f fieldErrors) texts() map[string]string {
	if len(f) == 0 {
		return nil
	}
	out := make(map[string]string, len(f))
	for k, ps := range f {
		msgs := make([]string, 0, len(ps))
		for _, p := range ps {
			msgs = append(msgs, p.Message)
		}
		out[k] = strings.Join(msgs, "; ")
	}
	return out
}

// hint maps an engine validation problem without a field to the request field it is about: the
// first hint whose word appears in the problem (case-insensitively) wins; "" matches every problem.
type hint struct{ word, field string }

// hinted carries an engine error with the hints of the route that got it.
type hinted struct {
	err   error
	hints []hint
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// withHints attaches field hints to an engine error (nil stays nil).
func withHints(err error, hints ...hint) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hints: hints}
}

// problemsOf converts the engine's problems of invalid, giving a field from the hints to those
// that name none.
func problemsOf(invalid *omnichannel.ValidationError, hints []hint) fieldErrors {
	f := fieldErrors{}
	for i, p := range omnichannel.ProblemsOf(invalid) {
		text := ""
		if i < len(invalid.Problems) {
			text = invalid.Problems[i]
		}
		field := p.Field
		if field == "" {
			lp := strings.ToLower(text)
			for _, h := range hints {
				if h.word == "" || strings.Contains(lp, h.word) {
					field = h.field
					break
				}
			}
		}
		f[field] = append(f[field], Problem{Field: field, Code: p.Code, Params: p.Params, Message: text})
	}
	return f
}

// writeError answers err as {"error":{code,message,fields}} with the status of its class. Errors the
// API cannot classify answer 500 "internal" with a generic message; they are logged (method and
// route only: never the query, which may carry an OAuth code).
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, detail := h.classify(err)
	if status == http.StatusInternalServerError {
		if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
			h.log.Debug("inboxapi: request canceled", "method", r.Method, "route", r.Pattern)
		} else {
			h.log.Error("inboxapi: request failed", "method", r.Method, "route", r.Pattern, "err", err)
		}
	}
	writeJSON(w, status, ErrorResponse{Error: detail})
}

// classify maps an error to its HTTP status and wire detail (errors.Is / errors.As on the engine's
// sentinels and typed errors).
func (h *handler) classify(err error) (int, ErrorDetail) {
	var api *apiError
	if errors.As(err, &api) {
		return api.status, ErrorDetail{Code: api.code, Message: api.message, Fields: api.fields, Problems: api.problems}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || errors.Is(err, errUploadTooLarge) {
		return http.StatusRequestEntityTooLarge, ErrorDetail{Code: "too_large", Message: "the request body is too large"}
	}
	var hints []hint
	var hn *hinted
	if errors.As(err, &hn) {
		hints = hn.hints
	}
	var claimed *omnichannel.ClaimedError
	var forbidden *omnichannel.ForbiddenError
	var invalid *omnichannel.ValidationError
	switch {
	case errors.Is(err, omnichannel.ErrNotFound):
		return http.StatusNotFound, ErrorDetail{Code: "not_found", Message: "not found"}
	case errors.As(err, &claimed):
		return http.StatusConflict, ErrorDetail{Code: "already_claimed",
			Message: "another user claimed the conversation first", ClaimedBy: claimed.ClaimedBy}
	case errors.Is(err, omnichannel.ErrAlreadyClaimed):
		return http.StatusConflict, ErrorDetail{Code: "already_claimed", Message: "another user claimed the conversation first"}
	case errors.As(err, &forbidden):
		return http.StatusForbidden, ErrorDetail{Code: "forbidden", Reason: forbidden.Code,
			Message: "you may not " + string(forbidden.Action) + ": " + forbidden.Reason}
	case errors.Is(err, omnichannel.ErrForbidden):
		return http.StatusForbidden, ErrorDetail{Code: "forbidden", Message: "you may not do this"}
	case errors.As(err, &invalid):
		code := "invalid"
		if invalid.Unsupported {
			code = "unsupported"
		}
		f := problemsOf(invalid, hints)
		delete(f, "") // a problem of the whole request names no field in Fields
		all := problemsOf(invalid, hints).list()
		return http.StatusUnprocessableEntity, ErrorDetail{Code: code, Message: strings.Join(invalid.Problems, "; "),
			Fields: f.texts(), Problems: all}
	case errors.Is(err, omnichannel.ErrNoReplyRoute):
		return http.StatusUnprocessableEntity, ErrorDetail{Code: "no_reply_route", Message: sentinelMessage(err, omnichannel.ErrNoReplyRoute)}
	case errors.Is(err, omnichannel.ErrOutsideWindow):
		return http.StatusUnprocessableEntity, ErrorDetail{Code: "outside_window", Message: sentinelMessage(err, omnichannel.ErrOutsideWindow)}
	case errors.Is(err, omnichannel.ErrUnsupported):
		return http.StatusUnprocessableEntity, ErrorDetail{Code: "unsupported", Message: sentinelMessage(err, omnichannel.ErrUnsupported)}
	case errors.Is(err, omnichannel.ErrInvalid):
		return http.StatusUnprocessableEntity, ErrorDetail{Code: "invalid", Message: "the request is invalid"}
	case errors.Is(err, omnichannel.ErrConflict):
		return http.StatusConflict, ErrorDetail{Code: "conflict", Message: "the conversation changed meanwhile; try again"}
	case errors.Is(err, omnichannel.ErrNeedsReconnect):
		return http.StatusConflict, ErrorDetail{Code: "needs_reconnect", Message: "the channel account must be reconnected"}
	case errors.Is(err, omnichannel.ErrRateLimited):
		return http.StatusTooManyRequests, ErrorDetail{Code: "rate_limited", Message: "the provider is throttling; try again later"}
	case errors.Is(err, omnichannel.ErrBadState):
		return http.StatusBadRequest, ErrorDetail{Code: "bad_request", Message: "the connect flow is unknown, used or expired"}
	case errors.Is(err, omnichannel.ErrUnavailable):
		return http.StatusServiceUnavailable, ErrorDetail{Code: "unavailable", Message: "the inbox cannot save changes right now; try again shortly"}
	}
	return http.StatusInternalServerError, ErrorDetail{Code: "internal", Message: "internal error"}
}

// sentinelMessage returns the readable explanation the engine appended to a sentinel ("…: the reply
// window closed at …"), without the package prefix; the sentinel's own text when there is none.
// Engine messages of these classes carry no secrets (the engine never puts tokens in errors).
func sentinelMessage(err, sentinel error) string {
	msg := err.Error()
	if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
		return msg[i+len(sentinel.Error())+2:]
	}
	return strings.TrimPrefix(sentinel.Error(), "omnichannel: ")
}

// writeJSON writes v with status as application/json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
