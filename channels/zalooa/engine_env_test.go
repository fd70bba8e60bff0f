package zalooa_test

import (
	"context"
	"github.com/dakenh/dakenh/internal/testlog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

const ws = "ws-zalo"

// testClock is a clock that moves only when told.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// crm is the host CRM's customer directory: one customer with a known phone.
type crm struct{}

func (crm) FindByPhone(_ context.Context, workspaceID, phone string) (*oc.CRMCustomer, error) {
	if workspaceID == ws && phone == "+84912345678" {
		return &oc.CRMCustomer{ID: "crm-42", Name: "Nguyễn Thị Lan", Phone: phone, Email: "lan@example.vn"}, nil
	}
	return nil, oc.ErrNotFound
}

// engineEnv is an engine over a memory store with the Zalo adapter, the emulator and a real HTTP
// webhook endpoint at /webhooks/zalo.
type engineEnv struct {
	t      *testing.T
	ctx    context.Context
	emu    *zalotest.Server
	store  *memory.Store
	eng    *oc.Engine
	blobs  oc.DirBlobStore
	clock  *testClock
	logs   *testlog.Buffer
	hook   *httptest.Server
	conn   *oc.Connection
	hookTo string
	tweaks []func(*zalooa.Config)
}

func newEngineEnv(t *testing.T, o zalotest.Options, tweaks ...func(*zalooa.Config)) *engineEnv {
	t.Helper()
	e := &engineEnv{t: t, ctx: context.Background(), emu: newEmulator(t, o), store: memory.New(),
		blobs: oc.DirBlobStore{Dir: t.TempDir()}, clock: &testClock{}, logs: &testlog.Buffer{}, tweaks: tweaks}
	e.eng = e.newEngine(nil)
	e.hook = httptest.NewServer(http.StripPrefix("/webhooks", e.eng.WebhookHandler()))
	t.Cleanup(e.hook.Close)
	e.hookTo = e.hook.URL + "/webhooks/zalo"
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, u := range []*oc.User{
			{ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor},
			{ID: "a1", Name: "Minh", Role: oc.RoleAgent},
			{ID: "a2", Name: "Hoa", Role: oc.RoleAgent},
		} {
			u.WorkspaceID, u.Active = ws, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}))
	return e
}

// newEngine builds an engine over the shared store; transport, when set, wraps the adapter's HTTP
// transport (to count one engine's calls).
func (e *engineEnv) newEngine(transport func(http.RoundTripper) http.RoundTripper, opts ...func(*oc.Config)) *oc.Engine {
	e.t.Helper()
	logger := e.logs.Logger()
	cfg := e.emu.Config()
	cfg.Logger = logger
	cfg.Now = e.clock.Now
	for _, f := range e.tweaks {
		f(&cfg)
	}
	if transport != nil {
		hc := *cfg.HTTPClient
		hc.Transport = transport(hc.Transport)
		cfg.HTTPClient = &hc
	}
	ch, err := zalooa.New(cfg)
	require.NoError(e.t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(e.t, err)
	ocfg := oc.Config{Store: e.store, Channels: []oc.Channel{ch}, Router: router, Blobs: e.blobs, Directory: crm{},
		Logger: logger, Now: e.clock.Now, RetryBaseDelay: time.Second, RetryMaxDelay: time.Minute}
	for _, o := range opts {
		o(&ocfg)
	}
	eng, err := oc.New(ocfg)
	require.NoError(e.t, err)
	return eng
}

// connect adds the emulator's OA as a connection owned by sup ("only me").
func (e *engineEnv) connect() *oc.Connection {
	e.t.Helper()
	c := e.emu.Connection()
	c.WorkspaceID = ws
	conn, err := e.eng.AddConnection(e.ctx, "sup", *c)
	require.NoError(e.t, err)
	e.conn = conn
	e.drain() // the history sync queued by the connection (nothing to import yet)
	return conn
}

func (e *engineEnv) drain() {
	e.t.Helper()
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(e.t, err)
}

func (e *engineEnv) conversationOf(user string) *oc.Conversation {
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

func (e *engineEnv) thread(convID string) []*oc.Message {
	e.t.Helper()
	msgs, err := e.eng.Messages(e.ctx, ws, "sup", convID, 0, 500)
	require.NoError(e.t, err)
	return msgs
}

// messages returns the thread without activity entries.
func (e *engineEnv) messages(convID string) []*oc.Message {
	var out []*oc.Message
	for _, m := range e.thread(convID) {
		if m.Direction != oc.DirectionSystem {
			out = append(out, m)
		}
	}
	return out
}

func (e *engineEnv) message(id string) *oc.Message {
	e.t.Helper()
	var m *oc.Message
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		m, err = tx.GetMessage(ws, id)
		return err
	}))
	return m
}

func (e *engineEnv) connection() *oc.Connection {
	e.t.Helper()
	var c *oc.Connection
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		c, err = tx.GetConnection(ws, e.conn.ID)
		return err
	}))
	return c
}

func (e *engineEnv) setCredentials(f func(*oc.Credentials)) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		f(&c.Credentials)
		return tx.UpdateConnection(c)
	}))
}

// send queues an agent reply from sup.
func (e *engineEnv) send(conv *oc.Conversation, text, key string) *oc.Message {
	e.t.Helper()
	m, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: text, IdempotencyKey: key})
	require.NoError(e.t, err)
	return m
}

// countingTransport counts the requests one engine's adapter makes.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}
