package omnichannel_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/guardedfetch"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// receiver is a host's webhook endpoint on loopback: it records every request and answers with
// what status returns.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status func(n int) int // the answer to the n-th request (1-based)
}

type received struct {
	header http.Header
	body   []byte
	batch  oc.WebhookBatch
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var b oc.WebhookBatch
		_ = json.Unmarshal(body, &b)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, batch: b})
		n := len(r.got)
		r.mu.Unlock()
		code := r.status(n)
		w.WriteHeader(code)
		if code >= 300 {
			io.WriteString(w, "unavailable\x00\x1b[31m"+strings.Repeat("x", 300))
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// withReceiver lets the engine reach the receivers (loopback is refused by default).
func withReceiver(rs ...*receiver) envOption {
	return func(c *oc.Config, _ *env) {
		ls := make([]net.Listener, len(rs))
		for i, r := range rs {
			ls[i] = r.srv.Listener
		}
		c.WebhookClient = guardedfetch.AllowingListeners(ls...)
	}
}

func routerFor(t *testing.T) oc.Router {
	t.Helper()
	r, err := routing.New(routing.Config{})
	require.NoError(t, err)
	return r
}

// verifySignature is an independent verifier, written as a host would from the README recipe.
func verifySignature(t *testing.T, secret string, header string, body []byte) {
	t.Helper()
	parts := map[string]string{}
	for _, p := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(p, "=")
		require.True(t, ok, "header part %q", p)
		parts[k] = v
	}
	ts, err := strconv.ParseInt(parts["t"], 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Unix(), ts, 3600, "the timestamp is the send time")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts["t"] + "." + string(body)))
	assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), parts["v1"], "HMAC-SHA256 over timestamp.body with the secret")
}

func createEndpoint(t *testing.T, e *env, r *receiver, w oc.WebhookEndpoint) *oc.WebhookEndpoint {
	t.Helper()
	w.WorkspaceID, w.URL, w.Enabled = ws, r.srv.URL+"/hooks?token=host-url-token", true
	ep, err := e.eng.CreateWebhookEndpoint(e.ctx, "sup", w)
	require.NoError(t, err)
	return ep
}

func endpoint(t *testing.T, e *env, id string) *oc.WebhookEndpoint {
	t.Helper()
	eps, err := e.eng.WebhookEndpoints(e.ctx, ws, "sup")
	require.NoError(t, err)
	for _, ep := range eps {
		if ep.ID == id {
			assert.Empty(t, ep.Secret, "reads leave the secret out")
			return ep
		}
	}
	t.Fatalf("no endpoint %s", id)
	return nil
}

func deliver(t *testing.T, e *env) int {
	t.Helper()
	n, err := e.eng.DeliverWebhooks(e.ctx)
	require.NoError(t, err)
	return n
}

