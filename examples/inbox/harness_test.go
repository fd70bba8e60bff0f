package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/dakenh/dakenh/omnichannel"
)

// testApp is the inbox running in process on a free loopback port with a temporary data directory.
type testApp struct {
	t   *testing.T
	app *App
	url string
}

// startApp starts the whole app (store, engine worker, emulators, HTTP server) for one test, on a
// temporary data directory.
func startApp(t *testing.T) *testApp {
	t.Helper()
	a, stop := startAppIn(t, t.TempDir())
	t.Cleanup(stop)
	return a
}

// startAppIn starts the app on the data directory dir; stop shuts it down.
func startAppIn(t *testing.T, dir string) (*testApp, func()) {
	t.Helper()
	return startAppWith(t, dir, nil, noEnv, nil)
}

// startAppWith starts the app on dir with more command-line args and environment (the listen
// address and -data are set; "-public-url self" becomes the app's own URL) and lets edit change the
// options (clock, timeouts) before it starts. The server is the one main runs (newHTTPServer).
func startAppWith(t *testing.T, dir string, args []string, getenv func(string) string, edit func(*Options)) (*testApp, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := "http://" + ln.Addr().String()
	args = append([]string{"-addr", ln.Addr().String(), "-data", dir}, args...)
	for i, a := range args {
		if a == "self" && i > 0 && args[i-1] == "-public-url" {
			args[i] = self
		}
	}
	o, err := parseOptions(args, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.Quiet = true
	if edit != nil {
		edit(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := newApp(ctx, o, "http://"+ln.Addr().String(), io.Discard)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = app.Run(ctx) }()
	srv := newHTTPServer(app.Handler(), o.Timeouts, nil)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			_ = srv.Close()
			wg.Wait()
			app.Close()
		})
	}
	if err := app.SeedConversations(ctx); err != nil {
		stop()
		t.Fatal(err)
	}
	ta := &testApp{t: t, app: app, url: "http://" + ln.Addr().String()}
	// The worker starts once the seed is in (App.Run); its first jobs (the connections' history
	// syncs, profile fetches) run now. A test starts on the inbox they leave, as a user who signs
	// in a moment after the start does.
	if o.Postgres == "" {
		ta.waitForDueJobs()
	}
	return ta, stop
}

// waitForDueJobs waits until no job of the app is due or running.
func (a *testApp) waitForDueJobs() {
	a.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if a.dueJobs() == 0 {
			return
		}
	}
	a.t.Fatal("the app's jobs due at the start never finished")
}

