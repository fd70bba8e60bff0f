package metatest

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

var dialogPage = template.Must(template.New("dialog").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Facebook</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0;display:flex;justify-content:center}
main{background:#fff;margin:48px 16px;padding:28px;border-radius:10px;max-width:440px;box-shadow:0 2px 12px #0002}
.logo{font-weight:800;font-size:26px;color:#1877f2}h1{font-size:19px}ul{list-style:none;padding:0}
li{margin:10px 0}li ul{margin-left:26px}.buttons{display:flex;gap:12px;margin-top:20px}
button{flex:1;padding:11px;border-radius:6px;font-size:15px;cursor:pointer}
button.primary{background:#1877f2;color:#fff;border:0}button.secondary{background:#fff;border:1px solid #ccc}
.note{font-size:12px;color:#888;margin-top:14px}
.perms code{display:inline-block;margin:2px;font-size:12px;background:#f0f2f5;padding:1px 5px;border-radius:4px}
</style></head><body><main>
<div class="logo">facebook</div>
<h1>{{.App}} is requesting access to your Pages and Instagram accounts</h1>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<p>Choose the Pages and Instagram accounts {{.App}} may use:</p>
<ul>{{range .Pages}}<li><label><input type="checkbox" name="page" value="{{.ID}}" checked> {{.Name}}</label>
{{if .Instagram}}<ul><li><label><input type="checkbox" name="ig" value="{{.Instagram.ID}}" checked> Instagram @{{.Instagram.Username}}</label></li></ul>{{end}}</li>{{end}}</ul>
<p class="perms">Permissions: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<div class="buttons">
<button class="secondary" type="submit" name="action" value="cancel">Cancel</button>
<button class="primary" type="submit" name="action" value="continue">Continue</button>
</div>
<p class="note">Meta emulator (metatest): no real account is involved.</p>
</form></main></body></html>`))

func (s *Server) dialogPath() string { return "/" + s.opts.GraphVersion + "/dialog/oauth" }

// AuthorizeURL is the login dialog's URL.
func (s *Server) AuthorizeURL() string { return s.srv.URL + s.dialogPath() }

func (s *Server) checkDialog(clientID, redirectURI string) string {
	u, err := url.Parse(redirectURI)
	switch {
	case clientID != s.opts.AppID:
		return "Invalid App ID"
	case err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https"):
		return "redirect_uri must be an absolute http(s) URL"
	}
	return ""
}

// handleDialog serves the login dialog: every Page with its Instagram account as checkboxes,
// Continue and Cancel.
func (s *Server) handleDialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if p := s.checkDialog(q.Get("client_id"), q.Get("redirect_uri")); p != "" {
		http.Error(w, p, http.StatusBadRequest)
		return
	}
	scopes := strings.Split(q.Get("scope"), ",")
	if q.Get("config_id") != "" {
		scopes = []string{"as configured (config_id " + q.Get("config_id") + ")"}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = dialogPage.Execute(w, map[string]any{"App": "dakenh inbox (demo)", "Action": s.dialogPath(), "ClientID": q.Get("client_id"),
		"RedirectURI": q.Get("redirect_uri"), "State": q.Get("state"), "Pages": s.opts.Pages, "Scopes": scopes})
}

// handleDialogDecision is the form's POST: Continue redirects with code and state for the
// checked Pages and accounts, Cancel with error=access_denied.
func (s *Server) handleDialogDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if p := s.checkDialog(f.Get("client_id"), f.Get("redirect_uri")); p != "" {
		http.Error(w, p, http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, s.decide(f.Get("redirect_uri"), f.Get("state"), f["page"], f["ig"], f.Get("action") == "continue"), http.StatusFound)
}

func (s *Server) decide(redirectURI, state string, pages, igs []string, approve bool) string {
	u, _ := url.Parse(redirectURI)
	back := u.Query()
	back.Set("state", state)
	if approve {
		code := "AQD" + randomHex(20)
		s.mu.Lock()
		var okPages, okIGs []string
		for _, p := range s.opts.Pages {
			if slices.Contains(pages, p.ID) {
				okPages = append(okPages, p.ID)
				if p.Instagram != nil && slices.Contains(igs, p.Instagram.ID) {
					okIGs = append(okIGs, p.Instagram.ID)
				}
			}
		}
		s.codes[code] = &grant{redirectURI: redirectURI, pages: okPages, igs: okIGs}
		s.mu.Unlock()
		back.Set("code", code)
	} else {
		back.Set("error", "access_denied")
		back.Set("error_reason", "user_denied")
		back.Set("error_description", "Permissions error")
	}
	u.RawQuery = back.Encode()
	return u.String() + "#_=_"
}

// Consent plays the admin picking every Page and Instagram account and pressing Continue on
// authCodeURL; it returns the query Meta redirects back with.
func (s *Server) Consent(ctx context.Context, authCodeURL string) (url.Values, error) {
	var pages, igs []string
	for _, p := range s.opts.Pages {
		pages = append(pages, p.ID)
		igs = append(igs, igIDs(p)...)
	}
	return s.ConsentWith(ctx, authCodeURL, pages, igs, true)
}

// ConsentWith is Consent with the admin's choices: the Pages and Instagram accounts left checked,
// and Continue (true) or Cancel (false).
func (s *Server) ConsentWith(ctx context.Context, authCodeURL string, pages, igs []string, approve bool) (url.Values, error) {
	client := *s.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authCodeURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="continue"`) {
		return nil, fmt.Errorf("metatest: the login dialog answered %d", resp.StatusCode)
	}
	q, _ := url.Parse(authCodeURL)
	form := url.Values{"client_id": {q.Query().Get("client_id")}, "redirect_uri": {q.Query().Get("redirect_uri")},
		"state": {q.Query().Get("state")}, "page": pages, "ig": igs}
	form.Set("action", map[bool]string{true: "continue", false: "cancel"}[approve])
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, s.AuthorizeURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(post)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("metatest: the dialog's decision answered %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return loc.Query(), nil
}