func TestWebhookDeliveryIsSignedAndAdvancesTheCursor(t *testing.T) {
	r := newReceiver(t, always(http.StatusNoContent))
	onlyMessages := newReceiver(t, always(http.StatusOK))
	e := newEnv(t, withReceiver(r, onlyMessages))
	start := feedOf(t, e.eng, 0)
	cursor := start[len(start)-1].Position
	ep := createEndpoint(t, e, r, oc.WebhookEndpoint{Cursor: cursor})
	assert.True(t, strings.HasPrefix(string(ep.Secret), "whsec_"), "a secret is generated and returned once")
	filtered := createEndpoint(t, e, onlyMessages, oc.WebhookEndpoint{Cursor: cursor, Secret: "host-chosen-secret-0123",
		Kinds: []oc.EventKind{oc.EventMessageCreated}})

	e.inbound("u1", "m1", "xin chào")
	e.inbound("u1", "m2", "hai")
	assert.Equal(t, 2, deliver(t, e), "one batch per endpoint")
	assert.Zero(t, deliver(t, e), "nothing new: nothing sent")

	got := r.requests()
	require.Len(t, got, 1)
	verifySignature(t, string(ep.Secret), got[0].header.Get(oc.WebhookSignatureHeader), got[0].body)
	require.NoError(t, oc.VerifyWebhook(ep.Secret, got[0].header.Get(oc.WebhookSignatureHeader), got[0].body, time.Now(), time.Hour))
	assert.ErrorIs(t, oc.VerifyWebhook("another-secret-000", got[0].header.Get(oc.WebhookSignatureHeader), got[0].body, time.Now(), time.Hour),
		oc.ErrBadWebhookSignature)
	assert.Equal(t, "application/json", got[0].header.Get("Content-Type"))
	batch := got[0].batch
	assert.Equal(t, got[0].header.Get(oc.WebhookDeliveryHeader), batch.DeliveryID)
	assert.Equal(t, ep.ID, batch.EndpointID)
	feed := feedOf(t, e.eng, cursor)
	require.Len(t, batch.Events, len(feed), "every new entry, in feed order")
	for i, en := range feed {
		assert.Equal(t, en.Position, batch.Events[i].Position)
		assert.Equal(t, en.Kind, batch.Events[i].Kind)
	}
	assert.Equal(t, feed[len(feed)-1].Position, endpoint(t, e, ep.ID).Cursor, "the cursor moved past the batch")

	fgot := onlyMessages.requests()
	require.Len(t, fgot, 1)
	verifySignature(t, "host-chosen-secret-0123", fgot[0].header.Get(oc.WebhookSignatureHeader), fgot[0].body)
	require.NotEmpty(t, fgot[0].batch.Events)
	for _, ev := range fgot[0].batch.Events {
		assert.Equal(t, oc.EventMessageCreated, ev.Kind, "only the endpoint's kinds")
	}
	assert.Equal(t, feed[len(feed)-1].Position, endpoint(t, e, filtered.ID).Cursor)

	log, err := e.eng.WebhookDeliveries(e.ctx, ws, "sup", ep.ID, 10)
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, http.StatusNoContent, log[0].StatusCode)
	assert.Empty(t, log[0].ErrorClass)
	assert.Equal(t, 1, log[0].Attempt)
	assert.Equal(t, len(feed), log[0].Events)
	assert.Equal(t, feed[0].Position, log[0].FirstPosition)
	assert.Equal(t, feed[len(feed)-1].Position, log[0].LastPosition)
}

func TestWebhookRetryThenSuccessAdvancesOnce(t *testing.T) {
	r := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e := newEnv(t, withReceiver(r))
	ep := createEndpoint(t, e, r, oc.WebhookEndpoint{})
	e.inbound("u1", "m1", "xin chào")
	assert.Zero(t, deliver(t, e))
	after := endpoint(t, e, ep.ID)
	assert.Zero(t, after.Cursor, "a failed delivery leaves the cursor")
	assert.Equal(t, 1, after.Failures)
	assert.True(t, after.NextAttemptAt.After(e.clock.Now()), "a backoff")
	assert.Zero(t, deliver(t, e), "nothing is sent before the backoff is over")
	require.Len(t, r.requests(), 1)

	e.clock.Advance(time.Hour)
	assert.Equal(t, 1, deliver(t, e))
	got := r.requests()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].batch.Events, got[1].batch.Events, "the same entries again")
	done := endpoint(t, e, ep.ID)
	assert.Equal(t, got[1].batch.Events[len(got[1].batch.Events)-1].Position, done.Cursor, "the cursor moved once")
	assert.Zero(t, done.Failures)
	assert.Zero(t, deliver(t, e), "nothing sent twice after the success")

	log, err := e.eng.WebhookDeliveries(e.ctx, ws, "sup", ep.ID, 10)
	require.NoError(t, err)
	require.Len(t, log, 2)
	assert.Equal(t, http.StatusOK, log[0].StatusCode, "newest first")
	assert.Equal(t, 2, log[0].Attempt)
	assert.Equal(t, http.StatusServiceUnavailable, log[1].StatusCode)
	assert.Equal(t, "status", log[1].ErrorClass)
	assert.Equal(t, 1, log[1].Attempt)
	assert.LessOrEqual(t, len([]rune(log[1].Response)), 128, "a short prefix of the answer")
	assert.True(t, strings.HasPrefix(log[1].Response, "unavailable??[31m"), "control characters replaced: %q", log[1].Response)
}

