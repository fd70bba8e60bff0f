package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
)

// fakeClock is a clock the tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// realArgs are the options of a test app with real (fake) provider credentials: no demo mode.
var realArgs = []string{"-zalo-app-id", "app", "-zalo-app-secret", "app-secret", "-zalo-oa-secret", "oa-secret", "-public-url", "self"}

const supervisorPassword = "correct horse battery"

// supervisorEnv creates the first supervisor "boss" from the environment.
func supervisorEnv(k string) string {
	return map[string]string{"DAKENH_SUPERVISOR_ID": "boss", "DAKENH_SUPERVISOR_NAME": "Bà Chủ",
		"DAKENH_SUPERVISOR_PASSWORD": supervisorPassword}[k]
}

// loginJSON signs in as the login page does and returns the status and error code.
func loginJSON(t *testing.T, c *http.Client, base, user, password string) (int, string, int) {
	t.Helper()
	body, _ := json.Marshal(loginRequest{User: user, Password: password})
	req, _ := http.NewRequest(http.MethodPost, base+"/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct {
			Code       string `json:"code"`
			RetryAfter int    `json:"retryAfter"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Error.Code, out.Error.RetryAfter
}

func me(t *testing.T, c *http.Client, base string) (int, string) {
	t.Helper()
	resp, err := c.Get(base + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func usersOf(t *testing.T, a *App) []*omnichannel.User {
	t.Helper()
	var out []*omnichannel.User
	if err := a.store.View(context.Background(), func(tx omnichannel.Tx) (err error) {
		out, err = tx.ListUsers(workspaceID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Outside demo mode there are no demo users, no shared password, no user list before sign-in, and
// nobody can sign in until an account exists.
func TestRealModeHasNoDemoLogin(t *testing.T) {
	app, stop := startAppWith(t, t.TempDir(), realArgs, noEnv, nil)
	defer stop()
	if n := len(usersOf(t, app.app)); n != 0 {
		t.Fatalf("%d users seeded outside demo mode", n)
	}
	if !strings.Contains(app.app.accountsNote, "no account yet") {
		t.Errorf("start-up note = %q", app.app.accountsNote)
	}
	resp, err := http.Get(app.url + "/auth/users")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), DemoPassword) || strings.Contains(string(b), "hoa") {
		t.Fatalf("GET /auth/users = %d %s", resp.StatusCode, b)
	}
	c := client(t)
	for _, u := range []string{"hoa", "minh", "boss"} {
		if st, code, _ := loginJSON(t, c, app.url, u, DemoPassword); st != http.StatusUnauthorized || code != "bad_credentials" {
			t.Errorf("login %s with the demo password = %d %s", u, st, code)
		}
	}
	if st, _ := me(t, c, app.url); st != http.StatusUnauthorized {
		t.Fatalf("/api/me = %d after refused logins", st)
	}
	// The login page itself works without the list (its script shows a user id field).
	resp, err = http.Get(app.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/login = %d", resp.StatusCode)
	}
}

// The first supervisor comes from DAKENH_SUPERVISOR_*: stored as an argon2id hash in a 0600 file
// (never the password), able to sign in; a later start with other values changes nothing.
func TestFirstSupervisorFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	app, stop := startAppWith(t, dir, realArgs, supervisorEnv, nil)
	if !strings.Contains(app.app.accountsNote, `created the first supervisor "boss"`) {
		t.Errorf("start-up note = %q", app.app.accountsNote)
	}
	path := filepath.Join(dir, accountsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v", path, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), supervisorPassword) || !strings.Contains(string(raw), `"boss": "$argon2id$v=19$m=19456,t=2,p=1$`) {
		t.Fatalf("accounts file: %s", raw)
	}
	c := client(t)
	if st, code, _ := loginJSON(t, c, app.url, "boss", "wrong password!"); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %s", st, code)
	}
	if st, code, _ := loginJSON(t, c, app.url, "boss", supervisorPassword); st != http.StatusNoContent {
		t.Fatalf("login: %d %s", st, code)
	}
	if st, body := me(t, c, app.url); st != http.StatusOK || !strings.Contains(body, `"role":"supervisor"`) || !strings.Contains(body, "Bà Chủ") {
		t.Fatalf("/api/me = %d %s", st, body)
	}
	stop()

	other := func(k string) string {
		if k == "DAKENH_SUPERVISOR_PASSWORD" {
			return "another long password"
		}
		return supervisorEnv(k)
	}
	app, stop = startAppWith(t, dir, realArgs, other, nil)
	defer stop()
	if !strings.Contains(app.app.accountsNote, "ignored") {
		t.Errorf("start-up note = %q", app.app.accountsNote)
	}
	if st, _, _ := loginJSON(t, client(t), app.url, "boss", "another long password"); st != http.StatusUnauthorized {
		t.Fatalf("the environment changed an existing account: %d", st)
	}
	if st, _, _ := loginJSON(t, client(t), app.url, "boss", supervisorPassword); st != http.StatusNoContent {
		t.Fatalf("the first password no longer works: %d", st)
	}
}

