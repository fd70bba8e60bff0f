package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/postgres"
)

const engineWS = "ws-multi"

// process is one engine process: its own Store over the shared schema, its own adapter, its own
// webhook endpoint, and a subscriber recording every event it publishes.
type process struct {
	name   string
	store  *postgres.Store
	engine *omnichannel.Engine
	hook   *httptest.Server
	seen   *eventLog
}

// eventLog is what one engine's subscriber saw, keyed by kind and record.
type eventLog struct {
	mu     sync.Mutex
	keys   map[string]bool
	lagged bool
}

func eventKey(ev omnichannel.Event) string {
	return fmt.Sprintf("%s|%s|%s|%s", ev.Kind, ev.ConversationID, ev.MessageID, ev.ConnectionID)
}

// byMessage returns, per message id, the kinds of the events about it.
func (l *eventLog) byMessage() map[string]map[omnichannel.EventKind]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]map[omnichannel.EventKind]bool{}
	for k := range l.keys {
		parts := strings.Split(k, "|")
		if parts[2] == "" {
			continue
		}
		if out[parts[2]] == nil {
			out[parts[2]] = map[omnichannel.EventKind]bool{}
		}
		out[parts[2]][omnichannel.EventKind(parts[0])] = true
	}
	return out
}

func (l *eventLog) snapshot() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.keys))
	for k := range l.keys {
		out[k] = true
	}
	return out
}

