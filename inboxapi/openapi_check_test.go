package inboxapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dakenh/dakenh/inboxapi"
)

// This file checks the answers the tests receive against the OpenAPI description (inboxapi.OpenAPI):
// env.do and the event streams call it for every response and every event, so a handler whose
// answer the description does not tell truthfully fails the test that got it.

// specLocation is the name the description is compiled under (never fetched: it is added as a
// resource).
const specLocation = "mem://inboxapi/openapi.json"

// apiSpec is the parsed description and its schema compiler.
type apiSpec struct {
	doc      map[string]any
	paths    []string // the path templates
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

var loadSpec = sync.OnceValues(func() (*apiSpec, error) {
	raw, err := inboxapi.OpenAPI()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specLocation, inst); err != nil {
		return nil, err
	}
	s := &apiSpec{doc: doc, compiler: c, compiled: map[string]*jsonschema.Schema{}}
	for p := range doc["paths"].(map[string]any) {
		s.paths = append(s.paths, p)
	}
	return s, nil
})

// spec returns the description, failing t when it cannot be loaded.
func spec(t testing.TB) *apiSpec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return s
}

// pointer escapes the tokens of a JSON pointer.
func pointer(tokens ...string) string {
	r := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteString("/" + r.Replace(tok))
	}
	return b.String()
}

// schema compiles (once) the schema at the JSON pointer ptr of the description.
func (s *apiSpec) schema(ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(specLocation + "#" + ptr)
	if err != nil {
		return nil, err
	}
	s.compiled[ptr] = sch
	return sch, nil
}

// validate checks the JSON document raw against the schema at ptr.
func (s *apiSpec) validate(ptr string, raw []byte) error {
	sch, err := s.schema(ptr)
	if err != nil {
		return fmt.Errorf("compile %s: %w", ptr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

// route finds the path template that serves path as http.ServeMux does (the most literal
// segments win); "" when none does.
func (s *apiSpec) route(path string) string {
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for _, tpl := range s.paths {
		ts := strings.Split(tpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, t := range ts {
			switch {
			case strings.HasPrefix(t, "{"):
				ok = ok && segs[i] != ""
			case t == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tpl, literals
		}
	}
	return best
}

// checkResponse checks one answer of the API (path relative to the API root) against the
// description: its status must be one the operation lists, its Content-Type one the response
// describes, and a JSON body must validate against the response's schema. Answers no operation
// serves (unknown routes, refusals before routing) must be errors of the ErrorResponse shape.
func (s *apiSpec) checkResponse(method, path string, status int, header http.Header, body []byte) error {
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	tpl := s.route(path)
	m := strings.ToLower(method)
	if method == http.MethodHead {
		m = "get"
	}
	var op map[string]any
	if tpl != "" {
		op, _ = s.doc["paths"].(map[string]any)[tpl].(map[string]any)[m].(map[string]any)
	}
	if op == nil {
		if status < 400 || mt != "application/json" {
			return fmt.Errorf("%s %s matches no operation but answered %d %s", method, path, status, mt)
		}
		return s.validate(pointer("components", "schemas", "ErrorResponse"), body)
	}
	key := strconv.Itoa(status)
	resp, ok := op["responses"].(map[string]any)[key].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s answered %d, which operation %s %s does not list (body %.300s)", method, path, status, strings.ToUpper(m), tpl, body)
	}
	content, _ := resp["content"].(map[string]any)
	if len(body) == 0 && (len(content) == 0 || method == http.MethodHead) {
		return nil
	}
	if _, ok := content[mt]; !ok {
		if _, any := content["*/*"]; any {
			return nil
		}
		return fmt.Errorf("%s %s answered %d with Content-Type %q, which the description does not list", method, path, status, mt)
	}
	if mt != "application/json" {
		return nil
	}
	if err := s.validate(pointer("paths", tpl, m, "responses", key, "content", mt, "schema"), body); err != nil {
		return fmt.Errorf("%s %s answered %d against the description: %v\nbody: %.2000s", method, path, status, err, body)
	}
	return nil
}

// checkEvent checks the data of one event of GET /events against the schema x-events gives its name.
func (s *apiSpec) checkEvent(name, data string) error {
	events := s.doc["paths"].(map[string]any)["/events"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["text/event-stream"].(map[string]any)["x-events"].(map[string]any)
	if _, ok := events[name]; !ok {
		return fmt.Errorf("event %q is not among the description's x-events", name)
	}
	if err := s.validate(eventPointer(name), []byte(data)); err != nil {
		return fmt.Errorf("event %q against the description: %v\ndata: %.2000s", name, err, data)
	}
	return nil
}

// eventPointer is the location of the schema of event name's data.
func eventPointer(name string) string {
	return pointer("paths", "/events", "get", "responses", "200", "content", "text/event-stream", "x-events", name, "schema")
}

// checkAPIResponse checks an answer env.do received (requests outside the API are left alone).
func checkAPIResponse(t testing.TB, req *http.Request, resp response) {
	t.Helper()
	path, ok := strings.CutPrefix(req.URL.Path, "/api")
	if !ok || !strings.HasPrefix(path, "/") {
		return
	}
	if err := spec(t).checkResponse(req.Method, path, resp.status, resp.header, resp.body); err != nil {
		t.Errorf("openapi: %v", err)
	}
}

// checkRecorded checks an answer served in process; target is the path (and query) under the API
// root.
func checkRecorded(t testing.TB, method, target string, rec *httptest.ResponseRecorder) {
	t.Helper()
	path, _, _ := strings.Cut(target, "?")
	if err := spec(t).checkResponse(method, path, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("openapi: %v", err)
	}
}