// -add-user creates accounts while the server runs (password from standard input, checked).
func TestAddUserWhileServing(t *testing.T) {
	dir := t.TempDir()
	app, stop := startAppWith(t, dir, realArgs, supervisorEnv, nil)
	defer stop()
	add := func(password string, args ...string) error {
		o, err := parseOptions(append([]string{"-data", dir}, args...), noEnv, io.Discard)
		if err != nil {
			return err
		}
		return addUser(context.Background(), o, strings.NewReader(password+"\n"), io.Discard)
	}
	if err := add("short", "-add-user", "minh", "-user-teams", teamCare); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("short password: %v", err)
	}
	if err := add("a long password", "-add-user", "Bad Id!"); err == nil {
		t.Fatal("a bad user id was accepted")
	}
	if err := add("minh's long password", "-add-user", "minh", "-user-name", "Nguyễn Minh Anh", "-user-teams", teamCare); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	if st, code, _ := loginJSON(t, c, app.url, "minh", "minh's long password"); st != http.StatusNoContent {
		t.Fatalf("login minh: %d %s", st, code)
	}
	if st, body := me(t, c, app.url); st != http.StatusOK || !strings.Contains(body, `"role":"agent"`) || !strings.Contains(body, teamCare) {
		t.Fatalf("/api/me = %d %s", st, body)
	}
}

// Wrong passwords are throttled per account with growing delays (the clock is the test's): after
// 3 free failures the account is locked for 1 s, then 2 s, …; while locked even the right password
// is refused without being checked; a success clears the account.
func TestLoginThrottledPerAccount(t *testing.T) {
	clock := newFakeClock()
	app, stop := startAppWith(t, t.TempDir(), realArgs, supervisorEnv, func(o *Options) { o.clock = clock.Now })
	defer stop()
	c := client(t)
	for i := 0; i < 3; i++ {
		if st, code, _ := loginJSON(t, c, app.url, "boss", "wrong password!"); st != http.StatusUnauthorized {
			t.Fatalf("free failure %d: %d %s", i+1, st, code)
		}
	}
	if st, _, _ := loginJSON(t, c, app.url, "boss", "wrong password!"); st != http.StatusUnauthorized {
		t.Fatalf("4th failure: %d", st)
	}
	for _, want := range []int{1, 2, 4, 8} {
		st, code, retry := loginJSON(t, c, app.url, "boss", supervisorPassword)
		if st != http.StatusTooManyRequests || code != "throttled" || retry != want {
			t.Fatalf("locked: %d %s retryAfter %d, want 429 throttled %d", st, code, retry, want)
		}
		clock.Advance(time.Duration(want) * time.Second)
		if st, _, _ := loginJSON(t, c, app.url, "boss", "wrong password!"); st != http.StatusUnauthorized {
			t.Fatalf("after the lock: %d", st)
		}
	}
	clock.Advance(16 * time.Second)
	if st, _, _ := loginJSON(t, c, app.url, "boss", supervisorPassword); st != http.StatusNoContent {
		t.Fatalf("after the lock, the right password: %d", st)
	}
	if st, _, _ := loginJSON(t, client(t), app.url, "boss", "wrong password!"); st != http.StatusUnauthorized {
		t.Fatalf("a success clears the account: %d", st)
	}
	if st, _ := me(t, c, app.url); st != http.StatusOK {
		t.Fatalf("/api/me = %d", st)
	}
}

// 300 concurrent guesses: at most the free failures and one more are checked, the rest are refused
// without a password check; the account's owner is not signed in by any of them.
func TestLoginBurstIsRefused(t *testing.T) {
	clock := newFakeClock()
	app, stop := startAppWith(t, t.TempDir(), realArgs, supervisorEnv, func(o *Options) { o.clock = clock.Now })
	defer stop()
	var wg sync.WaitGroup
	var checked, throttled atomic.Int64
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch st, _, _ := loginJSON(t, c, app.url, "boss", "guess-"+string(rune('a'+i%26))+"-long-enough"); st {
			case http.StatusUnauthorized:
				checked.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			default:
				t.Errorf("guess answered %d", st)
			}
		}()
	}
	wg.Wait()
	if checked.Load() > int64(accountPolicy.free+1) || checked.Load()+throttled.Load() != 300 {
		t.Fatalf("checked %d, throttled %d of 300", checked.Load(), throttled.Load())
	}
}