func startProcess(t *testing.T, ctx context.Context, wg *sync.WaitGroup, name, schema string, prov *fakechannel.Provider) *process {
	t.Helper()
	st := openStore(t, schema, func(c *postgres.Config) { c.MaxConns = 12 })
	ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	eng, err := omnichannel.New(omnichannel.Config{
		Store: st, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs:  omnichannel.DirBlobStore{Dir: t.TempDir()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Fast retries: a send that lost a race with a token refresh is retried at once.
		RetryBaseDelay: 20 * time.Millisecond, RetryMaxDelay: 200 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	p := &process{name: name, store: st, engine: eng, seen: &eventLog{keys: map[string]bool{}}}
	p.hook = httptest.NewServer(eng.WebhookHandler())
	t.Cleanup(p.hook.Close)

	sub := eng.Subscribe(ctx, omnichannel.SubscribeOptions{WorkspaceID: engineWS, Buffer: 1 << 16})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for ev := range sub.C {
			p.seen.mu.Lock()
			p.seen.keys[eventKey(ev)] = true
			p.seen.lagged = p.seen.lagged || sub.Lagged()
			p.seen.mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		assert.NoError(t, eng.Run(ctx))
	}()
	return p
}

// TestTwoEnginesShareOneDatabase runs two engine processes over one PostgreSQL schema, feeds them
// 2,000 signed webhooks split between them, has agents reply through both while the provider
// expires the access token, and checks: 2,000 messages stored exactly once, a round-robin spread
// within one conversation per agent, every event seen by the subscribers of both engines, every
// reply sent exactly once, and one token refresh.
func TestTwoEnginesShareOneDatabase(t *testing.T) {
	const (
		webhooks  = 2000
		customers = 250
		replies   = 120
		feeders   = 8
	)
	agents := []string{"a1", "a2", "a3", "a4", "a5"}
	schema := newSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })

	prov := fakechannel.NewProvider("multi-engine-secret")
	t.Cleanup(prov.Close)
	a := startProcess(t, ctx, &wg, "A", schema, prov)
	b := startProcess(t, ctx, &wg, "B", schema, prov)
	procs := []*process{a, b}
	require.Eventually(t, func() bool { return postgres.Listeners(a.store) == 1 && postgres.Listeners(b.store) == 1 },
		10*time.Second, 10*time.Millisecond, "both engines listen for each other's events")

	// The workspace: a supervisor, five agents, the fake account shared by a round-robin rule.
	require.NoError(t, a.store.Update(ctx, func(tx omnichannel.Tx) error {
		users := []*omnichannel.User{{ID: "sup", Name: "Giám sát", Role: omnichannel.RoleSupervisor}}
		for _, id := range agents {
			users = append(users, &omnichannel.User{ID: id, Name: "Agent " + id, Role: omnichannel.RoleAgent})
		}
		for _, u := range users {
			u.WorkspaceID, u.Active = engineWS, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}))
	c := prov.Connection()
	c.WorkspaceID = engineWS
	conn, err := a.engine.AddConnection(ctx, "sup", *c)
	require.NoError(t, err)
	_, err = b.engine.SaveRule(ctx, "sup", omnichannel.Rule{WorkspaceID: engineWS, ID: "r1", Name: "Bán hàng",
		SourceIDs: []string{conn.ID}, UserIDs: agents, Method: omnichannel.MethodRoundRobin, OldPolicy: omnichannel.PolicyNone})
	require.NoError(t, err)

	// 2,000 signed webhooks, alternately to each engine, from eight concurrent senders.
	start := time.Now()
	var feed sync.WaitGroup
	statuses := make([]int, webhooks)
	for f := range feeders {
		feed.Add(1)
		go func() {
			defer feed.Done()
			for i := f; i < webhooks; i += feeders {
				body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{
					Type: "message", Direction: "in", UserID: fmt.Sprintf("cust-%03d", i%customers),
					UserName: fmt.Sprintf("Khách %03d", i%customers), MessageID: fmt.Sprintf("pm-in-%04d", i),
					Text: fmt.Sprintf("tin nhắn %d", i),
				}}}.JSON()
				req := prov.SignedWebhook(procs[i%2].hook.URL+"/"+string(fakechannel.Kind), body)
				resp, err := http.DefaultClient.Do(req.WithContext(ctx))
				if err != nil {
					t.Errorf("webhook %d: %v", i, err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}
		}()
	}
	feed.Wait()
	ingest := time.Since(start)
	for i, code := range statuses {
		require.Equal(t, http.StatusOK, code, "webhook %d", i)
	}
	t.Logf("ingested %d webhooks through two engines in %v (%.0f/s)", webhooks, ingest.Round(time.Millisecond),
		float64(webhooks)/ingest.Seconds())

	// Exactly 2,000 customer messages, each once.
	db, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer db.Close(context.Background())
	var inbound, distinct int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*), count(DISTINCT provider_message_id) FROM `+schema+
		`.messages WHERE workspace_id = $1 AND direction = 'in'`, engineWS).Scan(&inbound, &distinct))
	assert.Equal(t, webhooks, inbound, "inbound messages stored")
	assert.Equal(t, webhooks, distinct, "each provider message stored once")

	// Round-robin: 250 conversations over 5 agents, 50 each give or take one.
	var counts map[string]int
	require.NoError(t, a.store.View(ctx, func(tx omnichannel.Tx) (err error) {
		counts, err = tx.CountOpenAssigned(engineWS, agents)
		return err
	}))
	total := 0
	for _, id := range agents {
		total += counts[id]
		assert.InDelta(t, customers/len(agents), counts[id], 1, "agent %s has %d conversations", id, counts[id])
	}
	assert.Equal(t, customers, total, "every conversation is assigned")

	// The provider expires the access token; agents reply through both engines, and each reply is
	// also retried once through the other engine with the same idempotency key.
	prov.ExpireAccessToken()
	var convs []*omnichannel.Conversation
	require.NoError(t, a.store.View(ctx, func(tx omnichannel.Tx) (err error) {
		convs, err = tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: engineWS, Limit: replies})
		return err
	}))
	require.Len(t, convs, replies)
	outIDs := make([]string, replies)
	var send sync.WaitGroup
	for i, conv := range convs {
		send.Add(1)
		go func() {
			defer send.Done()
			params := omnichannel.SendParams{WorkspaceID: engineWS, ConversationID: conv.ID, UserID: conv.AssigneeID,
				Text: fmt.Sprintf("trả lời %03d", i), IdempotencyKey: fmt.Sprintf("reply-%03d", i)}
			first, err := procs[i%2].engine.Send(ctx, params)
			if !assert.NoError(t, err, "reply %d", i) {
				return
			}
			again, err := procs[(i+1)%2].engine.Send(ctx, params)
			if assert.NoError(t, err, "retried reply %d", i) {
				assert.Equal(t, first.ID, again.ID, "the retry returns the first message")
			}
			outIDs[i] = first.ID
		}()
	}
	send.Wait()

	delivered := func() bool {
		n := 0
		err := a.store.View(ctx, func(tx omnichannel.Tx) error {
			for i, id := range outIDs {
				m, err := tx.GetMessage(engineWS, id)
				if err != nil {
					return err
				}
				if m.Status == omnichannel.MessageSent {
					n++
				} else if m.Status == omnichannel.MessageFailed {
					return fmt.Errorf("reply %d failed: %s", i, m.FailureReason)
				}
			}
			return nil
		})
		require.NoError(t, err)
		return n == replies
	}
	require.Eventually(t, delivered, 60*time.Second, 50*time.Millisecond, "every reply is sent")
	sentTexts := map[string]int{}
	for _, m := range prov.Sent() {
		sentTexts[m.Text]++
	}
	assert.Len(t, sentTexts, replies, "the provider got every reply")
	for text, n := range sentTexts {
		assert.Equal(t, 1, n, "%q reached the provider %d times", text, n)
	}
	refreshes := 0
	for _, r := range prov.Requests() {
		if r.Path == "/token" {
			refreshes++
		}
	}
	assert.Equal(t, 1, refreshes, "one token refresh for both engines")

	// Every event committed by either engine reaches the subscribers of both: the two logs converge
	// to the same set, which holds a message.created event for every stored message and a
	// message.updated event for every reply.
	converged := func() bool {
		sa, sb := a.seen.snapshot(), b.seen.snapshot()
		if len(sa) != len(sb) {
			return false
		}
		for k := range sa {
			if !sb[k] {
				return false
			}
		}
		return true
	}
	assert.Eventually(t, converged, 20*time.Second, 50*time.Millisecond, "both engines' subscribers saw the same events")
	rows, err := db.Query(ctx, `SELECT id FROM `+schema+`.messages WHERE workspace_id = $1 AND direction <> 'system'`, engineWS)
	require.NoError(t, err)
	messageIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Len(t, messageIDs, webhooks+replies)
	for _, p := range procs {
		kinds := p.seen.byMessage()
		t.Logf("engine %s: its subscriber saw %d distinct events", p.name, len(p.seen.snapshot()))
		missing := 0
		for _, id := range messageIDs {
			if !kinds[id][omnichannel.EventMessageCreated] {
				missing++
			}
		}
		assert.Zero(t, missing, "engine %s: messages without a message.created event", p.name)
		for _, id := range outIDs {
			assert.True(t, kinds[id][omnichannel.EventMessageUpdated], "engine %s: reply %s has no message.updated event", p.name, id)
		}
		p.seen.mu.Lock()
		assert.False(t, p.seen.lagged, "engine %s's subscriber fell behind", p.name)
		p.seen.mu.Unlock()
	}
}
