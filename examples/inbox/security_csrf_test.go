package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
)

// blobCount counts the files under the app's blob directory.
func blobCount(a *testApp) int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(a.app.opts.DataDir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func connectionStatus(t *testing.T, a *App, id string) omnichannel.ConnectionStatus {
	t.Helper()
	var c *omnichannel.Connection
	if err := a.store.View(t.Context(), func(tx omnichannel.Tx) (err error) {
		c, err = tx.GetConnection(workspaceID, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// The login routes refuse cross-site and token-less posts: no login CSRF (a foreign page signing
// the victim in as the attacker), no logout CSRF.
func TestAuthRoutesRefuseCrossSite(t *testing.T) {
	app := startApp(t)
	victim := client(t)
	if resp, err := postForm(victim, app.url+"/auth/login", url.Values{"user": {"hoa"}, "password": {DemoPassword}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("victim login: %v %v", resp, err)
	}
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	attempts := []struct {
		name, origin, site, contentType string
		token                           bool
	}{
		{"foreign origin", "https://evil.example", "cross-site", "application/x-www-form-urlencoded", false},
		{"foreign origin with the token", "https://evil.example", "cross-site", "application/x-www-form-urlencoded", true},
		{"another port of the same host", other.URL, "same-site", "application/json", true},
		{"same origin, form without the token", app.url, "same-origin", "application/x-www-form-urlencoded", false},
		{"same origin, text/plain without the token", app.url, "same-origin", "text/plain", false},
		{"no browser headers, form without the token", "", "", "application/x-www-form-urlencoded", false},
	}
	cases := 0
	for _, path := range []string{"/auth/login", "/auth/logout"} {
		for _, a := range attempts {
			cases++
			body := "user=minh&password=" + DemoPassword
			if a.contentType == "application/json" {
				body = `{"user":"minh","password":"` + DemoPassword + `"}`
			}
			req, _ := http.NewRequest(http.MethodPost, app.url+path, strings.NewReader(body))
			req.Header.Set("Content-Type", a.contentType)
			if a.origin != "" {
				req.Header.Set("Origin", a.origin)
			}
			if a.site != "" {
				req.Header.Set("Sec-Fetch-Site", a.site)
			}
			if a.token {
				req.Header.Set(inboxapi.CSRFHeader, "1")
			}
			resp, err := victim.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
				t.Errorf("%s %s: %d cookies %v", path, a.name, resp.StatusCode, resp.Cookies())
			}
		}
	}
	if st, body := me(t, victim, app.url); st != http.StatusOK || !strings.Contains(body, `"id":"hoa"`) {
		t.Fatalf("the victim's session changed: %d %s", st, body)
	}
	t.Logf("cross-site cases on the login routes: %d", cases)
}

// attackerPage is served from another port of the same host (same site, another origin): as soon
// as it loads it posts forms into frames and no-cors fetches at the inbox, as the victim's browser
// (its cookies included), then sets window.attackDone to the number of answers it got.
const attackerPage = `<!doctype html><html><body>
<iframe name="f0"></iframe><iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe>
<iframe name="f4"></iframe><iframe name="f5"></iframe><iframe name="f6"></iframe><iframe name="f7"></iframe>
<script>
const inbox = %q, conv = %q, conn = %q;
window.attackDone = 0;
const forms = [
  ['/api/conversations/' + conv + '/done', 'application/x-www-form-urlencoded', {status: 'done'}],
  ['/api/conversations/' + conv + '/read', 'text/plain', {x: '1'}],
  ['/api/conversations/' + conv + '/claim', 'application/x-www-form-urlencoded', {}],
  ['/api/connections/' + conn + '/disconnect', 'application/x-www-form-urlencoded', {}],
  ['/api/attachments', 'multipart/form-data', {file: 'MZ-not-an-image'}],
  ['/api/conversations/' + conv + '/templates/tpl-thanks/render', 'text/plain', {}],
  ['/auth/login', 'application/x-www-form-urlencoded', {user: 'minh', password: 'demo123'}],
  ['/auth/logout', 'application/x-www-form-urlencoded', {}],
];
forms.forEach(([path, enc, fields], i) => {
  const f = document.createElement('form');
  f.method = 'POST'; f.action = inbox + path; f.enctype = enc; f.target = 'f' + i;
  for (const [k, v] of Object.entries(fields)) {
    const input = document.createElement('input'); input.name = k; input.value = v; f.append(input);
  }
  document.body.append(f);
  document.getElementsByName('f' + i)[0].addEventListener('load', () => { window.attackDone++; }, {once: true});
  f.submit();
});
const fd = new FormData();
fd.append('file', new Blob(['\x89PNG\r\n\x1a\n'], {type: 'image/png'}), 'x.png');
const fetches = [
  [inbox + '/api/conversations/' + conv + '/done', {}],
  [inbox + '/api/conversations/' + conv + '/reopen', {}],
  [inbox + '/api/attachments', {body: fd}],
  [inbox + '/api/connections/' + conn + '/disconnect', {}],
  [inbox + '/auth/logout', {}],
];
for (const [u, init] of fetches) {
  fetch(u, {method: 'POST', mode: 'no-cors', credentials: 'include', ...init}).then(() => { window.attackDone++; }, () => { window.attackDone++; });
}
</script></body></html>`

const attackerRequests = 8 + 5

// TestBrowserCrossSiteAttackerPageChangesNothing: a signed-in supervisor visits a page on another
// port of the same host (the cookies go along: same site). Its forms and fetches (mark done, read,
// claim, disconnect, upload, template render, login as another user, logout) all reach the inbox
// and are all refused: the conversation is still open, the connection connected, no file stored,
// and the supervisor is still signed in as herself.
func TestBrowserCrossSiteAttackerPageChangesNothing(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	tb := b.login(supervisorID)
	conv := app.conversationOf("Nguyễn Văn An")
	var conn *omnichannel.Connection
	if err := app.app.store.View(t.Context(), func(tx omnichannel.Tx) (err error) {
		conn, err = tx.GetConnection(workspaceID, conv.ConnectionID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before, blobs := app.settled(), blobCount(app)

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerPage, app.url, conv.ID, conn.ID)
	}))
	defer attacker.Close()
	if strings.Split(attacker.URL, ":")[1] != strings.Split(app.url, ":")[1] {
		t.Fatalf("the attacker %s must be on the inbox's host %s", attacker.URL, app.url)
	}
	tb.do(chromedp.Navigate(attacker.URL))
	deadline := time.Now().Add(20 * time.Second)
	for eval[int](tb, `window.attackDone`) < attackerRequests {
		if time.Now().After(deadline) {
			t.Fatalf("the attacker page got %d of %d answers", eval[int](tb, `window.attackDone`), attackerRequests)
		}
		time.Sleep(50 * time.Millisecond)
	}

	after := app.settled()
	if fmt.Sprint(before) != fmt.Sprint(after) || blobCount(app) != blobs {
		t.Fatalf("the attack left a trace:\nbefore %v\nafter  %v\nblobs %d → %d", before, after, blobs, blobCount(app))
	}
	now := app.conversationOf("Nguyễn Văn An")
	if now.Status != omnichannel.StatusOpen || now.Version != conv.Version {
		t.Fatalf("the conversation changed: %s v%d → v%d", now.Status, conv.Version, now.Version)
	}
	if st := connectionStatus(t, app.app, conn.ID); st != omnichannel.ConnectionConnected {
		t.Fatalf("the connection is %s", st)
	}
	// Back on the inbox, the supervisor is still herself.
	tb.do(chromedp.Navigate(app.url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="conv-row"]`)))
	who := eval[string](tb, `fetch('/api/me').then(r => r.json()).then(m => m.user.id)`, chromedp.EvalAwaitPromise)
	if who != supervisorID {
		t.Fatalf("signed in as %q after the attack", who)
	}
	t.Logf("attacker requests answered and refused: %d", attackerRequests)
}