// dueJobs counts the jobs due now, running ones included (a job keeps its due time until it is
// done and deleted; one waiting for a later retry is not counted).
func (a *testApp) dueJobs() int {
	a.t.Helper()
	db, err := sql.Open("sqlite", "file:"+a.app.opts.DB+"?mode=ro")
	if err != nil {
		a.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM jobs WHERE run_at <= ?`, time.Now().UnixMicro()).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// customerSays posts a customer message through the simulator endpoint, as the /sim page does.
func (a *testApp) customerSays(kind omnichannel.Kind, customerID, name, text string, file *customerFile) {
	a.t.Helper()
	var body bytes.Buffer
	ct := newMultipart(&body, map[string]string{"channel": string(kind), "customerId": customerID, "name": name, "text": text}, file)
	req, _ := http.NewRequest(http.MethodPost, a.url+"/sim/api/messages", &body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set(simHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		a.t.Fatalf("simulator answered %d: %s", resp.StatusCode, b)
	}
}

// newMultipart writes fields and an optional file as multipart/form-data and returns the
// Content-Type.
func newMultipart(body *bytes.Buffer, fields map[string]string, file *customerFile) string {
	mw := multipart.NewWriter(body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, file.Name))
		h.Set("Content-Type", file.ContentType)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(file.Data)
	}
	_ = mw.Close()
	return mw.FormDataContentType()
}

// conversationOf returns the conversation of the named customer (as the supervisor sees it),
// waiting a little for it: a name may arrive with the provider profile after the first message.
func (a *testApp) conversationOf(name string) *omnichannel.Conversation {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := a.app.engine.ListConversations(context.Background(), supervisorID, omnichannel.ConversationQuery{WorkspaceID: workspaceID, Search: name, Limit: 10})
		if err != nil {
			a.t.Fatal(err)
		}
		for _, c := range page.Conversations {
			if c.ContactName == name {
				return c
			}
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no conversation of %q", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// received waits until the emulator of kind got a message for customerID that satisfies ok.
func (a *testApp) received(kind omnichannel.Kind, customerID string, ok func(receivedMessage) bool) receivedMessage {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range a.app.emulators[kind].Received(customerID) {
			if ok(m) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("the %s emulator received no matching message for %s; got %+v", kind, customerID, a.app.emulators[kind].Received(customerID))
	return receivedMessage{}
}

// chromiumPath finds the browser: $DAKENH_CHROMIUM, /usr/bin/chromium, or one on $PATH.
func chromiumPath() string {
	if p := os.Getenv("DAKENH_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium for a test; each user gets their own browser context (cookies).
type browser struct {
	t     *testing.T
	app   *testApp
	root  context.Context
	shots string
}

// newBrowser starts headless Chromium. Without Chromium the test is skipped locally, and fails
// under CI=true (CI installs Chromium).
func newBrowser(t *testing.T, app *testApp) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is required under CI=true (apt-get install -y chromium)")
		}
		t.Skip("Chromium not found: install it with apt-get install -y chromium (or set DAKENH_CHROMIUM); CI never skips")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1440, 900))
	// Chromium now and then dies while starting on a loaded machine (seen under -race in CI: its
	// crash handler reports the start-up crash, a second start works): a start is tried three times.
	var alloc, root context.Context
	var cancelAlloc, cancelRoot context.CancelFunc
	for attempt := 1; ; attempt++ {
		// A profile directory of its own: a crashed start may leave its lock behind.
		alloc, cancelAlloc = chromedp.NewExecAllocator(context.Background(), append(opts, chromedp.UserDataDir(t.TempDir()))...)
		root, cancelRoot = chromedp.NewContext(alloc)
		err := chromedp.Do(root)
		if err == nil {
			break
		}
		cancelRoot()
		cancelAlloc()
		if attempt == 3 {
			t.Fatalf("starting Chromium: %v", err)
		}
		t.Logf("starting Chromium, attempt %d: %v", attempt, err)
	}
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
	})
	shots := os.Getenv("DAKENH_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, app: app, root: root, shots: shots}
}

// tab is one signed-in user's page.
type tab struct {
	t   *testing.T
	b   *browser
	ctx context.Context
}

// anonymous opens a new browser context without signing in (the customer simulator).
func (b *browser) anonymous() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return &tab{t: b.t, b: b, ctx: ctx}
}

// login opens a new browser context, signs in as userID on the login page and waits for the list.
func (b *browser) login(userID string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first run creates the tab; it must not carry a timeout, which would close the tab.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	tb := &tab{t: b.t, b: b, ctx: ctx}
	tb.do(chromedp.Navigate(b.app.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-user-`+userID+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="login-user-`+userID+`"]`)),
		chromedp.SendKeys(chromedp.CSS("#password"), DemoPassword),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="conv-list"]`)))
	// An agent lands on "Của tôi", which may be empty.
	tb.waitJS(`document.querySelector('[data-testid="conv-row"], [data-testid="conv-list"] .empty')`)
	return tb
}

// do runs steps with a time limit, failing the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail(err)
	}
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t.Fatalf("browser: evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy. It polls from Go, so a reload of the
// page between two checks does no harm.
func (tb *tab) waitJS(expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(40 * time.Millisecond)
	}
	tb.fail(fmt.Errorf("waiting for %s (last error: %v)", expr, last))
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rowJS is a JavaScript expression for the list row of the named customer (or undefined).
func rowJS(name string) string {
	return `[...document.querySelectorAll('[data-testid="conv-row"]')].find(r => r.querySelector('[data-testid="conv-name"]').textContent === ` + js(name) + `)`
}

// open clicks the named customer's row and waits for the thread. When the row is not in the
// current view (an agent lands on "Của tôi"), it switches to "Tất cả".
func (tb *tab) open(name string) {
	tb.t.Helper()
	tb.waitJS(rowJS(name) + ` || (document.querySelector('[data-testid="view-all"]:not(.active)')?.click(), false)`)
	// The list may redraw under a live update between finding the row and clicking it: click the
	// row as it is when the click happens.
	tb.do(chromedp.Evaluate[chromedp.Void](rowJS(name) + `.click()`))
	tb.waitJS(`document.querySelector('[data-testid="thread-name"]')?.textContent === ` + js(name))
	tb.waitJS(`document.querySelector('[data-testid="customer-name"]')`)
}

// selectOption sets a select's value and fires change, as a user's choice does.
func (tb *tab) selectOption(testid, value string) {
	tb.t.Helper()
	ok := eval[bool](tb, `(() => { const s = document.querySelector('[data-testid="`+testid+`"]'); if (!s || ![...s.options].some(o => o.value === `+js(value)+`)) return false; s.value = `+js(value)+`; s.dispatchEvent(new Event('change')); return true; })()`)
	if !ok {
		tb.t.Fatalf("select %s has no option %q", testid, value)
	}
}

// shot saves a screenshot of the page as name.png in the screenshot directory.
func (tb *tab) shot(name string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(tb.b.shots, tb.t.Name()+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return path
}

// fail saves a screenshot and the page's text, then fails the test.
func (tb *tab) fail(err error) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
	if png, e := chromedp.Run(ctx, chromedp.CaptureScreenshot()); e == nil {
		_ = os.WriteFile(filepath.Join(tb.b.shots, tb.t.Name()+"-failure.png"), png, 0o644)
	}
	tb.t.Fatalf("browser: %v\nat %s\npage text:\n%s", err, url, text)
}
