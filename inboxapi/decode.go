package inboxapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeJSON reads r's body into v strictly: Content-Type must be application/json (415), the body
// at most MaxJSONBytes (413), valid UTF-8, one JSON value of v's shape with no unknown field and
// nothing after it (400).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if !hasMediaType(r, "application/json") {
		return unsupportedMedia("send the body as application/json")
	}
	if r.ContentLength > MaxJSONBytes {
		return tooLarge(fmt.Sprintf("JSON bodies are limited to %d bytes", MaxJSONBytes))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSONBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge(fmt.Sprintf("JSON bodies are limited to %d bytes", MaxJSONBytes))
		}
		return badRequest("could not read the body")
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("unexpected data after the JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
		}
		return "the body must be a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

// hasMediaType reports whether r's Content-Type is want (parameters such as charset allowed).
func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// queryValues returns every value of the query parameter name, repeated parameters and
// comma-separated lists alike, trimmed, empty ones dropped.
func queryValues(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// queryInt parses an optional integer query parameter within [lo, hi]; def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int64, f fieldErrors) int64 {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		f.add(name, "bad_number", fmt.Sprintf("must be a whole number from %d to %d", lo, hi), "min", strconv.FormatInt(lo, 10), "max", strconv.FormatInt(hi, 10))
		return def
	}
	return n
}

func sortStrings(s []string) { sort.Strings(s) }
