package firstweek_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/internal/testlog"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

const (
	ws = "ws-shop"
	// userHeader names the user of an API request (the tests' Authenticator).
	userHeader = "X-Test-User"
)

// The team of the fixture: a supervisor, two care agents (team "care", rule "r-care") and a sales
// agent (team "sales").
const (
	sup    = "hoa"
	care1  = "minh"
	care2  = "bao"
	sales1 = "thu"
)

// emulators are the provider platforms, shared by every engine of a test (as the real providers
// are shared by every engine process).
type emulators struct {
	tiktok *tiktoktest.Server
	zalo   *zalotest.Server
	crm    *crm
}

func newEmulators(t *testing.T) *emulators {
	e := &emulators{
		tiktok: tiktoktest.New(tiktoktest.Options{BusinessName: "Shop Hoa Mai"}),
		zalo:   zalotest.New(zalotest.Options{OAName: "Shop Hoa Mai — Zalo OA"}),
		crm:    newCRM(),
	}
	t.Cleanup(e.tiktok.Close)
	t.Cleanup(e.zalo.Close)
	return e
}

// stack is one engine process: the engine over a Store, its webhook endpoint and the agent API,
// each on its own loopback server.
type stack struct {
	t    *testing.T
	ctx  context.Context
	emu  *emulators
	st   oc.Store
	eng  *oc.Engine
	hook *httptest.Server
	api  *httptest.Server
	logs *testlog.Buffer
}

// newStack starts an engine over st with the TikTok and Zalo adapters pointed at emu. When seed is
// true it also creates the fixture's users, teams and rule (the first engine of a database).
func newStack(t *testing.T, st oc.Store, emu *emulators, seed bool) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), emu: emu, st: st, logs: &testlog.Buffer{}}
	tt, err := tiktok.New(emu.tiktok.Config())
	require.NoError(t, err)
	z, err := zalooa.New(emu.zalo.Config())
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	s.eng, err = oc.New(oc.Config{Store: st, Channels: []oc.Channel{tt, z}, Router: router,
		Blobs: oc.DirBlobStore{Dir: filepath.Join(t.TempDir(), "blobs")}, Directory: emu.crm, Interactions: emu.crm,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, Logger: s.logs.Logger()})
	require.NoError(t, err)
	mux := http.NewServeMux()
	s.api = httptest.NewServer(mux)
	t.Cleanup(s.api.Close)
	api, err := inboxapi.New(inboxapi.Config{Engine: s.eng, Auth: inboxapi.AuthenticatorFunc(s.authenticate),
		Logger: s.logs.Logger(), AfterConnect: "/settings", PublicURL: s.api.URL + "/api"})
	require.NoError(t, err)
	mux.Handle("/api/", http.StripPrefix("/api", api))
	s.hook = httptest.NewServer(http.StripPrefix("/webhooks", s.eng.WebhookHandler()))
	t.Cleanup(s.hook.Close)
	if seed {
		s.seed()
	}
	return s
}

// authenticate is the host's session check: the user named by the X-Test-User header.
func (s *stack) authenticate(r *http.Request) (*oc.User, error) {
	var u *oc.User
	err := s.st.View(r.Context(), func(tx oc.Tx) (err error) {
		u, err = tx.GetUser(ws, r.Header.Get(userHeader))
		return err
	})
	if err != nil {
		return nil, errors.New("no such user")
	}
	return u, nil
}

