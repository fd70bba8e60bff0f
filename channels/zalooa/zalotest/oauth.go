package zalotest

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// consentPage is the permission page an OA admin sees. Every value is escaped by html/template.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Zalo – Cấp quyền cho ứng dụng</title>
<style>
 body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef3fb;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
 .card{background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.08);max-width:420px;width:92%;padding:28px}
 .brand{color:#0068ff;font-weight:700;font-size:22px;margin-bottom:8px}
 .oa{display:flex;align-items:center;gap:12px;margin:8px 0;padding:12px;border:1px solid #e3e8f0;border-radius:8px;cursor:pointer}
 .oa:has(input:checked){border-color:#0068ff;background:#f0f6ff}
 fieldset{border:0;padding:0;margin:0 0 12px}
 legend{font-weight:600;margin-bottom:6px;color:#222}
 .perm,.agree{display:flex;gap:8px;align-items:center;padding:4px 0;color:#333;cursor:pointer}
 .agree{margin-top:8px;font-weight:600}
 form:invalid .allow{opacity:.55}
 .avatar{flex:none;width:48px;height:48px;border-radius:50%;background:#0068ff;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;font-size:20px;overflow:hidden}
 .avatar img{width:100%;height:100%;object-fit:cover}
 .muted{color:#556;font-size:13px}
 .actions{display:flex;gap:12px;margin-top:20px}
 button{flex:1;padding:12px;border-radius:8px;font-size:15px;cursor:pointer;border:1px solid #0068ff}
 .allow{background:#0068ff;color:#fff}
 .deny{background:#fff;color:#0068ff}
</style>
</head>
<body>
<main class="card">
 <div class="brand">Zalo</div>
 <h1 style="font-size:18px;margin:0">Ứng dụng yêu cầu quyền quản lý Official Account</h1>
 <p class="muted">An app asks to manage your Official Account. (Zalo emulator — zalotest)</p>
 <form method="post" action="{{.Action}}">
  <input type="hidden" name="app_id" value="{{.AppID}}">
  <input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
  <input type="hidden" name="code_challenge" value="{{.CodeChallenge}}">
  <input type="hidden" name="state" value="{{.State}}">
  <fieldset>
   <legend>Chọn Official Account muốn kết nối</legend>
   <label class="oa"><input type="radio" name="oa" value="{{.OAID}}" id="oa-pick" required>
    <span class="avatar">{{if .OAAvatar}}<img src="{{.OAAvatar}}" alt="">{{else}}{{.Initial}}{{end}}</span>
    <span><strong id="oa-name">{{.OAName}}</strong><span class="muted"> · OA ID: {{.OAID}}</span></span></label>
  </fieldset>
  <fieldset>
   <legend>Ứng dụng <strong>{{.AppID}}</strong> xin các quyền:</legend>
   {{range .Permissions}}<label class="perm"><input type="checkbox" name="perm" value="{{.Value}}" required> {{.Label}}</label>
   {{end}}
  </fieldset>
  <label class="agree"><input type="checkbox" name="agree" value="1" id="agree" required> Đồng ý với điều khoản sử dụng dịch vụ của Zalo</label>
  <p class="muted">Sau khi chọn, bạn sẽ được chuyển về: {{.RedirectURI}}</p>
  <div class="actions">
   <button class="deny" type="submit" name="decision" value="deny" id="deny" formnovalidate>Từ chối</button>
   <button class="allow" type="submit" name="decision" value="allow" id="allow">Cho phép</button>
  </div>
 </form>
</main>
</body>
</html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Zalo – Lỗi</title></head>
<body style="font-family:system-ui,sans-serif;padding:32px"><h1>Không thể cấp quyền</h1><p>{{.}}</p></body></html>
`))

// permission is one permission the consent page asks for (all must be ticked to allow).
type permission struct{ Value, Label string }

// permissions are what the app asks of the OA, as on Zalo's page.
var permissions = []permission{
	{"send_message", "Gửi tin nhắn tư vấn tới người quan tâm OA"},
	{"manage_message", "Quản lý tin nhắn người dùng"},
	{"manage_oa", "Quản lý thông tin OA"},
	{"webhook", "Nhận sự kiện tin nhắn và người dùng (webhook)"},
}

// allowProblem checks the choices of an "allow" answer as Zalo's page does: the OA picked, every
// permission ticked and "Đồng ý" ticked; "" when they are complete.
func (s *Server) allowProblem(form url.Values) string {
	if form.Get("oa") != s.opt.OAID {
		return "chọn Official Account muốn kết nối"
	}
	got := map[string]bool{}
	for _, v := range form["perm"] {
		got[v] = true
	}
	for _, p := range permissions {
		if !got[p.Value] {
			return "tick chọn tất cả các quyền"
		}
	}
	if form.Get("agree") != "1" {
		return "tick vào \"Đồng ý\""
	}
	return ""
}

type consentParams struct {
	AppID, RedirectURI, CodeChallenge, State string
}

// consentProblem checks the permission request as Zalo would; "" when it is acceptable.
func (s *Server) consentProblem(p consentParams) string {
	switch {
	case p.AppID != s.opt.AppID:
		return "unknown app_id"
	case p.CodeChallenge == "":
		return "missing code_challenge (PKCE)"
	}
	u, err := url.Parse(p.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "redirect_uri must be an absolute http(s) URL (error -14003)"
	}
	return ""
}

func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := consentParams{AppID: q.Get("app_id"), RedirectURI: q.Get("redirect_uri"), CodeChallenge: q.Get("code_challenge"), State: q.Get("state")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; form-action *")
	if msg := s.consentProblem(p); msg != "" {
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, msg)
		return
	}
	initial := "Z"
	if rs := []rune(s.opt.OAName); len(rs) > 0 {
		initial = strings.ToUpper(string(rs[0]))
	}
	_ = consentPage.Execute(w, map[string]any{
		"AppID": p.AppID, "RedirectURI": p.RedirectURI, "CodeChallenge": p.CodeChallenge, "State": p.State,
		"OAName": s.opt.OAName, "OAID": s.opt.OAID, "OAAvatar": s.opt.OAAvatar, "Initial": initial, "Action": PathPermission,
		"Permissions": permissions,
	})
}

// handleConsentDecision answers the consent form: Allow (with the OA picked, every permission and
// "Đồng ý" ticked; 400 otherwise) redirects to redirect_uri with code, oa_id,
// state (unless Options.OmitStateOnCallback) and code_challenge; Deny redirects with
// error=access_denied (the emulator's choice: Zalo's refusal redirect is not documented).
func (s *Server) handleConsentDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := consentParams{AppID: r.PostForm.Get("app_id"), RedirectURI: r.PostForm.Get("redirect_uri"),
		CodeChallenge: r.PostForm.Get("code_challenge"), State: r.PostForm.Get("state")}
	if msg := s.consentProblem(p); msg != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, msg)
		return
	}
	allow := r.PostForm.Get("decision") == "allow"
	if msg := s.allowProblem(r.PostForm); allow && msg != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, "Để cho phép, hãy "+msg+".")
		return
	}
	target, _ := url.Parse(p.RedirectURI)
	q := target.Query()
	if allow {
		code := "zcode-" + randomHex(20)
		s.mu.Lock()
		s.codes[code] = &authCode{challenge: p.CodeChallenge, redirectURI: p.RedirectURI, expires: time.Now().Add(CodeLifetime)}
		s.issued = append(s.issued, code)
		s.mu.Unlock()
		q.Set("code", code)
		q.Set("oa_id", s.opt.OAID)
		q.Set("code_challenge", p.CodeChallenge)
	} else {
		q.Set("error", "access_denied")
		q.Set("error_description", "The OA admin denied the permission request")
	}
	if !s.opt.OmitStateOnCallback && p.State != "" {
		q.Set("state", p.State)
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusSeeOther)
}

// Consent plays the OA admin opening authURL (the adapter's permission URL), picking the OA,
// ticking every permission and "Đồng ý", and pressing "Cho phép" (Allow). It returns the query Zalo redirects back with.
func (s *Server) Consent(ctx context.Context, authURL string) (url.Values, error) {
	return s.decide(ctx, authURL, "allow")
}

// Deny plays the OA admin pressing "Từ chối" (Deny) and returns the redirect's query.
func (s *Server) Deny(ctx context.Context, authURL string) (url.Values, error) {
	return s.decide(ctx, authURL, "deny")
}

func (s *Server) decide(ctx context.Context, authURL, decision string) (url.Values, error) {
	client := *s.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="`+decision+`"`) {
		return nil, fmt.Errorf("zalotest: the consent page answered HTTP %d", resp.StatusCode)
	}
	u, _ := url.Parse(authURL)
	form := u.Query()
	form.Set("decision", decision)
	form.Set("oa", s.opt.OAID)
	form.Set("agree", "1")
	for _, p := range permissions {
		form.Add("perm", p.Value)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.srv.URL+PathPermission, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("zalotest: the consent form answered HTTP %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return loc.Query(), nil
}

// handleToken is POST /v4/oa/access_token: a form with the app secret in the secret_key header.
// Failures answer HTTP 200 with error / error_name / error_description, as Zalo does. The codes for
// a wrong secret or a bad code (-14003) are the emulator's choice; -14014 for a dead refresh token
// follows one implementation.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, name string) {
		writeJSON(w, http.StatusOK, map[string]any{"error": code, "error_name": name, "error_reason": name, "error_description": name})
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		fail(-14003, "Invalid parameters: the body must be a form")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(-14003, "Invalid parameters")
		return
	}
	f := r.PostForm
	if r.Header.Get("secret_key") != s.opt.AppSecret || f.Get("app_id") != s.opt.AppID {
		fail(-14003, "Invalid app_id or secret_key")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.codes[f.Get("code")]
		switch {
		case c == nil || c.used || time.Now().After(c.expires):
			fail(-14003, "Invalid authorization code")
			return
		case oauth2.S256ChallengeFromVerifier(f.Get("code_verifier")) != c.challenge:
			fail(-14003, "Invalid code_verifier")
			return
		}
		c.used = true
	case "refresh_token":
		rt := f.Get("refresh_token")
		used, known := s.refresh[rt]
		if !known || used {
			fail(-14014, "Invalid refresh token")
			return
		}
		s.refresh[rt] = true
		// Zalo invalidates the access token being replaced too.
		if st := s.access[s.pairs[rt]]; st != nil {
			st.revoked = true
		}
	default:
		fail(-14003, "Invalid grant_type")
		return
	}
	access, refresh := s.issueLocked()
	var expires any = fmt.Sprint(int(TokenLifetime.Seconds()))
	if s.opt.NumericExpiresIn {
		expires = int(TokenLifetime.Seconds())
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "refresh_token": refresh, "expires_in": expires})
}
