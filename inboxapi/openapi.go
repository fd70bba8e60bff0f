package inboxapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// OpenAPI returns the OpenAPI 3.1 description of the API as JSON: every route (paths relative to
// where the host mounts the handler), its parameters, request and response bodies (the wire types,
// as JSON Schema 2020-12 under components/schemas), the error codes each route may answer with
// their statuses, and the event stream's event names with the schema of each event's data
// (x-events of GET /events). The handler serves the same document at GET /openapi.json without
// authentication. The document is the same for every handler and every call; the caller may keep
// it.
func OpenAPI() ([]byte, error) {
	return openAPIDoc()
}

var openAPIDoc = sync.OnceValues(func() ([]byte, error) {
	doc, err := buildOpenAPI()
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(doc, "", "  ")
})

// serveOpenAPI answers GET /openapi.json (see ServeHTTP: before authentication).
func serveOpenAPI(w http.ResponseWriter) {
	doc, err := OpenAPI()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, ErrorResponse{Error: ErrorDetail{Code: "internal", Message: "internal error"}})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}

// isOpenAPIRequest reports whether r asks for the description (GET or HEAD /openapi.json).
func isOpenAPIRequest(r *http.Request) bool {
	method, path, _ := strings.Cut(openAPIRoute, " ")
	return (r.Method == method || r.Method == http.MethodHead) && r.URL.Path == path
}

// obj is a JSON object of the document.
type obj = map[string]any

// schemaRef returns a reference to the component schema name.
func schemaRef(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// schemaSet reflects wire types into component schemas.
type schemaSet struct {
	schemas obj
	// requests are the request body types: every field is optional (absent is the zero value)
	// and may be null (encoding/json then leaves the zero value).
	requests map[string]bool
	// used are the keys of neverNull and fieldEnums met (a key naming no field is a mistake).
	used map[string]bool
	// docs are the doc comments of the wire types and fields (wireDocs).
	docs map[string]string
}

// ref returns the schema of a value of type t, adding the component schemas of the structs it
// holds.
func (s *schemaSet) ref(t reflect.Type) (obj, error) {
	switch t.Kind() {
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return nil, fmt.Errorf("inboxapi: openapi: anonymous struct %s", t)
		}
		if _, ok := s.schemas[name]; !ok {
			s.schemas[name] = obj{} // placeholder: recursive types end here
			sch, err := s.structSchema(t)
			if err != nil {
				return nil, err
			}
			s.schemas[name] = sch
		}
		return schemaRef(name), nil
	case reflect.String:
		return obj{"type": "string"}, nil
	case reflect.Bool:
		return obj{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}, nil
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}, nil
	case reflect.Pointer:
		return s.ref(t.Elem())
	case reflect.Slice:
		items, err := s.ref(t.Elem())
		if err != nil {
			return nil, err
		}
		return obj{"type": "array", "items": items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("inboxapi: openapi: map key of %s", t)
		}
		vals, err := s.ref(t.Elem())
		if err != nil {
			return nil, err
		}
		return obj{"type": "object", "additionalProperties": vals}, nil
	}
	return nil, fmt.Errorf("inboxapi: openapi: unsupported type %s", t)
}

// structSchema describes a struct as encoding/json writes it: every exported field by its json
// name; fields without omitempty are required; nil slices, maps and pointers without omitempty
// may be null (unless neverNull says the handlers always fill them). Objects allow no other
// property: the API writes none and refuses unknown fields in requests.
func (s *schemaSet) structSchema(t reflect.Type) (obj, error) {
	props := obj{}
	required := []any{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			return nil, fmt.Errorf("inboxapi: openapi: field %s.%s is not described", t.Name(), f.Name)
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
		sch, err := s.ref(f.Type)
		if err != nil {
			return nil, err
		}
		request := s.requests[t.Name()]
		s.used[t.Name()+"."+name] = true
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if request || (!omitempty && !neverNull[t.Name()+"."+name]) {
				sch = nullable(sch)
			}
		case reflect.String:
			if enum, ok := fieldEnums[t.Name()+"."+name]; ok && !request {
				values := []any{}
				for _, v := range enum {
					values = append(values, v)
				}
				sch = obj{"type": "string", "enum": values}
			}
			if isTimeField(name) {
				sch = obj{"type": "string", "anyOf": []any{obj{"const": ""}, obj{"format": "date-time"}},
					"description": "RFC 3339 time in UTC; \"\" when unknown"}
			}
		}
		if doc := s.docs[t.Name()+"."+f.Name]; doc != "" {
			if rest, ok := strings.CutPrefix(doc, f.Name+" "); ok {
				doc = name + " " + rest // the comment names the field by its Go name
			}
			sch = withDescription(sch, doc)
		}
		props[name] = sch
		if !omitempty && !request {
			required = append(required, name)
		}
	}
	out := obj{"type": "object", "properties": props, "additionalProperties": false}
	if doc := s.docs[t.Name()]; doc != "" {
		out["description"] = doc
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out, nil
}

