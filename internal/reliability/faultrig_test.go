package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// Engine timing of the fault suite: fast backoff so bounded retries finish in seconds, and a job
// lease whose half (the engine's provider-call timeout) makes a held request time out quickly.
const (
	faultRetryBase = 40 * time.Millisecond
	faultJobLease  = time.Second
	faultWS        = "ws-faults"
	faultSup       = "sup"
)

// skipClock is the engine's clock: real time plus an offset the test moves forward to skip a
// provider's long retry hint (Zalo's -32 asks for 30 s) after checking the engine honoured it.
type skipClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *skipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *skipClock) skip(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// faultRig is the engine in process, with the real Zalo OA and TikTok adapters pointed at the
// emulators, its webhook endpoint on loopback, and one connection per provider.
type faultRig struct {
	t      *testing.T
	ctx    context.Context
	clock  *skipClock
	zalo   *zalotest.Server
	tiktok *tiktoktest.Server
	store  omnichannel.Store
	engine *omnichannel.Engine
	hook   string
	conn   map[string]string // kind → connection id
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &faultRig{t: t, ctx: ctx, clock: &skipClock{}, store: memory.New(), conn: map[string]string{}}
	r.zalo = zalotest.New(zalotest.Options{})
	r.tiktok = tiktoktest.New(tiktoktest.Options{NoReplyLimits: true})
	za, err := zalooa.New(r.zalo.Config())
	if err != nil {
		t.Fatal(err)
	}
	ta, err := tiktok.New(r.tiktok.Config())
	if err != nil {
		t.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.engine, err = omnichannel.New(omnichannel.Config{
		Store: r.store, Channels: []omnichannel.Channel{za, ta}, Router: router,
		Blobs:  omnichannel.DirBlobStore{Dir: t.TempDir()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: r.clock.Now,
		RetryBaseDelay: faultRetryBase, RetryMaxDelay: 5 * time.Second, JobLease: faultJobLease,
		PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = r.store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: faultWS, ID: faultSup, Name: "Supervisor", Role: omnichannel.RoleSupervisor, Active: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.engine.WebhookHandler())
	r.hook = srv.URL + "/"
	for kind, c := range map[string]*omnichannel.Connection{"zalo": r.zalo.Connection(), "tiktok": r.tiktok.Connection()} {
		c.WorkspaceID, c.OwnerID = faultWS, faultSup
		saved, err := r.engine.AddConnection(ctx, faultSup, *c)
		if err != nil {
			t.Fatal(err)
		}
		r.conn[kind] = saved.ID
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.engine.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
		r.zalo.Close()
		r.tiktok.Close()
		r.store.Close()
	})
	return r
}

// customerSays posts a customer's text through the provider's emulator (a signed webhook) and
// returns the conversation it landed in.
func (r *faultRig) customerSays(kind, user, text string) string {
	r.t.Helper()
	var err error
	if kind == "zalo" {
		_, err = r.zalo.CustomerSays(r.ctx, r.hook+"zalo", user, "Khách "+user, text)
	} else {
		_, err = r.tiktok.CustomerSays(r.ctx, r.hook+"tiktok", user, "Khách "+user, text)
	}
	if err != nil {
		r.t.Fatalf("%s webhook: %v", kind, err)
	}
	return r.conversationOf(kind, user)
}

// conversationOf returns the conversation with the provider user, failing when there is none.
func (r *faultRig) conversationOf(kind, user string) string {
	r.t.Helper()
	var id string
	external := user
	if kind == "tiktok" {
		external = r.tiktok.ConversationID(user) // TikTok threads are keyed by conversation id
	}
	err := r.store.View(r.ctx, func(tx omnichannel.Tx) error {
		ident, err := tx.FindIdentity(faultWS, r.conn[kind], external)
		if err != nil {
			return err
		}
		c, err := tx.FindConversation(faultWS, r.conn[kind], ident.ID)
		if err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	if err != nil {
		r.t.Fatalf("conversation of %s user %s: %v", kind, user, err)
	}
	return id
}

// send queues an agent reply whose text is also its idempotency key.
func (r *faultRig) send(conversationID, text string) *omnichannel.Message {
	r.t.Helper()
	m, err := r.engine.Send(r.ctx, omnichannel.SendParams{WorkspaceID: faultWS, ConversationID: conversationID,
		UserID: faultSup, Text: text, IdempotencyKey: text})
	if err != nil {
		r.t.Fatalf("send %q: %v", text, err)
	}
	return m
}

func (r *faultRig) message(id string) *omnichannel.Message {
	r.t.Helper()
	var m *omnichannel.Message
	err := r.store.View(r.ctx, func(tx omnichannel.Tx) (err error) {
		m, err = tx.GetMessage(faultWS, id)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *faultRig) connection(kind string) *omnichannel.Connection {
	r.t.Helper()
	var c *omnichannel.Connection
	err := r.store.View(r.ctx, func(tx omnichannel.Tx) (err error) {
		c, err = tx.GetConnection(faultWS, r.conn[kind])
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// settle waits until none of the messages is pending or sending. When hint > 0 (the provider
// asked to wait that long), retries are skipped by moving the engine's clock forward by hint, but
// only while no message is in flight (every unfinished one waits for its retry), so no job lease
// expires under a running call. With one message, each retry is first watched for 250 ms — longer
// than the engine's own backoff for the first attempts — to check no call of kind goes out early.
// settle returns how many retries waited for the hint.
func (r *faultRig) settle(ids []string, hint time.Duration, kind string) int {
	r.t.Helper()
	honoured := 0
	seen := map[string]int{}
	ok := waitFor(r.ctx, 30*time.Second, func() bool {
		done, busy := true, false
		var fresh []*omnichannel.Message
		for _, id := range ids {
			m := r.message(id)
			if m.Status != omnichannel.MessagePending && m.Status != omnichannel.MessageSending {
				continue
			}
			done = false
			switch {
			case m.Status != omnichannel.MessagePending || !strings.HasPrefix(m.FailureReason, "retrying"):
				busy = true
			case m.Attempts > seen[id]:
				fresh = append(fresh, m)
			}
		}
		if hint > 0 && !busy && len(fresh) > 0 {
			if len(ids) == 1 { // with one message, every call is its retry
				calls := len(r.sendCalls(kind, 0))
				time.Sleep(250 * time.Millisecond)
				if len(r.sendCalls(kind, 0)) != calls {
					r.t.Errorf("a retry went out before the provider's %s hint", hint)
				}
			}
			for _, m := range fresh {
				seen[m.ID] = m.Attempts
			}
			honoured += len(fresh)
			r.clock.skip(hint)
		}
		return done
	})
	if !ok {
		r.t.Fatalf("sends still pending after 30 s")
	}
	return honoured
}

// sendCalls returns when each call of the provider's send endpoint arrived, from index from on.
func (r *faultRig) sendCalls(kind string, from int) []time.Time {
	var out []time.Time
	if kind == "zalo" {
		reqs := r.zalo.RequestsTo(zalotest.PathSend)
		for _, q := range reqs[min(from, len(reqs)):] {
			out = append(out, q.At)
		}
		return out
	}
	var n int
	for _, q := range r.tiktok.Requests() {
		if q.Path == tiktoktest.APIPrefix+tiktoktest.EndpointSend {
			if n >= from {
				out = append(out, q.At)
			}
			n++
		}
	}
	return out
}

// tokenCalls counts the calls of the provider's token endpoint (code exchanges and refreshes).
func (r *faultRig) tokenCalls(kind string) int {
	if kind == "zalo" {
		return len(r.zalo.RequestsTo(zalotest.PathAccessToken))
	}
	n := 0
	for _, q := range r.tiktok.Requests() {
		if q.Path == tiktoktest.APIPrefix+tiktoktest.EndpointRefresh || q.Path == tiktoktest.APIPrefix+tiktoktest.EndpointToken {
			n++
		}
	}
	return n
}

// reached counts how many times the provider accepted a message with text.
func (r *faultRig) reached(text string) int {
	n := 0
	for _, m := range r.zalo.Sent() {
		if m.Text == text {
			n++
		}
	}
	for _, m := range r.tiktok.Sent() {
		if m.Text == text {
			n++
		}
	}
	return n
}

// reconnect runs the consent flow again for kind, as an admin does for "needs reconnect", and
// checks the same connection comes back connected.
func (r *faultRig) reconnect(kind string) {
	r.t.Helper()
	authURL, err := r.engine.StartConnect(r.ctx, omnichannel.ConnectParams{WorkspaceID: faultWS, UserID: faultSup,
		Kind: omnichannel.Kind(kind), RedirectURI: "http://127.0.0.1/api/connect/callback/" + kind})
	if err != nil {
		r.t.Fatal(err)
	}
	var back map[string][]string
	if kind == "zalo" {
		back, err = r.zalo.Consent(r.ctx, authURL)
	} else {
		back, err = r.tiktok.Consent(r.ctx, authURL)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	c, err := r.engine.CompleteConnect(r.ctx, faultWS, faultSup, back)
	if err != nil {
		r.t.Fatalf("reconnecting %s: %v", kind, err)
	}
	if c.ID != r.conn[kind] || c.Status != omnichannel.ConnectionConnected {
		r.t.Fatalf("reconnect of %s gave connection %s (%s), want %s connected", kind, c.ID, c.Status, r.conn[kind])
	}
}

// uniqueText returns a reply text no other test uses.
func uniqueText(prefix string, i int) string {
	return fmt.Sprintf("%s %d %d", prefix, i, time.Now().UnixNano())
}

// errJobProbe rolls back the claim with which pendingJobs counts the jobs.
var errJobProbe = errors.New("job probe: rolled back")

// pendingJobs counts the engine's jobs, running ones included: it claims every job as of a day
// from now (when the running ones' leases have run out) and rolls the claim back.
func (r *faultRig) pendingJobs() int {
	r.t.Helper()
	n := 0
	err := r.store.Update(r.ctx, func(tx omnichannel.Tx) error {
		jobs, err := tx.ClaimJobs("job-probe", r.clock.Now().Add(24*time.Hour), time.Second, 1<<20)
		if err != nil {
			return err
		}
		n = len(jobs)
		return errJobProbe
	})
	if !errors.Is(err, errJobProbe) {
		r.t.Fatalf("counting the jobs: %v", err)
	}
	return n
}

// quiesce waits until the engine has finished its background work (the new connections' history
// syncs, a new customer's profile fetch): a test that breaks the provider's grant next must not
// have such a job meet the broken grant before the call the test is about.
func (r *faultRig) quiesce() {
	r.t.Helper()
	if !waitFor(r.ctx, 30*time.Second, func() bool { return r.pendingJobs() == 0 }) {
		r.t.Fatalf("%d jobs still pending after 30 s", r.pendingJobs())
	}
}
