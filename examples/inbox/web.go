package main

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

//go:embed web
var webFiles embed.FS

// contentSecurityPolicy allows only the app's own scripts, styles and connections: no inline
// script, no eval, no plugins, no framing. Images may also come from https (provider avatars) and
// blob: (the preview of an attachment before it is sent).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: https:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// routes mounts the agent API, the webhooks, the login, the pages and the simulator.
func (a *App) routes(api http.Handler) http.Handler {
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree always has web/
	}
	mux := http.NewServeMux()
	mux.Handle(apiPrefix+"/", http.StripPrefix(apiPrefix, api))
	mux.HandleFunc("GET /app/bootstrap", a.handleBootstrap(api))
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", a.engine.WebhookHandler()))
	mux.HandleFunc("GET /auth/users", a.demoOnly(a.handleLoginUsers))
	mux.Handle("POST /auth/login", a.guard.Wrap(http.HandlerFunc(a.handleLogin)))
	mux.Handle("POST /auth/logout", a.guard.Wrap(http.HandlerFunc(a.handleLogout)))
	mux.Handle("GET /static/", http.StripPrefix("/static", withETags(static, http.FileServerFS(static))))
	mux.HandleFunc("GET /login", servePage(static, "login.html"))
	mux.HandleFunc("GET /sim", a.demoOnly(a.simPage(servePage(static, "sim.html"))))
	mux.HandleFunc("GET /sim/api/accounts", a.demoOnly(a.handleSimAccounts))
	mux.HandleFunc("GET /sim/api/thread", a.demoOnly(a.handleSimThread))
	mux.HandleFunc("POST /sim/api/messages", a.demoOnly(a.handleSimMessage))
	mux.HandleFunc("POST /sim/api/read", a.demoOnly(a.handleSimRead))
	mux.HandleFunc("POST /sim/api/react", a.demoOnly(a.handleSimReact))
	index := servePage(static, "index.html")
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.sessions.Authenticate(r); err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		index(w, r)
	})
	return securityHeaders(mux)
}

// securityHeaders sets the CSP and the other browser hardening headers on every answer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-cache")
		}
		next.ServeHTTP(w, r)
	})
}

func servePage(static fs.FS, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			http.Error(w, "page missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

// loginUser is a seeded user as the login page lists them.
type loginUser struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Role  string   `json:"role"`
	Teams []string `json:"teams"`
}

// handleLoginUsers lists the users one can sign in as, with the demo password: demo mode only
// (outside it nobody learns the user ids before signing in).
func (a *App) handleLoginUsers(w http.ResponseWriter, r *http.Request) {
	var out []loginUser
	err := a.store.View(r.Context(), func(tx omnichannel.Tx) error {
		users, err := tx.ListUsers(workspaceID)
		if err != nil {
			return err
		}
		teams, err := tx.ListTeams(workspaceID)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, t := range teams {
			names[t.ID] = t.Name
		}
		for _, u := range users {
			if !u.Active {
				continue
			}
			lu := loginUser{ID: u.ID, Name: u.Name, Role: string(u.Role), Teams: []string{}}
			for _, id := range u.TeamIDs {
				lu.Teams = append(lu.Teams, names[id])
			}
			out = append(out, lu)
		}
		return nil
	})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal", "could not list the users")
		return
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Role > out[j].Role }) // supervisor first
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "demoPassword": DemoPassword})
}

// loginRequest is the JSON body of POST /auth/login (the login page's script sends it).
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// handleLogin signs a user in. The login page posts JSON and gets 204 with the session cookie,
// 401 "bad_credentials", or 429 "throttled" with retryAfter (seconds, also in Retry-After). A
// form post (with inboxapi.CSRFHeader: scripts) is answered with a redirect to / or to
// /login?error=1 (error=throttled). The cross-site guard ran before.
func (a *App) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	asJSON := isJSON(r)
	var req loginRequest
	var err error
	if asJSON {
		err = json.NewDecoder(r.Body).Decode(&req)
	} else if err = r.ParseForm(); err == nil {
		req = loginRequest{User: r.PostForm.Get("user"), Password: r.PostForm.Get("password")}
	}
	if err == nil {
		err = a.sessions.login(r.Context(), w, r, strings.TrimSpace(req.User), req.Password)
	}
	var throttled *throttledError
	switch {
	case err == nil && asJSON:
		w.WriteHeader(http.StatusNoContent)
	case err == nil:
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case errors.As(err, &throttled):
		secs := int(math.Ceil(throttled.wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		if asJSON {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{"code": "throttled",
				"message": "too many attempts: wait before trying again", "retryAfter": secs}})
			return
		}
		http.Redirect(w, r, "/login?error=throttled", http.StatusSeeOther)
	case asJSON:
		writeJSONError(w, http.StatusUnauthorized, "bad_credentials", "wrong user or password")
	default:
		http.Redirect(w, r, "/login?error=1", http.StatusSeeOther)
	}
}

// handleLogout ends the session: 204 for the page's script (JSON or inboxapi.CSRFHeader and
// Accept: application/json), a redirect to /login otherwise.
func (a *App) handleLogout(w http.ResponseWriter, r *http.Request) {
	a.sessions.logout(w, r)
	if isJSON(r) || strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// isJSON reports whether r's body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}