// withDescription returns a copy of sch described by doc (after its own description, if any).
func withDescription(sch obj, doc string) obj {
	out := obj{}
	for k, v := range sch {
		out[k] = v
	}
	if own, ok := sch["description"].(string); ok {
		doc += " (" + own + ")"
	}
	out["description"] = doc
	return out
}

// isTimeField reports whether a string field holds a time (createdAt, closesAt, freeUntil, at, …).
func isTimeField(jsonName string) bool {
	return jsonName == "at" || strings.HasSuffix(jsonName, "At") || strings.HasSuffix(jsonName, "Until")
}

// nullable allows null besides sch: "type": [t, "null"] for a plain type, anyOf otherwise.
func nullable(sch obj) obj {
	_, enum := sch["enum"]
	_, constant := sch["const"]
	if typ, ok := sch["type"].(string); ok && !enum && !constant {
		out := obj{}
		for k, v := range sch {
			out[k] = v
		}
		out["type"] = []any{typ, "null"}
		return out
	}
	return obj{"anyOf": []any{sch, obj{"type": "null"}}}
}

// buildOpenAPI assembles the document from operations and the wire types.
func buildOpenAPI() (obj, error) {
	docs, err := wireDocs()
	if err != nil {
		return nil, fmt.Errorf("inboxapi: openapi: %w", err)
	}
	s := &schemaSet{schemas: obj{}, requests: map[string]bool{}, used: map[string]bool{}, docs: docs}
	if _, err := s.ref(reflect.TypeFor[ErrorResponse]()); err != nil {
		return nil, err
	}
	codes := []any{}
	for _, c := range errorCodes {
		codes = append(codes, c.code)
	}
	detail := s.schemas["ErrorDetail"].(obj)
	detail["properties"].(obj)["code"] = obj{"type": "string", "enum": codes, "description": codeTable()}
	if _, err := s.ref(reflect.TypeFor[Event]()); err != nil {
		return nil, err
	}
	kinds := []any{}
	for _, k := range eventNames {
		kinds = append(kinds, k)
	}
	s.schemas["Event"].(obj)["properties"].(obj)["kind"] = obj{"type": "string", "enum": kinds}
	s.schemas["Resync"] = obj{"type": "object", "additionalProperties": false,
		"description": "The data of event \"resync\": events were dropped; reload the state."}

	paths := obj{}
	for _, pattern := range slices.Sorted(maps.Keys(operations)) {
		op := operations[pattern]
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			return nil, fmt.Errorf("inboxapi: openapi: pattern %q has no method", pattern)
		}
		o, err := s.operation(method, path, op)
		if err != nil {
			return nil, fmt.Errorf("inboxapi: openapi: %s: %w", pattern, err)
		}
		item, _ := paths[path].(obj)
		if item == nil {
			item = obj{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = o
	}
	for _, keys := range []func(func(string) bool){maps.Keys(neverNull), maps.Keys(fieldEnums)} {
		for k := range keys {
			if !s.used[k] {
				return nil, fmt.Errorf("inboxapi: openapi: %s names no field of the wire types", k)
			}
		}
	}
	return obj{
		"openapi": "3.1.1",
		"info": obj{
			"title":   "dakenh agent API",
			"version": "1",
			"description": "The agent-facing HTTP API of a dakenh inbox (package inboxapi): JSON over HTTP plus a " +
				"Server-Sent Events stream. Paths are relative to where the host mounts the handler. Unsafe " +
				"methods must come from the host's own pages: a JSON body or the " + CSRFHeader + ": 1 header, and " +
				"a same-origin Origin / Sec-Fetch-Site (else 403 cross_site).",
		},
		"servers":  []any{obj{"url": ".", "description": "where the host mounts the API handler"}},
		"security": []any{obj{"host": []any{}}},
		"paths":    paths,
		"components": obj{"schemas": s.schemas, "securitySchemes": obj{"host": obj{
			"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "The host authenticates every request with its own Authenticator (a session cookie, a " +
				"bearer token, …): send whatever credential the host's sign-in gives. Without it the API answers 401 unauthorized.",
		}}},
	}, nil
}

// codeTable lists every error code with its status and meaning, one per line.
func codeTable() string {
	var b strings.Builder
	b.WriteString("The stable error code:")
	for _, c := range errorCodes {
		fmt.Fprintf(&b, "\n- %s (%d): %s", c.code, c.status, c.meaning)
	}
	return b.String()
}

// pathParams returns the {names} of a path template, in order.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return out
}

// operation builds the Operation Object of one route.
func (s *schemaSet) operation(method, path string, op operation) (obj, error) {
	o := obj{"summary": op.summary, "tags": []any{op.tag},
		"operationId": strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(path)}
	if op.description != "" {
		o["description"] = op.description
	}
	if op.public {
		o["security"] = []any{}
	}
	params := []any{}
	names := pathParams(path)
	for _, n := range names {
		params = append(params, obj{"name": n, "in": "path", "required": true, "schema": obj{"type": "string"}})
	}
	for _, q := range op.query {
		sch := q.schema
		if sch == nil {
			sch = obj{"type": "string"}
		}
		p := obj{"name": q.name, "in": "query", "required": false, "description": q.description, "schema": sch}
		if q.list {
			p["schema"] = obj{"type": "array", "items": sch}
			p["style"], p["explode"] = "form", true
			p["description"] = q.description + "; repeat the parameter or separate values by commas"
		}
		params = append(params, p)
	}
	unsafe := method != http.MethodGet && method != http.MethodHead
	if unsafe && !op.public {
		p := obj{"name": CSRFHeader, "in": "header", "schema": obj{"type": "string", "const": "1"},
			"description": "marks the request as sent by the host's own front end; required unless the body is JSON"}
		p["required"] = op.body == nil
		params = append(params, p)
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	switch {
	case op.body != nil:
		s.requests[reflect.TypeOf(op.body).Name()] = true
		sch, err := s.ref(reflect.TypeOf(op.body))
		if err != nil {
			return nil, err
		}
		o["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": sch}},
			"description": fmt.Sprintf("one JSON object, at most %d bytes, no unknown field", MaxJSONBytes)}
	case op.multipart:
		o["requestBody"] = obj{"required": true, "content": obj{"multipart/form-data": obj{
			"schema": obj{"type": "object", "required": []any{"file"},
				"properties": obj{"file": obj{"type": "string", "contentMediaType": "application/octet-stream",
					"description": "the file, at most Config.MaxUploadBytes; other parts are ignored"}}},
		}}}
	}
	responses := obj{}
	ok, err := s.success(op)
	if err != nil {
		return nil, err
	}
	responses[strconv.Itoa(op.status)] = ok
	byStatus, err := errorsByStatus(commonErrors(method, op, len(names) > 0), op.errors)
	if err != nil {
		return nil, err
	}
	for status, codes := range byStatus {
		enum := []any{}
		for _, c := range codes {
			enum = append(enum, c)
		}
		resp := obj{"description": http.StatusText(status) + ": " + strings.Join(codes, ", "),
			"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/ErrorResponse",
				"properties": obj{"error": obj{"properties": obj{"code": obj{"enum": enum}}}}}}}}
		if slices.Contains(codes, "too_many_streams") {
			resp["headers"] = obj{"Retry-After": obj{"description": "seconds to wait before opening a stream again",
				"schema": obj{"type": "integer"}}}
		}
		responses[strconv.Itoa(status)] = resp
	}
	o["responses"] = responses
	return o, nil
}

