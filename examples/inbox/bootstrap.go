package main

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// bootstrapParts are the agent API reads the inbox page needs before its first paint.
var bootstrapParts = []struct{ key, path string }{
	{"me", "/me"}, {"users", "/users"}, {"teams", "/teams"}, {"categories", "/categories"},
	{"classifications", "/classifications"}, {"connections", "/connections"}, {"rules", "/rules"},
}

// landingQuery is the list the page opens on: an agent's own open conversations ("Của tôi"), all
// open conversations for a supervisor ("Tất cả"). inbox.js picks the same view.
func landingQuery(role string) (view, query string) {
	if role == "supervisor" {
		return "all", "status=open&limit=30"
	}
	return "mine", "status=open&assignee=me&limit=30"
}

// handleBootstrap answers GET /app/bootstrap: the answers of bootstrapParts and the first page of
// the landing view, in one JSON object, so the list paints after one round trip instead of waiting
// for seven. Each part is served by the agent API itself (same session, authorization and wire
// form); the first refused part's status and error are answered as they are.
func (a *App) handleBootstrap(api http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{}
		get := func(path, query string) (json.RawMessage, bool) {
			req := r.Clone(r.Context())
			req.URL.Path, req.URL.RawQuery, req.RequestURI = path, query, ""
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			api.ServeHTTP(rec, req)
			if rec.status != http.StatusOK {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(rec.status)
				_, _ = w.Write(rec.body.Bytes())
				return nil, false
			}
			return rec.body.Bytes(), true
		}
		for _, p := range bootstrapParts {
			body, ok := get(p.path, "")
			if !ok {
				return
			}
			out[p.key] = body
		}
		var me struct {
			User struct {
				Role string `json:"role"`
			} `json:"user"`
		}
		_ = json.Unmarshal(out["me"].(json.RawMessage), &me)
		view, query := landingQuery(me.User.Role)
		list, ok := get("/conversations", query)
		if !ok {
			return
		}
		out["view"], out["list"] = view, list
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, out)
	}
}

// recorder keeps an in-process answer of the agent API.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