// The client address is throttled too: guesses spread over many accounts from one address are
// locked after the address's free failures; another address is not.
func TestLoginThrottledPerAddress(t *testing.T) {
	clock := newFakeClock()
	app, stop := startAppWith(t, t.TempDir(), realArgs, supervisorEnv, func(o *Options) { o.clock = clock.Now })
	defer stop()
	c := client(t)
	for i := 0; i < addressPolicy.free+1; i++ {
		if st, _, _ := loginJSON(t, c, app.url, "user"+string(rune('a'+i)), "wrong password!"); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	if st, code, _ := loginJSON(t, c, app.url, "boss", supervisorPassword); st != http.StatusTooManyRequests || code != "throttled" {
		t.Fatalf("the address is not locked: %d %s", st, code)
	}
	// 127.0.0.2 is another client address on the loopback interface.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	if st, code, _ := loginJSON(t, other, app.url, "boss", supervisorPassword); st != http.StatusNoContent {
		t.Fatalf("another address: %d %s", st, code)
	}
}

// The delays grow, are capped, and are forgotten; the throttle's memory is bounded.
func TestLoginThrottleUnit(t *testing.T) {
	clock := newFakeClock()
	th := newLoginThrottle(clock.Now)
	r := &http.Request{RemoteAddr: "192.0.2.7:5555"}
	keys := loginKeys("Boss", r)
	var got []time.Duration
	for i := 0; i < 16; i++ {
		if w := th.begin(keys); w > 0 {
			got = append(got, w)
			clock.Advance(w)
			i--
			continue
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900}
	if len(got) != len(want) {
		t.Fatalf("delays %v", got)
	}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("delay %d = %v, want %v s (all: %v)", i, got[i], want[i], got)
		}
	}
	if w := th.begin(loginKeys("boss", r)); w != 900*time.Second {
		t.Fatalf("the account key ignores case: %v", w)
	}
	clock.Advance(900*time.Second + 25*time.Hour)
	if w := th.begin(keys); w != 0 {
		t.Fatalf("not forgotten after a day: %v", w)
	}
	for i := 0; i < maxThrottleKeys; i++ {
		th.begin(loginKeys(fmt.Sprintf("u%d", i), &http.Request{RemoteAddr: fmt.Sprintf("10.0.%d.%d:1", i/250, i%250)}))
	}
	if n := len(th.m); n > maxThrottleKeys {
		t.Fatalf("%d keys kept", n)
	}
}

// Behind a TLS proxy (-public-url https://…) the session cookie is Secure, though the proxy talks
// plain HTTP to the app.
func TestSessionCookieSecureBehindTLSProxy(t *testing.T) {
	args := append(append([]string{}, realArgs[:len(realArgs)-2]...), "-public-url", "https://inbox.example.com")
	app, stop := startAppWith(t, t.TempDir(), args, supervisorEnv, nil)
	defer stop()
	body, _ := json.Marshal(loginRequest{User: "boss", Password: supervisorPassword})
	req, _ := http.NewRequest(http.MethodPost, app.url+"/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://inbox.example.com")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusNoContent || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Fatalf("login behind the proxy: %d cookies %+v", resp.StatusCode, cookies)
	}
	// The same request from the app's internal address as Origin is not the public origin.
	req, _ = http.NewRequest(http.MethodPost, app.url+"/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", app.url)
	req.Header.Set(inboxapi.CSRFHeader, "1")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("an Origin other than the public URL's: %d %v", resp.StatusCode, resp.Cookies())
	}
}

// Hashes: argon2id with the parameters in the string; a changed byte or a malformed hash fails.
func TestPasswordHashes(t *testing.T) {
	h, err := hashPassword("a long password")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("a long password")
	if h == h2 {
		t.Fatal("no salt")
	}
	if err := checkPassword(h, "a long password"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"a long passworD", "", "a long password "} {
		if checkPassword(h, bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, hash := range []string{"", "plain", strings.Replace(h, "argon2id", "argon2i", 1), strings.Replace(h, "m=19456", "m=99999999", 1),
		h[:len(h)-4] + "AAAA"} {
		if checkPassword(hash, "a long password") == nil {
			t.Errorf("hash %q accepted", hash)
		}
	}
}