// errorsByStatus groups the codes (common first, then specific, without repeats) by status.
func errorsByStatus(common, specific []string) (map[int][]string, error) {
	status := map[string]int{}
	for _, c := range errorCodes {
		status[c.code] = c.status
	}
	out := map[int][]string{}
	for _, c := range append(append([]string(nil), common...), specific...) {
		st, ok := status[c]
		if !ok {
			return nil, fmt.Errorf("unknown error code %q", c)
		}
		if !slices.Contains(out[st], c) {
			out[st] = append(out[st], c)
		}
	}
	return out, nil
}

// success builds the Response Object of a successful answer.
func (s *schemaSet) success(op operation) (obj, error) {
	desc := http.StatusText(op.status)
	switch op.kind {
	case respNone:
		return obj{"description": desc + " (no body)"}, nil
	case respBinary:
		return obj{"description": "the file's bytes, with its Content-Type (text, HTML, XML and scripts as application/octet-stream) and Content-Disposition",
			"content": obj{"*/*": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}}, nil
	case respRedirect:
		return obj{"description": "to the host app with ?connected=<id> or ?connect_error=<code>",
			"headers": obj{"Location": obj{"required": true, "schema": obj{"type": "string"}}},
			"content": obj{"text/html": obj{"schema": obj{"type": "string"}}}}, nil
	case respEvents:
		events := obj{"resync": obj{"description": "events were dropped: reload the state", "schema": schemaRef("Resync")}}
		oneOf := []any{schemaRef("Event"), schemaRef("Resync")}
		for _, n := range eventNames {
			sch := obj{"$ref": "#/components/schemas/Event", "properties": obj{"kind": obj{"const": n}}}
			desc := "an Event whose kind is the event name"
			if field, ok := eventCarries[n]; ok {
				sch["required"] = []any{field}
				desc += ", with the " + field
			}
			events[n] = obj{"description": desc, "schema": sch}
		}
		return obj{"description": "a Server-Sent Events stream; the data of each event is one line of JSON",
			"content": obj{"text/event-stream": obj{
				"schema":   obj{"type": "string", "description": "event: <name>\\ndata: <JSON, one of the x-events schemas>\\n\\n, repeated"},
				"x-events": events,
				"x-data":   obj{"oneOf": oneOf},
			}}}, nil
	}
	if m, ok := op.response.(map[string]any); ok && len(m) == 0 {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}, nil
	}
	sch, err := s.ref(reflect.TypeOf(op.response))
	if err != nil {
		return nil, err
	}
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": sch}}}, nil
}