func TestWebhookEndpointDisabledAfterRepeatedFailures(t *testing.T) {
	r := newReceiver(t, always(http.StatusInternalServerError))
	e := newEnv(t, withReceiver(r), func(c *oc.Config, _ *env) { c.WebhookMaxFailures = 3 })
	ep := createEndpoint(t, e, r, oc.WebhookEndpoint{})
	e.inbound("u1", "m1", "xin chào")
	for range 3 {
		deliver(t, e)
		e.clock.Advance(2 * time.Hour)
	}
	require.Len(t, r.requests(), 3)
	off := endpoint(t, e, ep.ID)
	assert.False(t, off.Enabled, "disabled after three failures in a row")
	assert.Equal(t, 3, off.Failures)
	assert.NotEmpty(t, off.DisabledReason)
	deliver(t, e)
	assert.Len(t, r.requests(), 3, "a disabled endpoint gets nothing")

	var disabled *oc.FeedEntry
	for _, en := range feedOf(t, e.eng, 0) {
		if en.Kind == oc.EventWebhookEndpointDisabled {
			disabled = &en
		}
	}
	require.NotNil(t, disabled, "the feed records the disabling")
	var d oc.FeedData
	require.NoError(t, json.Unmarshal(disabled.Data, &d))
	assert.Equal(t, ep.ID, d.EndpointID)
	assert.Equal(t, 3, d.Failures)

	// Enabling it again clears the failures: it is tried at once.
	r.status = always(http.StatusOK)
	on := *off
	on.Enabled = true
	_, err := e.eng.UpdateWebhookEndpoint(e.ctx, "sup", on)
	require.NoError(t, err)
	assert.Equal(t, 1, deliver(t, e))
	assert.Zero(t, endpoint(t, e, ep.ID).Failures)
}

func TestWebhookSecretsNeverLogged(t *testing.T) {
	fails := newReceiver(t, always(http.StatusBadGateway))
	e := newEnv(t, withReceiver(fails), func(c *oc.Config, _ *env) { c.WebhookMaxFailures = 2 })
	ep := createEndpoint(t, e, fails, oc.WebhookEndpoint{Secret: "never-log-this-secret-42"})
	e.logs.Logger().Info("endpoint", "endpoint", ep, "secret", ep.Secret) // a host's careless log line
	e.inbound("u1", "m1", "xin chào")
	for range 2 {
		deliver(t, e)
		e.clock.Advance(2 * time.Hour)
	}
	logs := e.logs.String()
	assert.Contains(t, logs, "outgoing webhook", "the failures were logged")
	assert.NotContains(t, logs, "never-log-this-secret-42")
	assert.NotContains(t, logs, "host-url-token", "the URL's path and query are not logged")
}

func TestWebhookRestartResumesFromStoredCursor(t *testing.T) {
	r := newReceiver(t, always(http.StatusOK))
	e := newEnv(t, withReceiver(r))
	createEndpoint(t, e, r, oc.WebhookEndpoint{})
	e.inbound("u1", "m1", "một")
	assert.Equal(t, 1, deliver(t, e))
	first := r.requests()[0].batch.Events
	last := first[len(first)-1].Position

	// A new engine process over the same store.
	restarted, err := oc.New(oc.Config{Store: e.store, Channels: []oc.Channel{e.eng.Channel("fake")},
		Router: routerFor(t), Blobs: oc.DirBlobStore{Dir: t.TempDir()}, Now: e.clock.Now, Logger: e.logs.Logger(),
		WebhookClient: guardedfetch.AllowingListeners(r.srv.Listener)})
	require.NoError(t, err)
	e.inbound("u1", "m2", "hai")
	n, err := restarted.DeliverWebhooks(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got := r.requests()
	require.Len(t, got, 2)
	assert.Greater(t, got[1].batch.Events[0].Position, last, "the restarted engine starts after the stored cursor")
}

// TestWebhookTwoEnginesDeliverEachEntryOnce has two engines deliver one endpoint at once while
// messages arrive: the lease lets one at a time deliver, so each entry reaches the host once.
func TestWebhookTwoEnginesDeliverEachEntryOnce(t *testing.T) {
	var mu sync.Mutex
	positions := map[int64]int{}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b oc.WebhookBatch
		_ = json.NewDecoder(req.Body).Decode(&b)
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		for _, ev := range b.Events {
			positions[ev.Position]++
		}
		mu.Unlock()
	}))
	t.Cleanup(slow.Close)
	r := &receiver{srv: slow}
	e := newEnv(t, withReceiver(r))
	other, err := oc.New(oc.Config{Store: e.store, Channels: []oc.Channel{e.eng.Channel("fake")}, Router: routerFor(t),
		Blobs: oc.DirBlobStore{Dir: t.TempDir()}, Now: e.clock.Now, Logger: e.logs.Logger(),
		WebhookClient: guardedfetch.AllowingListeners(slow.Listener), WebhookBatchSize: 3})
	require.NoError(t, err)
	createEndpoint(t, e, r, oc.WebhookEndpoint{})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, eng := range []*oc.Engine{e.eng, other, e.eng, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _ = eng.DeliverWebhooks(ctx)
			}
		}()
	}
	for i := range 20 {
		e.inbound("u"+strconv.Itoa(i%4), "m"+strconv.Itoa(i), "tin")
	}
	end := feedOf(t, e.eng, 0)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return positions[end[len(end)-1].Position] > 0
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, en := range end {
		assert.Equal(t, 1, positions[en.Position], "entry %d delivered once", en.Position)
	}
}

