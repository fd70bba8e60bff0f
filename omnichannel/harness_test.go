package omnichannel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dakenh/dakenh/internal/testlog"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

const ws = "ws-1"

// clock is a test clock that moves only when told.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// testlog.Buffer captures the engine's logs so tests can assert what never appears in them.
// env is one engine over a memory store, a fake provider and a real HTTP webhook endpoint.
type env struct {
	t     *testing.T
	ctx   context.Context
	eng   *oc.Engine
	store *memory.Store
	prov  *fakechannel.Provider
	hook  *httptest.Server
	conn  *oc.Connection
	clock *clock
	logs  *testlog.Buffer
	dir   *directory
}

type envOption func(*oc.Config, *env)

func withChannel(wrap func(*fakechannel.Channel) oc.Channel) envOption {
	return func(c *oc.Config, _ *env) { c.Channels = []oc.Channel{wrap(c.Channels[0].(*fakechannel.Channel))} }
}

// newEnv builds the engine with a supervisor "sup", agents a1…a7 (team "t1": a1–a3), and a fake
// connection owned by sup. The connection is shared through rule "r1" (round-robin over a1…a7) unless
// a test changes it.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: memory.New(), prov: fakechannel.NewProvider("hook-secret-123"),
		clock: &clock{}, logs: &testlog.Buffer{}, dir: newDirectory()}
	t.Cleanup(e.prov.Close)
	ch, err := fakechannel.New(fakechannel.Config{Secret: e.prov.Secret(), BaseURL: e.prov.URL(), HTTPClient: e.prov.Client()})
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	cfg := oc.Config{
		Store: e.store, Channels: []oc.Channel{ch}, Router: router, Blobs: oc.DirBlobStore{Dir: t.TempDir()},
		Directory: e.dir, Interactions: e.dir, Now: e.clock.Now, RetryBaseDelay: time.Second, RetryMaxDelay: time.Minute,
		Logger: e.logs.Logger(),
	}
	for _, o := range opts {
		o(&cfg, e)
	}
	e.eng, err = oc.New(cfg)
	require.NoError(t, err)
	e.hook = httptest.NewServer(http.StripPrefix("/webhooks", e.eng.WebhookHandler()))
	t.Cleanup(e.hook.Close)

	users := []*oc.User{{ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor}}
	for i := 1; i <= 7; i++ {
		users = append(users, &oc.User{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("Agent %d", i), Role: oc.RoleAgent})
	}
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, u := range users {
			u.WorkspaceID, u.Active = ws, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return tx.PutTeam(&oc.Team{WorkspaceID: ws, ID: "t1", Name: "Support", MemberIDs: []string{"a1", "a2", "a3"}, Method: oc.MethodRoundRobin})
	}))
	c := e.prov.Connection()
	c.WorkspaceID = ws
	e.conn, err = e.eng.AddConnection(e.ctx, "sup", *c)
	require.NoError(t, err)
	e.setRule(oc.MethodRoundRobin, oc.PolicyNone, "a1", "a2", "a3", "a4", "a5", "a6", "a7")
	return e
}

func (e *env) setRule(m oc.AssignMethod, p oc.OldConversationPolicy, users ...string) *oc.Rule {
	e.t.Helper()
	r, err := e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, ID: "r1", Name: "Sales", SourceIDs: []string{e.conn.ID},
		UserIDs: users, Method: m, OldPolicy: p})
	require.NoError(e.t, err)
	return r
}

// post delivers a signed webhook and returns the status code.
func (e *env) post(body []byte) int {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(e.prov.SignedWebhook(e.hook.URL+"/webhooks/fake", body))
	require.NoError(e.t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) message(user, msgID, text string) []byte {
	return fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: user, UserName: "Khách " + user, MessageID: msgID, Text: text},
	}}.JSON()
}

// inbound posts one customer message and requires 200.
func (e *env) inbound(user, msgID, text string) {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, e.post(e.message(user, msgID, text)))
}

func (e *env) conversationOf(user string) *oc.Conversation {
	e.t.Helper()
	var conv *oc.Conversation
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) error {
		id, err := tx.FindIdentity(ws, e.conn.ID, user)
		if err != nil {
			return err
		}
		conv, err = tx.FindConversation(ws, e.conn.ID, id.ID)
		return err
	}))
	return conv
}

func (e *env) thread(convID string) []*oc.Message {
	e.t.Helper()
	msgs, err := e.eng.Messages(e.ctx, ws, "sup", convID, 0, 500)
	require.NoError(e.t, err)
	return msgs
}

// drain runs every due job (advancing the clock past backoffs up to rounds times).
func (e *env) drain() {
	e.t.Helper()
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(e.t, err)
}

// directory is a fake host CRM: customers by phone, and their calls.
type directory struct {
	mu        sync.Mutex
	customers map[string]*oc.CRMCustomer
}

func newDirectory() *directory {
	return &directory{customers: map[string]*oc.CRMCustomer{
		"+84912345678": {ID: "crm-42", Name: "Nguyễn Thị Lan", Email: "lan@example.vn", Phone: "+84912345678"},
	}}
}

func (d *directory) FindByPhone(_ context.Context, workspaceID, phone string) (*oc.CRMCustomer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.customers[phone]; ok && workspaceID == ws {
		cp := *c
		return &cp, nil
	}
	return nil, oc.ErrNotFound
}

func (d *directory) Interactions(_ context.Context, _, crmID string) ([]oc.Interaction, error) {
	if crmID != "crm-42" {
		return nil, nil
	}
	return []oc.Interaction{
		{Kind: "call", Title: "Cuộc gọi đến", At: time.Now().Add(-48 * time.Hour)},
		{Kind: "transaction", Title: "Đơn hàng #1001", At: time.Now().Add(-24 * time.Hour)},
	}, nil
}
