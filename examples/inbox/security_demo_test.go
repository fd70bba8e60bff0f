package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dakenh/dakenh/inboxapi"
)

// The shop's replies to a simulated customer are only for the simulator page's session.
func TestSimThreadNeedsTheSimulatorSession(t *testing.T) {
	app := startApp(t)
	thread := app.url + "/sim/api/thread?channel=tiktok&customerId=tt-an"
	resp, err := http.Get(thread)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(b), "items") {
		t.Fatalf("without the session: %d %s", resp.StatusCode, b)
	}
	c := client(t)
	page, err := c.Get(app.url + "/sim")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	var sim *http.Cookie
	for _, ck := range page.Cookies() {
		if ck.Name == simCookie {
			sim = ck
		}
	}
	if sim == nil || !sim.HttpOnly || sim.SameSite != http.SameSiteStrictMode || sim.Path != "/sim" {
		t.Fatalf("simulator cookie = %+v", sim)
	}
	resp, err = c.Get(thread)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"items"`) {
		t.Fatalf("with the session: %d %s", resp.StatusCode, b)
	}
	// A made-up cookie is no session.
	req, _ := http.NewRequest(http.MethodGet, thread, nil)
	req.AddCookie(&http.Cookie{Name: simCookie, Value: "guess"})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", resp.StatusCode)
	}
}

// The OAuth redirect URI never comes from the Host header: in demo mode it is the app's own URL,
// and real providers need -public-url.
func TestOAuthRedirectNeverFromHostHeader(t *testing.T) {
	app := startApp(t)
	c := client(t)
	if resp, err := postForm(c, app.url+"/auth/login", url.Values{"user": {supervisorID}, "password": {DemoPassword}}); err != nil || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: %v %v", resp, err)
	}
	req, _ := http.NewRequest(http.MethodPost, app.url+"/api/connections/zalo/connect", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Host = "evil.example"
	base, _ := url.Parse(app.url)
	for _, ck := range c.Jar.Cookies(base) { // the jar would look for evil.example's cookies
		req.AddCookie(ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out inboxapi.ConnectURL
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("connect: %d %v %+v", resp.StatusCode, err, out)
	}
	consent, err := url.Parse(out.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got := consent.Query().Get("redirect_uri"); got != app.url+"/api/connect/callback/zalo" {
		t.Fatalf("redirect_uri = %q", got)
	}

	_, err = parseOptions([]string{"-zalo-app-id", "a", "-zalo-app-secret", "b", "-zalo-oa-secret", "c"}, noEnv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-public-url is required") {
		t.Fatalf("real providers without -public-url: %v", err)
	}
	for _, bad := range []string{"https://inbox.example.com/app", "https://inbox.example.com?x=1", "inbox.example.com"} {
		if _, err := parseOptions([]string{"-public-url", bad}, noEnv, io.Discard); err == nil {
			t.Errorf("-public-url %q accepted", bad)
		}
	}
}
