package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/dakenh/dakenh/internal/testlog"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
)

func noEnv(string) string { return "" }

func TestParseOptionsDefaults(t *testing.T) {
	o, err := parseOptions(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:8080" || o.DataDir != "data" || o.DB != "data/inbox.db" || o.Postgres != "" || !o.Demo() {
		t.Fatalf("defaults = %+v", o)
	}
}

func TestParseOptionsFlagsWinOverEnvironment(t *testing.T) {
	env := map[string]string{"DAKENH_DB": "/env/x.db", "DAKENH_ADDR": "127.0.0.1:9000", "DAKENH_POSTGRES_URL": "postgres://h/db"}
	o, err := parseOptions([]string{"-db", "/flag/y.db"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.DB != "/flag/y.db" || o.Addr != "127.0.0.1:9000" || o.Postgres != "postgres://h/db" {
		t.Fatalf("options = %+v", o)
	}
}

func TestParseOptionsReportsEveryProblem(t *testing.T) {
	_, err := parseOptions([]string{"-addr", "nope", "-zalo-app-id", "1", "-tiktok-client-key", "k", "-public-url", "ftp://x"}, noEnv, io.Discard)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"-addr", "Zalo connection needs", "TikTok connection needs", "-public-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestRealCredentialsLeaveDemoMode(t *testing.T) {
	o, err := parseOptions([]string{"-tiktok-client-key", "k", "-tiktok-client-secret", "s", "-public-url", "https://inbox.example.com"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Demo() {
		t.Fatal("TikTok credentials must switch demo mode off")
	}
	chans, emus, err := buildChannels(o)
	if err != nil || len(chans) != 1 || chans[0].Kind() != kindTikTok || len(emus) != 0 {
		t.Fatalf("channels %v emulators %d err %v", chans, len(emus), err)
	}
}

// client is an HTTP client with a cookie jar that does not follow redirects.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// postForm posts a form as a script does: with the CSRF header (the login page posts JSON).
func postForm(c *http.Client, target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(inboxapi.CSRFHeader, "1")
	return c.Do(req)
}

func TestLoginSessionCookie(t *testing.T) {
	app := startApp(t)
	c := client(t)
	resp, err := postForm(c, app.url+"/auth/login", url.Values{"user": {"minh"}, "password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?error=1" || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong password: %d %q cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	resp, err = postForm(c, app.url+"/auth/login", url.Values{"user": {"minh"}, "password": {DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login: %d cookies %v", resp.StatusCode, cookies)
	}
	if ck := cookies[0]; ck.Name != sessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("session cookie = %+v", ck)
	}
	me, err := c.Get(app.url + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(me.Body)
	me.Body.Close()
	if me.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"minh"`) {
		t.Fatalf("/api/me = %d %s", me.StatusCode, body)
	}
	resp, err = postForm(c, app.url+"/auth/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	me, err = c.Get(app.url + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	me.Body.Close()
	if me.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/api/me after logout = %d", me.StatusCode)
	}
}

func TestPagesHaveStrictCSPAndInboxNeedsLogin(t *testing.T) {
	app := startApp(t)
	c := client(t)
	resp, err := c.Get(app.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / without a session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/login", "/sim", "/static/js/app.js", "/api/me"} {
		resp, err := c.Get(app.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

// The pages have no inline script or event-handler attribute (the CSP forbids them anyway), and
// the scripts never parse strings as HTML.
func TestAssetsHaveNoInlineScriptsAndNoHTMLParsing(t *testing.T) {
	inlineScript := regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`)
	handlerAttr := regexp.MustCompile(`\son[a-z]+\s*=`)
	htmlSinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function`)
	files := 0
	err := fs.WalkDir(webFiles, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFiles.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		switch {
		case strings.HasSuffix(path, ".html"):
			if inlineScript.Match(b) || handlerAttr.Match(b) {
				t.Errorf("%s has an inline script or handler", path)
			}
		case strings.HasSuffix(path, ".js"):
			if m := htmlSinks.Find(b); m != nil {
				t.Errorf("%s uses %s", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("only %d embedded files", files)
	}
}

func simPost(t *testing.T, app *testApp, header bool, fields map[string]string, file *customerFile) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := newMultipart(&body, fields, file)
	req, _ := http.NewRequest(http.MethodPost, app.url+"/sim/api/messages", &body)
	req.Header.Set("Content-Type", w)
	if header {
		req.Header.Set(simHeader, "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSimulatorRefusesBadRequests(t *testing.T) {
	app := startApp(t)
	ok := map[string]string{"channel": string(kindZalo), "customerId": "zl-x", "name": "X", "text": "hi"}
	if code, _ := simPost(t, app, false, ok, nil); code != http.StatusForbidden {
		t.Errorf("without %s: %d", simHeader, code)
	}
	if code, body := simPost(t, app, true, map[string]string{"channel": string(kindZalo)}, nil); code != http.StatusUnprocessableEntity || !strings.Contains(body, `"customerId"`) {
		t.Errorf("without a customer: %d %s", code, body)
	}
	pdf := &customerFile{Name: "bang-gia.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4\n%%EOF\n")}
	tt := map[string]string{"channel": string(kindTikTok), "customerId": "tt-x", "name": "X"}
	if code, body := simPost(t, app, true, tt, pdf); code != http.StatusUnprocessableEntity || !strings.Contains(body, "unsupported") {
		t.Errorf("a PDF from a TikTok customer: %d %s", code, body)
	}
	if code, _ := simPost(t, app, true, map[string]string{"channel": "nope", "customerId": "x", "text": "hi"}, nil); code != http.StatusNotFound {
		t.Errorf("unknown channel: %d", code)
	}
	if code, body := simPost(t, app, true, map[string]string{"channel": string(kindZalo), "customerId": "zl-doc", "name": "Doc"}, pdf); code != http.StatusNoContent {
		t.Errorf("a PDF from a Zalo customer: %d %s", code, body)
	}
}

// A restart on the same data directory keeps everything, seeds nothing twice, and gives the
// restarted emulators' fresh tokens to the saved connections, so replies go out again.
func TestRestartKeepsDataAndReconnects(t *testing.T) {
	dir := t.TempDir()
	first, stop := startAppIn(t, dir)
	if !first.app.firstRun {
		t.Fatal("the first start must seed")
	}
	firstCount := countConversations(t, first.app)
	stop()

	second, stop := startAppIn(t, dir)
	defer stop()
	a := second.app
	if a.firstRun {
		t.Fatal("the second start must not seed again")
	}
	if n := countConversations(t, a); n != firstCount || n == 0 {
		t.Fatalf("conversations after restart = %d, want %d", n, firstCount)
	}
	ctx := context.Background()
	if err := a.customerWrites(ctx, kindZalo, customerMessage{CustomerID: "zl-phuc", Name: "Lê Hoàng Phúc", Text: "Shop còn đó không?"}); err != nil {
		t.Fatal(err)
	}
	if n := countConversations(t, a); n != firstCount {
		t.Fatalf("the returning customer opened a new conversation: %d, want %d", n, firstCount)
	}
	conv := findConversation(t, a, "Lê Hoàng Phúc")
	if _, err := a.engine.Claim(ctx, workspaceID, "nam", conv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.engine.Send(ctx, omnichannel.SendParams{WorkspaceID: workspaceID, ConversationID: conv.ID, UserID: "nam", Text: "Dạ shop đây ạ", IdempotencyKey: "after-restart"}); err != nil {
		t.Fatal(err)
	}
	second.received(kindZalo, "zl-phuc", func(m receivedMessage) bool { return m.Text == "Dạ shop đây ạ" })
}

func countConversations(t *testing.T, a *App) int {
	page, err := a.engine.ListConversations(context.Background(), supervisorID, omnichannel.ConversationQuery{WorkspaceID: workspaceID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Conversations)
}

func findConversation(t *testing.T, a *App, name string) *omnichannel.Conversation {
	page, err := a.engine.ListConversations(context.Background(), supervisorID, omnichannel.ConversationQuery{WorkspaceID: workspaceID, Search: name, Limit: 10})
	if err != nil || len(page.Conversations) == 0 {
		t.Fatalf("no conversation of %q: %v", name, err)
	}
	return page.Conversations[0]
}

// The start-up lines tell where the inbox is and how to sign in.
func TestRunPrintsURLAndLoginHint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testlog.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, noEnv, out, io.Discard)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "/sim") {
		if time.Now().After(deadline) {
			t.Fatalf("output so far: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"dakenh inbox on http://127.0.0.1:", "store: sqlite", "demo mode", "/login", DemoPassword} {
		if !strings.Contains(text, want) {
			t.Errorf("output %q lacks %q", text, want)
		}
	}
}

// A connection that never sends a request (a browser's preconnect, a cancelled client) does not
// hold up the shutdown: net/http alone would wait 5 seconds for it.
func TestShutdownClosesConnectionsThatSentNoRequest(t *testing.T) {
	o, err := parseOptions([]string{"-data", t.TempDir()}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testlog.Buffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, ln, out, io.Discard) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "/sim") {
		if time.Now().After(deadline) {
			t.Fatalf("output so far: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(50 * time.Millisecond) // let the server accept it
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the shutdown waited for a connection that sent no request")
	}
	idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Error("the unused connection is still open after the shutdown")
	}
}

func Example_parseOptions() {
	o, err := parseOptions([]string{"-data", "/var/lib/inbox"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic(err)
	}
	fmt.Println(o.Addr, o.DB, o.Demo())
	// Output: 127.0.0.1:8080 /var/lib/inbox/inbox.db true
}

// The simulator's ❤️ on a shop message reaches the inbox as a reaction on that message (TikTok and
// Zalo), not as a customer message.
func TestSimulatorReaction(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	for _, c := range []struct {
		kind     omnichannel.Kind
		id, name string
	}{{kindTikTok, "tt-heart", "Khách Tim TikTok"}, {kindZalo, "zl-heart", "Khách Tim Zalo"}} {
		app.customerSays(c.kind, c.id, c.name, "Shop ơi", nil)
		conv := app.conversationOf(c.name)
		m, err := app.app.engine.Send(ctx, omnichannel.SendParams{WorkspaceID: workspaceID, ConversationID: conv.ID,
			UserID: supervisorID, Text: "Dạ shop đây", IdempotencyKey: "k-" + c.id})
		if err != nil {
			t.Fatal(err)
		}
		sent := app.received(c.kind, c.id, func(r receivedMessage) bool { return r.Text == "Dạ shop đây" })
		// The reaction must find the reply by its provider id: wait until the engine stored it.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			msgs, err := app.app.engine.Messages(ctx, workspaceID, supervisorID, conv.ID, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			stored := false
			for _, x := range msgs {
				stored = stored || (x.ID == m.ID && x.ProviderMessageID == sent.ProviderMessageID)
			}
			if stored {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the reply never got its provider id", c.kind)
			}
		}
		q := url.Values{"channel": {string(c.kind)}, "customerId": {c.id}, "messageId": {sent.ProviderMessageID}}
		req, _ := http.NewRequest(http.MethodPost, app.url+"/sim/api/react?"+q.Encode(), nil)
		req.Header.Set(simHeader, "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: /sim/api/react answered %d", c.kind, resp.StatusCode)
		}
		msgs, err := app.app.engine.Messages(ctx, workspaceID, supervisorID, conv.ID, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		found, customer := false, 0
		for _, x := range msgs {
			if x.ID == m.ID && len(x.Reactions) == 1 && x.Reactions[0].Emoji == "❤️" {
				found = true
			}
			if x.Direction == omnichannel.DirectionIn {
				customer++
			}
		}
		if !found || customer != 1 {
			t.Fatalf("%s: reaction on the reply %v, customer messages %d", c.kind, found, customer)
		}
	}
}