func TestWebhookLoopbackRefusedByDefault(t *testing.T) {
	r := newReceiver(t, always(http.StatusOK))
	e := newEnv(t) // the default client: public addresses only
	ep := createEndpoint(t, e, r, oc.WebhookEndpoint{})
	e.inbound("u1", "m1", "xin chào")
	assert.Zero(t, deliver(t, e))
	assert.Empty(t, r.requests(), "nothing reached the loopback receiver")
	log, err := e.eng.WebhookDeliveries(e.ctx, ws, "sup", ep.ID, 10)
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "refused", log[0].ErrorClass)
}

func TestWebhookEndpointValidationAndAuthorization(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.CreateWebhookEndpoint(e.ctx, "sup", oc.WebhookEndpoint{WorkspaceID: ws, URL: "ftp://user:pw@host/x",
		Secret: "short", Kinds: []oc.EventKind{"nope"}})
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Len(t, oc.ProblemsOf(err), 3, "every problem at once")
	_, err = e.eng.CreateWebhookEndpoint(e.ctx, "a1", oc.WebhookEndpoint{WorkspaceID: ws, URL: "https://crm.example/hook"})
	require.ErrorIs(t, err, oc.ErrForbidden, "agents may not administer webhooks")
	_, err = e.eng.WebhookDeliveries(e.ctx, ws, "sup", "absent", 10)
	require.ErrorIs(t, err, oc.ErrNotFound)
	ep, err := e.eng.CreateWebhookEndpoint(e.ctx, "sup", oc.WebhookEndpoint{WorkspaceID: ws, URL: "https://crm.example/hook"})
	require.NoError(t, err)
	require.NoError(t, e.eng.DeleteWebhookEndpoint(e.ctx, ws, "sup", ep.ID))
	require.ErrorIs(t, e.eng.DeleteWebhookEndpoint(e.ctx, ws, "sup", ep.ID), oc.ErrNotFound)
}

// An endpoint that redirects never counts as delivered: the client would follow with a GET that
// carries neither the batch nor its signature, and a 2xx at the other URL delivered nothing.
func TestWebhookRedirectIsAFailure(t *testing.T) {
	r := newReceiver(t, always(http.StatusOK))
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, r.srv.URL+"/final", http.StatusMovedPermanently)
	})
	old := httptest.NewServer(mux)
	t.Cleanup(old.Close)
	e := newEnv(t, func(c *oc.Config, _ *env) {
		c.WebhookClient = guardedfetch.AllowingListeners(r.srv.Listener, old.Listener)
	})
	ep, err := e.eng.CreateWebhookEndpoint(e.ctx, "sup", oc.WebhookEndpoint{WorkspaceID: ws, URL: old.URL + "/moved", Enabled: true})
	require.NoError(t, err)
	e.inbound("u1", "m1", "xin chào")
	assert.Zero(t, deliver(t, e))
	got := endpoint(t, e, ep.ID)
	assert.Zero(t, got.Cursor, "nothing was delivered")
	assert.Equal(t, 1, got.Failures)
	log, err := e.eng.WebhookDeliveries(e.ctx, ws, "sup", ep.ID, 10)
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "redirect", log[0].ErrorClass)
	for _, req := range r.requests() {
		assert.Empty(t, req.body, "what reached the other URL carried no batch")
	}
}