func (s *stack) seed() {
	s.t.Helper()
	users := []*oc.User{
		{ID: sup, Name: "Trần Thị Hoa", Role: oc.RoleSupervisor},
		{ID: care1, Name: "Nguyễn Văn Minh", Role: oc.RoleAgent},
		{ID: care2, Name: "Phạm Quốc Bảo", Role: oc.RoleAgent},
		{ID: sales1, Name: "Lê Thị Thu", Role: oc.RoleAgent},
	}
	require.NoError(s.t, s.st.Update(s.ctx, func(tx oc.Tx) error {
		for _, u := range users {
			u.WorkspaceID, u.Active = ws, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		for _, tm := range []*oc.Team{
			{WorkspaceID: ws, ID: "care", Name: "Chăm sóc khách hàng", MemberIDs: []string{care1, care2}, Method: oc.MethodRoundRobin},
			{WorkspaceID: ws, ID: "sales", Name: "Bán hàng", MemberIDs: []string{sales1}, Method: oc.MethodRoundRobin},
		} {
			if err := tx.PutTeam(tm); err != nil {
				return err
			}
		}
		if err := tx.PutTemplate(&oc.Template{WorkspaceID: ws, ID: "greet", Name: "Chào",
			Body: "Dạ em chào {{customer_name}}, em là {{agent_name}} của shop ạ."}); err != nil {
			return err
		}
		for i, c := range []*oc.Category{
			{ID: "sales", Name: "Bán hàng"}, {ID: "price", ParentID: "sales", Name: "Hỏi giá"},
			{ID: "complaint", Name: "Khiếu nại"},
		} {
			c.WorkspaceID, c.Active, c.Position = ws, true, i
			if err := tx.PutCategory(c); err != nil {
				return err
			}
		}
		return nil
	}))
	s.saveRule(oc.PolicyNone)
}

// saveRule (re)defines rule "r-care": round-robin over the care agents with the given
// old-conversation policy, keeping its sources.
func (s *stack) saveRule(p oc.OldConversationPolicy) {
	s.t.Helper()
	var sources []string
	_ = s.st.View(s.ctx, func(tx oc.Tx) error {
		if r, err := tx.GetRule(ws, "r-care"); err == nil {
			sources = r.SourceIDs
		}
		return nil
	})
	_, err := s.eng.SaveRule(s.ctx, sup, oc.Rule{WorkspaceID: ws, ID: "r-care", Name: "CSKH", SourceIDs: sources,
		UserIDs: []string{care1, care2}, Method: oc.MethodRoundRobin, OldPolicy: p})
	require.NoError(s.t, err)
}

// addConnection connects the emulator's account of kind directly (provisioned tokens), shared
// through rule r-care. It returns the connection id. The history sync it queues runs at the next
// drain.
func (s *stack) addConnection(kind oc.Kind) string {
	s.t.Helper()
	var c *oc.Connection
	switch kind {
	case tiktok.Kind:
		c = s.emu.tiktok.Connection()
	case zalooa.Kind:
		c = s.emu.zalo.Connection()
	}
	c.WorkspaceID, c.Permission, c.RuleID = ws, oc.PermissionShared, "r-care"
	out, err := s.eng.AddConnection(s.ctx, sup, *c)
	require.NoError(s.t, err)
	return out.ID
}

// connectTikTok runs "Thêm kết nối" for TikTok through the agent API as the supervisor: start,
// the account owner's consent on the emulator's page, the callback. It returns the connection id
// the callback reports.
func (s *stack) connectTikTok() string {
	s.t.Helper()
	var start inboxapi.ConnectURL
	s.call(http.MethodPost, sup, "/connections/tiktok/connect",
		inboxapi.ConnectRequest{Permission: "shared", RuleID: "r-care"}, &start, http.StatusOK)
	q, err := s.emu.tiktok.Consent(s.ctx, start.URL)
	require.NoError(s.t, err)
	req, err := http.NewRequest(http.MethodGet, s.api.URL+"/api/connect/callback/tiktok?"+q.Encode(), nil)
	require.NoError(s.t, err)
	req.Header.Set(userHeader, sup)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	require.NoError(s.t, err)
	resp.Body.Close()
	require.Equal(s.t, http.StatusSeeOther, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(s.t, err)
	require.Empty(s.t, back.Query().Get("connect_error"), "connect flow: %s", back)
	id := back.Query().Get("connected")
	require.NotEmpty(s.t, id, "connect flow: %s", back)
	return id
}

// call sends an API request as user with body encoded as JSON (nil: none), requires the status
// want and decodes the answer into out (nil: ignored).
func (s *stack) call(method, user, path string, body, out any, want int) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(s.ctx, method, s.api.URL+"/api"+path, rd)
	require.NoError(s.t, err)
	req.Header.Set(userHeader, user)
	req.Header.Set(inboxapi.CSRFHeader, "1") // as the host's own front end sends it
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	require.Equal(s.t, want, resp.StatusCode, "%s %s as %s: %s", method, path, user, raw)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(raw, out), "%s %s: %s", method, path, raw)
	}
}

