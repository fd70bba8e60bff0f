package omnichannel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// blockingSend is the fake channel whose Send waits until released (or its context ends).
type blockingSend struct {
	*fakechannel.Channel
	started chan struct{}
	release chan struct{}
}

func (b blockingSend) Send(ctx context.Context, conn *oc.Connection, msg *oc.OutboundMessage) (oc.SendResult, error) {
	select {
	case b.started <- struct{}{}:
	default:
	}
	select {
	case <-b.release:
		return b.Channel.Send(ctx, conn, msg)
	case <-ctx.Done():
		return oc.SendResult{}, ctx.Err()
	}
}

// lifecycleEnv is an env whose sends block, with a reply queued, and the config to open a second
// engine over the same store.
func lifecycleEnv(t *testing.T) (*env, blockingSend, oc.Config) {
	b := blockingSend{started: make(chan struct{}, 1), release: make(chan struct{})}
	var cfg *oc.Config
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { b.Channel = c; return b }),
		func(c *oc.Config, _ *env) { cfg = c })
	e.inbound("c1", "m1", "xin chào")
	conv := e.conversationOf("c1")
	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "Dạ em chào anh"})
	require.NoError(t, err)
	return e, b, *cfg
}

// runUntilSending starts Run and waits until the send is in flight; the channel gets Run's result.
func runUntilSending(t *testing.T, e *env, b blockingSend) chan error {
	ran := make(chan error, 1)
	go func() { ran <- e.eng.Run(context.Background()) }()
	select {
	case <-b.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the send never started")
	}
	return ran
}

func TestCloseReleasesJobsStillRunningWhenItsContextEnds(t *testing.T) {
	e, b, cfg := lifecycleEnv(t)
	ran := runUntilSending(t, e, b)
	require.NoError(t, e.eng.Ready(e.ctx))

	ctx, cancel := context.WithCancel(e.ctx)
	cancel() // no time to finish: release at once
	err := e.eng.Close(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, <-ran, "Run returns after Close")
	assert.ErrorIs(t, e.eng.Run(e.ctx), oc.ErrClosed)
	var he *oc.HealthError
	require.True(t, errors.As(e.eng.Ready(e.ctx), &he))
	assert.Equal(t, oc.HealthWorkersStopped, he.Code)

	// Another engine takes the released job at once (the lease was given up, not left to expire:
	// the test clock does not move).
	close(b.release)
	second, err := oc.New(cfg)
	require.NoError(t, err)
	n, err := second.RunDue(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	// The interrupted send may have reached the provider: it is settled, never sent twice.
	thread := e.thread(e.conversationOf("c1").ID)
	assert.Equal(t, oc.FailureDeliveryUnknown, thread[len(thread)-1].FailureReasonCode)
}

func TestCloseLetsJobsInFlightFinish(t *testing.T) {
	e, b, cfg := lifecycleEnv(t)
	ran := runUntilSending(t, e, b)

	closed := make(chan error, 1)
	go func() { closed <- e.eng.Close(context.Background()) }()
	close(b.release)
	require.NoError(t, <-closed)
	require.NoError(t, <-ran)

	// The send finished before Close returned: nothing is left for another engine.
	second, err := oc.New(cfg)
	require.NoError(t, err)
	n, err := second.RunDue(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	thread := e.thread(e.conversationOf("c1").ID)
	last := thread[len(thread)-1]
	assert.Equal(t, "Dạ em chào anh", last.Text)
	assert.NotEmpty(t, last.ProviderMessageID, "sent")
}

func TestReadyAndAliveWithoutRun(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.eng.Ready(e.ctx), "an engine whose host runs RunDue is ready without workers")
	require.NoError(t, e.eng.Alive())
	require.NoError(t, e.eng.Close(e.ctx), "Close without Run")
	assert.Error(t, e.eng.Ready(e.ctx))
	require.NoError(t, e.store.Close())
}

func TestReadyReportsAnUnreachableStore(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.store.Close())
	var he *oc.HealthError
	require.True(t, errors.As(e.eng.Ready(e.ctx), &he))
	assert.Equal(t, oc.HealthStoreUnreachable, he.Code)
}

// pendingStore reports migrations pending (a MigrationsReporter).
type pendingStore struct {
	oc.Store
	pending int
}

func (p pendingStore) MigrationsPending(context.Context) (int, error) { return p.pending, nil }

func TestReadinessHandlerReportsPendingMigrations(t *testing.T) {
	var cfg *oc.Config
	e := newEnv(t, func(c *oc.Config, _ *env) { cfg = c })
	for _, tc := range []struct {
		pending int
		status  int
		body    string
	}{{0, http.StatusOK, `{"status":"ok"}`}, {2, http.StatusServiceUnavailable, `{"status":"unavailable","reason":"migrations_pending"}`}} {
		c := *cfg
		c.Store = pendingStore{Store: e.store, pending: tc.pending}
		eng, err := oc.New(c)
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		eng.ReadinessHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		assert.Equal(t, tc.status, rec.Code)
		assert.JSONEq(t, tc.body, rec.Body.String())
		rec = httptest.NewRecorder()
		eng.LivenessHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		assert.Equal(t, http.StatusOK, rec.Code, "pending migrations are no reason to restart")
	}
}

func TestReadyWhileRunning(t *testing.T) {
	e, b, _ := lifecycleEnv(t)
	ran := runUntilSending(t, e, b) // Run is running
	require.NoError(t, e.eng.Ready(e.ctx))
	require.NoError(t, e.eng.Alive())
	assert.ErrorIs(t, e.eng.Run(e.ctx), oc.ErrAlreadyRunning)
	close(b.release)
	require.NoError(t, e.eng.Close(e.ctx))
	require.NoError(t, <-ran)
	var he *oc.HealthError
	require.True(t, errors.As(e.eng.Ready(e.ctx), &he))
	assert.Equal(t, oc.HealthWorkersStopped, he.Code)
}
