package inboxapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
)

// docOperations returns "METHOD /path" of every operation of the description.
func docOperations(t *testing.T) []string {
	var out []string
	for path, item := range spec(t).doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDescribesEveryRoute compares the description's operations with the route table: a
// route without an operation, or an operation without a route, fails with the list of them.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	routes := append(inboxapi.RoutePatterns(), "GET /openapi.json")
	ops := docOperations(t)
	var missing, extra []string
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			missing = append(missing, r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			extra = append(extra, o)
		}
	}
	assert.Empty(t, missing, "routes of routeTable without an operation in openapi_ops.go (add an entry keyed by the pattern):\n%s",
		strings.Join(missing, "\n"))
	assert.Empty(t, extra, "operations of openapi_ops.go that are no route of routeTable:\n%s", strings.Join(extra, "\n"))
}

// TestOpenAPIDocumentIsValid checks the document itself: JSON, OpenAPI 3.1, every $ref resolves,
// every schema compiles as JSON Schema 2020-12, every error code and event name is described.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	raw, err := inboxapi.OpenAPI()
	require.NoError(t, err)
	require.True(t, json.Valid(raw))
	s := spec(t)
	assert.Regexp(t, `^3\.1\.\d+$`, s.doc["openapi"])
	for _, k := range []string{"info", "paths", "components"} {
		assert.Contains(t, s.doc, k)
	}

	// Walk the document: resolve every $ref, collect every schema location.
	var schemas []string
	var walk func(v any, ptr []string)
	walk = func(v any, ptr []string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				frag, ok := strings.CutPrefix(ref, "#/")
				if assert.True(t, ok, "non-local $ref %q at %s", ref, pointer(ptr...)) {
					_, err := s.schema("/" + frag)
					assert.NoError(t, err, "$ref %q at %s", ref, pointer(ptr...))
				}
			}
			for k, child := range x {
				p := append(slices.Clone(ptr), k)
				if k == "schema" || k == "x-data" || (len(ptr) == 2 && ptr[0] == "components" && ptr[1] == "schemas") {
					schemas = append(schemas, pointer(p...))
					continue // the schema compiles as a whole (its own $refs included)
				}
				walk(child, p)
			}
		case []any:
			for i, child := range x {
				walk(child, append(slices.Clone(ptr), strconv.Itoa(i)))
			}
		}
	}
	walk(s.doc, nil)
	require.NotEmpty(t, schemas)
	for _, ptr := range schemas {
		_, err := s.schema(ptr)
		assert.NoError(t, err, "schema at %s", ptr)
	}

	// Every route has a summary and a success answer; every error answer is the error shape.
	for path, item := range s.doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			assert.NotEmpty(t, op["summary"], "%s %s", method, path)
			responses := op["responses"].(map[string]any)
			assert.NotEmpty(t, responses, "%s %s", method, path)
		}
	}
	detail := s.doc["components"].(map[string]any)["schemas"].(map[string]any)["ErrorDetail"].(map[string]any)
	codes := detail["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
	for _, c := range []string{"unauthorized", "forbidden", "cross_site", "not_found", "already_claimed", "conflict",
		"needs_reconnect", "invalid", "outside_window", "unsupported", "no_reply_route", "bad_request", "too_large",
		"unsupported_media_type", "rate_limited", "too_many_streams", "unavailable", "internal"} {
		assert.Contains(t, codes, c)
	}
	for _, name := range []string{"conversation.opened", "conversation.updated", "message.created", "message.updated",
		"connection.updated", "read.updated", "resync"} {
		_, err := s.schema(eventPointer(name))
		assert.NoError(t, err, "event %s", name)
	}
	assert.NoError(t, s.checkEvent("resync", "{}"))
	assert.Error(t, s.checkEvent("message.created", "{}"), "an event's data needs its kind and ids")
	ids := `"conversationId":"c","messageId":"m","connectionId":"k"`
	assert.NoError(t, s.checkEvent("read.updated", `{"kind":"read.updated",`+ids+`}`))
	assert.Error(t, s.checkEvent("message.created", `{"kind":"message.created",`+ids+`}`), "a message event carries the message")
	assert.Error(t, s.checkEvent("read.updated", `{"kind":"message.created",`+ids+`}`), "the kind is the event name")
	assert.Error(t, s.checkEvent("no.such", "{}"))
}

// TestOpenAPIServedWithoutAuthentication fetches GET /openapi.json without a user: it is the
// document OpenAPI returns; other methods on the path are not the description.
func TestOpenAPIServedWithoutAuthentication(t *testing.T) {
	e := newEnv(t)
	want, err := inboxapi.OpenAPI()
	require.NoError(t, err)
	r := e.call("GET", "/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %.300s", r.body)
	assert.Contains(t, r.header.Get("Content-Type"), "application/json")
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	assert.JSONEq(t, string(want), string(r.body))
	// A browser page of another site may read it too: GET is safe, nothing is secret in it.
	req := e.request("GET", "/openapi.json", "", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusOK, e.do(req).status)
	e.call("POST", "/openapi.json", "", nil).requireError(t, http.StatusUnauthorized, "unauthorized")
	e.call("POST", "/openapi.json", supA, nil).requireError(t, http.StatusNotFound, "not_found")
}

// TestOpenAPICheckRefusesWhatTheDescriptionDoesNotSay makes sure the response check the test
// suite runs (checkResponse) is not vacuous: answers that break the description fail it.
func TestOpenAPICheckRefusesWhatTheDescriptionDoesNotSay(t *testing.T) {
	s := spec(t)
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	me := `{"user":{"id":"a1","name":"","avatarUrl":"","role":"agent","teamIds":[],"active":true},"workspaceId":"ws"}`
	require.NoError(t, s.checkResponse("GET", "/me", 200, jsonHeader, []byte(me)))
	for name, c := range map[string]struct {
		method, path string
		status       int
		body         string
	}{
		"missing field":        {"GET", "/me", 200, `{"user":{"id":"a1","name":"","avatarUrl":"","role":"agent","teamIds":[],"active":true}}`},
		"unknown field":        {"GET", "/me", 200, strings.Replace(me, `"active"`, `"extra":1,"active"`, 1)},
		"null never-null list": {"GET", "/me", 200, strings.Replace(me, `[]`, `null`, 1)},
		"undescribed status":   {"GET", "/me", 202, me},
		"code of another status": {"GET", "/conversations/c1", 404,
			`{"error":{"code":"forbidden","message":"x"}}`},
		"code the route never answers": {"GET", "/me", 409, `{"error":{"code":"conflict","message":"x"}}`},
		"bad time": {"GET", "/rules", 200, `{"items":[{"id":"r","name":"n","sourceIds":[],"userIds":[],"teamId":"",` +
			`"method":"claim","oldConversations":"none","createdAt":"yesterday","updatedAt":""}]}`},
		"unknown route success": {"GET", "/nope", 200, `{}`},
	} {
		assert.Error(t, s.checkResponse(c.method, c.path, c.status, jsonHeader, []byte(c.body)), name)
	}
	assert.Error(t, s.checkResponse("GET", "/me", 200, http.Header{"Content-Type": {"text/plain"}}, []byte("hi")), "undescribed media type")
}