// list returns the conversations user sees with the query string query ("" for all).
func (s *stack) list(user, query string) []inboxapi.Conversation {
	s.t.Helper()
	var out inboxapi.ConversationList
	path := "/conversations?limit=200"
	if query != "" {
		path += "&" + query
	}
	s.call(http.MethodGet, user, path, nil, &out, http.StatusOK)
	return out.Items
}

// conversation returns conversation id as user sees it.
func (s *stack) conversation(user, id string) inboxapi.Conversation {
	s.t.Helper()
	var out inboxapi.ConversationResponse
	s.call(http.MethodGet, user, "/conversations/"+id, nil, &out, http.StatusOK)
	return out.Conversation
}

// thread returns the entries of conversation id, oldest first.
func (s *stack) thread(user, id string) []inboxapi.Message {
	s.t.Helper()
	var out inboxapi.MessageList
	s.call(http.MethodGet, user, "/conversations/"+id+"/messages?limit=200", nil, &out, http.StatusOK)
	return out.Items
}

// connections returns the workspace's connections as the supervisor sees them.
func (s *stack) connections() []inboxapi.Connection {
	s.t.Helper()
	var out inboxapi.ConnectionList
	s.call(http.MethodGet, sup, "/connections", nil, &out, http.StatusOK)
	return out.Items
}

// webhookURL is this engine's webhook endpoint for kind.
func (s *stack) webhookURL(kind oc.Kind) string { return s.hook.URL + "/webhooks/" + string(kind) }

// drain runs the engine's due background jobs (history sync, CRM linking, profile fetches, media
// copies, sends and their short retries) until none is left.
func (s *stack) drain() {
	s.t.Helper()
	for round := 0; round < 100; round++ {
		n, err := s.eng.RunDue(s.ctx)
		require.NoError(s.t, err)
		if n == 0 {
			if round > 0 {
				return
			}
			// A retry may be due a few milliseconds later (RetryMaxDelay).
			time.Sleep(10 * time.Millisecond)
			if n, err = s.eng.RunDue(s.ctx); err == nil && n == 0 {
				return
			}
			require.NoError(s.t, err)
		}
		time.Sleep(6 * time.Millisecond)
	}
	s.t.Fatal("background jobs never settled")
}

// byContact returns the conversations of the list whose contact name is name.
func byContact(list []inboxapi.Conversation, name string) []inboxapi.Conversation {
	var out []inboxapi.Conversation
	for _, c := range list {
		if c.ContactName == name {
			out = append(out, c)
		}
	}
	return out
}

// only returns the one conversation of the list with contact name, failing t otherwise.
func only(t *testing.T, list []inboxapi.Conversation, name string) inboxapi.Conversation {
	t.Helper()
	got := byContact(list, name)
	require.Len(t, got, 1, "conversations of %q in %v", name, names(list))
	return got[0]
}

func names(list []inboxapi.Conversation) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.ContactName)
	}
	return out
}

// texts returns the texts of the customer and agent messages of a thread, in order.
func texts(msgs []inboxapi.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Direction != "system" {
			out = append(out, m.Direction+": "+m.Text)
		}
	}
	return out
}

// crm is the host CRM: customers by phone, and their calls and orders.
type crm struct {
	mu        sync.Mutex
	customers map[string]*oc.CRMCustomer
}

func newCRM() *crm {
	return &crm{customers: map[string]*oc.CRMCustomer{
		"+84912345678": {ID: "crm-001", Name: "Nguyễn Văn An", Phone: "+84912345678", Email: "an@example.vn"},
	}}
}

// FindByPhone implements omnichannel.Directory.
func (c *crm) FindByPhone(_ context.Context, workspaceID, phone string) (*oc.CRMCustomer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cust, ok := c.customers[phone]; ok && workspaceID == ws {
		cp := *cust
		return &cp, nil
	}
	return nil, oc.ErrNotFound
}

// Interactions implements omnichannel.InteractionSource: one order for crm-001.
func (c *crm) Interactions(_ context.Context, _, crmID string) ([]oc.Interaction, error) {
	if crmID != "crm-001" {
		return nil, nil
	}
	return []oc.Interaction{{Kind: "transaction", Title: "Đơn hàng #1001", At: time.Now().Add(-24 * time.Hour)}}, nil
}

// uniq names a customer or a text uniquely within a test run.
func uniq(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }
