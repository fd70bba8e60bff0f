package inboxapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/dakenh/dakenh/internal/testlog"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

const (
	wsA = "ws-a"
	wsB = "ws-b"
	// accountA2 and accountB are the provider accounts of the second connections (the fake
	// provider's own account, fakechannel.AccountID, is workspace A's shared connection).
	accountA2 = "acc-a2"
	accountB  = "acc-b"
	// userHeader is how the tests' Authenticator learns the user: "workspace/user".
	userHeader = "X-Test-User"
)

// Users of the fixture, as "workspace/user" header values.
const (
	supA   = wsA + "/sup"
	agent1 = wsA + "/a1"
	agent2 = wsA + "/a2"
	supB   = wsB + "/supb"
	agentB = wsB + "/b1"
)

// testlog.Buffer collects the handler's and engine's logs.
// env is an engine over a memory store and the fake provider, with two workspaces:
//
//   - A: supervisor "sup", agents "a1" and "a2" (team "t1"); connection connA (the provider's
//     account) shared through the self-claim rule "r1" over a1 and a2; connection connA2 "only me"
//     for a1; conversation convA (customer "cust-a", waiting for a claim) and convA2 (customer
//     "cust-a2", a1's only-me account); categories, classifications and a template.
//   - B: supervisor "supb", agent "b1"; connection connB ("only me" for supb); conversation convB.
//
// The API is served under /api of a real HTTP server, as a host mounts it.
type env struct {
	t      *testing.T
	ctx    context.Context
	eng    *oc.Engine
	store  *memory.Store
	prov   *fakechannel.Provider
	api    *httptest.Server
	logs   *testlog.Buffer
	blobs  oc.BlobStore
	connA  *oc.Connection
	connA2 *oc.Connection
	connB  *oc.Connection
	convA  *oc.Conversation
	convA2 *oc.Conversation
	convB  *oc.Conversation
	// eventsDone receives one value each time a GET /events request returns.
	eventsDone chan struct{}
	// handler is the API handler the server mounts.
	handler *inboxapi.Handler
}

type envOption func(*oc.Config, *inboxapi.Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: memory.New(), prov: fakechannel.NewProvider("hook-secret-123"),
		logs: &testlog.Buffer{}, eventsDone: make(chan struct{}, 16)}
	t.Cleanup(e.prov.Close)
	ch, err := fakechannel.New(fakechannel.Config{Secret: e.prov.Secret(), BaseURL: e.prov.URL(), HTTPClient: e.prov.Client()})
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	logger := e.logs.Logger()
	e.blobs = oc.DirBlobStore{Dir: t.TempDir()}
	cfg := oc.Config{Store: e.store, Channels: []oc.Channel{ch}, Router: router, Blobs: e.blobs, Logger: logger,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Millisecond, MaxSendAttempts: 1}
	apiCfg := inboxapi.Config{Auth: inboxapi.AuthenticatorFunc(headerAuth), Logger: logger, MaxUploadBytes: 64 << 10,
		HeartbeatInterval: 50 * time.Millisecond, AfterConnect: "/settings"}
	for _, o := range opts {
		o(&cfg, &apiCfg)
	}
	e.eng, err = oc.New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	e.api = httptest.NewUnstartedServer(mux)
	t.Cleanup(e.api.Close)
	if apiCfg.PublicURL == "" {
		apiCfg.PublicURL = "http://" + e.api.Listener.Addr().String() + "/api"
	}
	apiCfg.Engine = e.eng
	api, err := inboxapi.New(apiCfg)
	require.NoError(t, err)
	e.handler = api

	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", e.eng.WebhookHandler()))
	stripped := http.StripPrefix("/api", api)
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stripped.ServeHTTP(w, r)
		if r.URL.Path == "/api/events" {
			e.eventsDone <- struct{}{}
		}
	}))
	e.api.Start()
	e.seed()
	return e
}

