package inboxapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// csrfAttack is one way a page of another origin (or a same-origin request without the token) may
// try an unsafe call.
type csrfAttack struct {
	name string
	// origin and site are the Origin and Sec-Fetch-Site headers ("" for none); "self" is the API's
	// own origin.
	origin, site string
	// contentType of the body: "form", "text", "multipart", "json" or "" (no body).
	contentType string
	token       bool
}

var csrfAttacks = []csrfAttack{
	{"foreign origin, form", "https://evil.example", "cross-site", "form", false},
	{"foreign origin, text/plain", "https://evil.example", "cross-site", "text", false},
	{"foreign origin, multipart", "https://evil.example", "cross-site", "multipart", false},
	{"foreign origin, JSON", "https://evil.example", "cross-site", "json", false},
	{"foreign origin with the token header", "https://evil.example", "cross-site", "", true},
	{"foreign origin, old browser (no Sec-Fetch-Site)", "https://evil.example", "", "json", true},
	{"another port of the same host", "other-port", "same-site", "json", true},
	{"opaque origin (sandboxed frame)", "null", "cross-site", "json", true},
	{"cross-site without Origin", "", "cross-site", "json", true},
	{"typed or bookmarked (Sec-Fetch-Site none)", "", "none", "", true},
	{"same origin, form without the token", "self", "same-origin", "form", false},
	{"same origin, text/plain without the token", "self", "same-origin", "text", false},
	{"same origin, multipart without the token", "self", "same-origin", "multipart", false},
	{"same origin, no body, no token", "self", "same-origin", "", false},
	{"no browser headers, form without the token", "", "", "form", false},
	{"no browser headers, multipart without the token", "", "", "multipart", false},
}

// csrfPath fills a route pattern's wildcards with ids of workspace A's fixture.
func csrfPath(t *testing.T, e *env, pattern, messageID string) string {
	t.Helper()
	_, p, ok := strings.Cut(pattern, " ")
	require.True(t, ok, pattern)
	id := ""
	switch {
	case strings.HasPrefix(p, "/conversations/{id}"):
		id = e.convA.ID
	case strings.HasPrefix(p, "/messages/{id}"):
		id = messageID
	case strings.HasPrefix(p, "/connections/{id}"):
		id = e.connA.ID
	case strings.HasPrefix(p, "/rules/{id}"):
		id = "r1"
	case strings.HasPrefix(p, "/contacts/{id}"):
		id = e.convA.ContactID
	case strings.HasPrefix(p, "/users/{id}"):
		id = "a2"
	case strings.HasPrefix(p, "/teams/{id}"):
		id = "t1"
	case strings.HasPrefix(p, "/templates/{id}"):
		id = "tpl1"
	case strings.HasPrefix(p, "/categories/{id}"):
		id = "c11"
	case strings.HasPrefix(p, "/classifications/{id}"):
		id = "spam"
	}
	p = strings.NewReplacer("{id}", id, "{kind}", "fake", "{templateId}", "tpl1").Replace(p)
	require.NotContains(t, p, "{", "a wildcard of %q is not filled in", pattern)
	return p
}

// csrfState is what a processed request would change: every conversation's and connection's
// version, the rules, the messages, the read states and the blob files.
type csrfState struct {
	versions map[string]int64
	rules    int
	messages int
	reads    int
	blobs    int
}

func (e *env) csrfState(t *testing.T, blobDir string) csrfState {
	t.Helper()
	s := csrfState{versions: map[string]int64{}}
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		for _, c := range []*oc.Conversation{e.convA, e.convA2} {
			conv, err := tx.GetConversation(wsA, c.ID)
			if err != nil {
				return err
			}
			s.versions["conv "+c.ID] = conv.Version
			msgs, err := tx.ListMessages(wsA, c.ID, 0, 1000)
			if err != nil {
				return err
			}
			s.messages += len(msgs)
			for _, u := range []string{"sup", "a1", "a2"} {
				if rs, err := tx.GetReadState(wsA, u, c.ID); err == nil && rs != nil {
					s.reads += int(rs.Seq)
				}
			}
		}
		conns, err := tx.ListConnections(wsA)
		if err != nil {
			return err
		}
		for _, c := range conns {
			s.versions["conn "+c.ID] = c.Version
		}
		rules, err := tx.ListRules(wsA)
		s.rules = len(rules)
		return err
	}))
	_ = filepath.WalkDir(blobDir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			s.blobs++
		}
		return nil
	})
	return s
}

// TestCrossSiteRequestsAreRefusedOnEveryRoute walks the API's route table: every unsafe route,
// tried by every attack, answers 403 "cross_site" and changes nothing (no event published, no
// version, rule, message, read state or blob file changed); the same calls made as the host's own
// page does still work.
func TestCrossSiteRequestsAreRefusedOnEveryRoute(t *testing.T) {
	blobDir := t.TempDir()
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) { c.Blobs = oc.DirBlobStore{Dir: blobDir} })
	failed := e.failedSend(supA, e.convA.ID, "csrf-failed")
	self := strings.TrimSuffix(e.api.URL, "/")
	otherPort := httptest.NewServer(http.NotFoundHandler())
	defer otherPort.Close()

	before := e.csrfState(t, blobDir)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub := e.eng.Subscribe(ctx, oc.SubscribeOptions{})

	unsafe, cases := 0, 0
	for _, pattern := range inboxapi.RoutePatterns() {
		method, _, _ := strings.Cut(pattern, " ")
		if method == http.MethodGet || method == http.MethodHead {
			continue
		}
		unsafe++
		path := csrfPath(t, e, pattern, failed.ID)
		for _, a := range csrfAttacks {
			cases++
			var body []byte
			ct := ""
			switch a.contentType {
			case "form":
				body, ct = []byte("text=hi&status=done"), "application/x-www-form-urlencoded"
			case "text":
				body, ct = []byte(`{"text":"hi","idempotencyKey":"x"}`), "text/plain"
			case "multipart":
				body, ct = multipartBody(t, "file", "a.png", pngBytes(64))
			case "json":
				body, ct = []byte(`{}`), "application/json"
			}
			req, err := http.NewRequestWithContext(e.ctx, method, e.api.URL+"/api"+path, bytes.NewReader(body))
			require.NoError(t, err)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			switch a.origin {
			case "self":
				req.Header.Set("Origin", self)
			case "other-port":
				req.Header.Set("Origin", otherPort.URL)
			case "":
			default:
				req.Header.Set("Origin", a.origin)
			}
			if a.site != "" {
				req.Header.Set("Sec-Fetch-Site", a.site)
			}
			if a.token {
				req.Header.Set(inboxapi.CSRFHeader, "1")
			}
			req.Header.Set(userHeader, supA) // the victim's session
			r := e.do(req)
			if !assert.Equal(t, http.StatusForbidden, r.status, "%s %s: %s: %s", method, path, a.name, r.body) {
				continue
			}
			assert.Equal(t, "cross_site", r.apiErr(t).Code, "%s %s: %s", method, path, a.name)
		}
	}
	require.GreaterOrEqual(t, unsafe, 16, "the route table lost its unsafe routes")

	select {
	case ev := <-sub.C:
		t.Fatalf("a refused request published %s", ev.Kind)
	case <-time.After(50 * time.Millisecond):
	}
	assert.Equal(t, before, e.csrfState(t, blobDir), "a refused request changed something")
	t.Logf("cross-site cases: %d (%d unsafe routes × %d attacks)", cases, unsafe, len(csrfAttacks))

	// The host's page (same origin, the token or a JSON body) still gets through.
	for _, same := range []struct{ origin, site string }{{self, "same-origin"}, {self, ""}, {"", "same-origin"}, {"", ""}} {
		req := e.request("POST", "/conversations/"+e.convA.ID+"/read", supA, nil)
		if same.origin != "" {
			req.Header.Set("Origin", same.origin)
		}
		if same.site != "" {
			req.Header.Set("Sec-Fetch-Site", same.site)
		}
		assert.Equal(t, http.StatusNoContent, e.do(req).status, "%+v", same)
	}
	body, ct := multipartBody(t, "file", "a.png", pngBytes(64))
	up := e.request("POST", "/attachments", supA, nil)
	up.Body, up.ContentLength = readCloser{bytes.NewReader(body)}, int64(len(body))
	up.Header.Set("Content-Type", ct)
	up.Header.Set("Origin", self)
	up.Header.Set("Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusOK, e.do(up).status, "a same-origin upload with the token")
}

// Without AllowedOrigins or PublicURL an Origin must name the request's own Host; with them, only
// the configured origins pass, and New refuses what is not an origin.
func TestCrossSiteGuardOrigins(t *testing.T) {
	e := newEnv(t)
	noUser := inboxapi.AuthenticatorFunc(func(*http.Request) (*oc.User, error) { return nil, nil })
	serve := func(h http.Handler, host, origin, site string) int {
		req := httptest.NewRequest("POST", "http://"+host+"/conversations/x/done", nil)
		req.Header.Set(inboxapi.CSRFHeader, "1")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkRecorded(t, "POST", "/conversations/x/done", rec)
		return rec.Code
	}
	// 401 means the guard let the request through to authentication.
	byHost, err := inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: noUser})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, serve(byHost, "inbox.test", "http://inbox.test", "same-origin"))
	assert.Equal(t, http.StatusUnauthorized, serve(byHost, "inbox.test:8080", "http://INBOX.test:8080", ""))
	assert.Equal(t, http.StatusForbidden, serve(byHost, "inbox.test", "http://inbox.test:8081", ""))
	assert.Equal(t, http.StatusForbidden, serve(byHost, "inbox.test", "http://evil.test", "cross-site"))
	assert.Equal(t, http.StatusForbidden, serve(byHost, "inbox.test", "http://inbox.test", "same-site"))

	configured, err := inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: noUser,
		PublicURL: "https://crm.example/api", AllowedOrigins: []string{"https://app.crm.example"}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, serve(configured, "proxy.inbox.test:8080", "https://crm.example", "same-origin"), "PublicURL's origin")
	assert.Equal(t, http.StatusUnauthorized, serve(configured, "proxy.inbox.test:8080", "https://app.crm.example", "same-site"), "an allowed origin")
	assert.Equal(t, http.StatusForbidden, serve(configured, "evil.test", "http://evil.test", "same-origin"), "Origin equal to a forged Host")
	assert.Equal(t, http.StatusForbidden, serve(configured, "crm.example", "http://crm.example", ""), "another scheme")

	_, err = inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: noUser,
		AllowedOrigins: []string{"https://crm.example/app", "ftp://x", "*"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Config.AllowedOrigins")
}