// headerAuth is the tests' Authenticator: the X-Test-User header names "workspace/user".
func headerAuth(r *http.Request) (*oc.User, error) {
	ws, id, ok := strings.Cut(r.Header.Get(userHeader), "/")
	if !ok || ws == "" || id == "" {
		return nil, errors.New("no user")
	}
	return &oc.User{WorkspaceID: ws, ID: id}, nil
}

func (e *env) seed() {
	t := e.t
	users := []*oc.User{
		{WorkspaceID: wsA, ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor},
		{WorkspaceID: wsA, ID: "a1", Name: "Nguyễn Minh", Role: oc.RoleAgent, TeamIDs: []string{"t1"}, AvatarURL: "https://img.example/a1.png"},
		{WorkspaceID: wsA, ID: "a2", Name: "Lê Hoa", Role: oc.RoleAgent, TeamIDs: []string{"t1"}},
		{WorkspaceID: wsB, ID: "supb", Name: "B Sup", Role: oc.RoleSupervisor},
		{WorkspaceID: wsB, ID: "b1", Name: "B Agent", Role: oc.RoleAgent},
	}
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, u := range users {
			u.Active = true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		for _, x := range []error{
			tx.PutTeam(&oc.Team{WorkspaceID: wsA, ID: "t1", Name: "Support", MemberIDs: []string{"a1", "a2"}, Method: oc.MethodRoundRobin}),
			tx.PutTeam(&oc.Team{WorkspaceID: wsB, ID: "tb", Name: "B team", MemberIDs: []string{"b1"}, Method: oc.MethodRoundRobin}),
			tx.PutCategory(&oc.Category{WorkspaceID: wsA, ID: "c1", Name: "Khiếu nại", Active: true, Position: 1}),
			tx.PutCategory(&oc.Category{WorkspaceID: wsA, ID: "c11", ParentID: "c1", Name: "Sai sản phẩm", Active: true, Position: 2}),
			tx.PutCategory(&oc.Category{WorkspaceID: wsA, ID: "c111", ParentID: "c11", Name: "Sai màu sản phẩm", Active: true, Position: 3}),
			tx.PutCategory(&oc.Category{WorkspaceID: wsB, ID: "cb", Name: "B cat", Active: true}),
			tx.PutClassification(&oc.Classification{WorkspaceID: wsA, ID: "cskh", Name: "CSKH", Active: true, Position: 1}),
			tx.PutClassification(&oc.Classification{WorkspaceID: wsA, ID: "spam", Name: "Spam", Active: true, Position: 2}),
			tx.PutClassification(&oc.Classification{WorkspaceID: wsB, ID: "clb", Name: "B class", Active: true}),
			tx.PutTemplate(&oc.Template{WorkspaceID: wsA, ID: "tpl1", Name: "Cảm ơn khách hàng", Body: "Cảm ơn {{customer_name}}!"}),
			tx.PutTemplate(&oc.Template{WorkspaceID: wsB, ID: "tplb", Name: "B template", Body: "B {{customer_name}}"}),
		} {
			if x != nil {
				return x
			}
		}
		return nil
	}))
	var err error
	c := e.prov.Connection()
	c.WorkspaceID = wsA
	e.connA, err = e.eng.AddConnection(e.ctx, "sup", *c)
	require.NoError(t, err)
	_, err = e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: wsA, ID: "r1", Name: "Tự nhận", SourceIDs: []string{e.connA.ID},
		UserIDs: []string{"a1", "a2"}, Method: oc.MethodClaim, OldPolicy: oc.PolicyNone})
	require.NoError(t, err)
	c2 := e.prov.Connection()
	c2.WorkspaceID, c2.ExternalID, c2.DisplayName, c2.OwnerID = wsA, accountA2, "Minh's shop", "a1"
	e.connA2, err = e.eng.AddConnection(e.ctx, "sup", *c2)
	require.NoError(t, err)
	cb := e.prov.Connection()
	cb.WorkspaceID, cb.ExternalID, cb.DisplayName = wsB, accountB, "B shop"
	e.connB, err = e.eng.AddConnection(e.ctx, "supb", *cb)
	require.NoError(t, err)

	e.inbound(fakechannel.AccountID, "cust-a", "m-a-1", "Shop ơi, áo còn size M không?")
	e.inbound(accountA2, "cust-a2", "m-a2-1", "Hello Minh")
	e.inbound(accountB, "cust-b", "m-b-1", "Hello B")
	e.convA = e.conversation(wsA, e.connA.ID, "cust-a")
	e.convA2 = e.conversation(wsA, e.connA2.ID, "cust-a2")
	e.convB = e.conversation(wsB, e.connB.ID, "cust-b")
}

// webhook posts a signed webhook and returns the status.
func (e *env) webhook(body []byte) int {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(e.prov.SignedWebhook(e.api.URL+"/webhooks/fake", body))
	require.NoError(e.t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// inbound delivers one customer message to account.
func (e *env) inbound(account, user, msgID, text string) {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: account, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: user, UserName: "Khách " + user, MessageID: msgID, Text: text},
	}}.JSON()))
}

func (e *env) conversation(ws, connID, user string) *oc.Conversation {
	e.t.Helper()
	var conv *oc.Conversation
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) error {
		id, err := tx.FindIdentity(ws, connID, user)
		if err != nil {
			return err
		}
		conv, err = tx.FindConversation(ws, connID, id.ID)
		return err
	}))
	return conv
}

func (e *env) reload(c *oc.Conversation) *oc.Conversation {
	e.t.Helper()
	var out *oc.Conversation
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		out, err = tx.GetConversation(c.WorkspaceID, c.ID)
		return err
	}))
	return out
}

// claim makes user (of workspace A) claim conv through the engine.
func (e *env) claim(user string, conv *oc.Conversation) {
	e.t.Helper()
	_, err := e.eng.Claim(e.ctx, conv.WorkspaceID, user, conv.ID)
	require.NoError(e.t, err)
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request builds a request to the API. body is nil, a string (sent as is) or a value (sent as JSON);
// user is a "workspace/user" value or "" for none.
func (e *env) request(method, path, user string, body any) *http.Request {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.api.URL+"/api"+path, rd)
	require.NoError(e.t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	req.Header.Set(inboxapi.CSRFHeader, "1") // as the host's front end does (csrf_test.go leaves it out)
	return req
}

// do sends req without following redirects and checks the answer against the OpenAPI description.
func (e *env) do(req *http.Request) response {
	e.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	out := response{status: resp.StatusCode, header: resp.Header, body: body}
	checkAPIResponse(e.t, req, out) // every answer must match the OpenAPI description
	return out
}

func (e *env) call(method, path, user string, body any) response {
	e.t.Helper()
	return e.do(e.request(method, path, user, body))
}

// decode unmarshals the body into v, requiring JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	require.Contains(t, r.header.Get("Content-Type"), "application/json", "body: %s", r.body)
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// apiErr decodes an error answer.
func (r response) apiErr(t *testing.T) inboxapi.ErrorDetail {
	t.Helper()
	var e inboxapi.ErrorResponse
	r.decode(t, &e)
	require.NotEmpty(t, e.Error.Code, "body: %s", r.body)
	require.NotEmpty(t, e.Error.Message, "body: %s", r.body)
	return e.Error
}

// requireError checks status and code of an error answer and returns it.
func (r response) requireError(t *testing.T, status int, code string) inboxapi.ErrorDetail {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	d := r.apiErr(t)
	require.Equal(t, code, d.Code, "body: %s", r.body)
	return d
}

// pngBytes is a tiny valid PNG header followed by padding (sniffed as image/png).
func pngBytes(n int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	for len(b) < n {
		b = append(b, 0)
	}
	return b
}
