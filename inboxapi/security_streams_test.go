package inboxapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestEventStreamsAreCapped: one user opened 2,000 event streams (about 38 kB each). Streams are
// capped per user and per workspace; past a cap GET /events answers 429 "too_many_streams" with a
// Retry-After, holds nothing open and leaves the other workspace alone; a closed stream frees its
// place.
func TestEventStreamsAreCapped(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	e := newEnv(t, func(_ *oc.Config, c *inboxapi.Config) {
		c.MaxStreamsPerUser, c.MaxStreamsPerWorkspace = 2, 3
		c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	first := e.openEvents(agent1)
	e.openEvents(agent1)
	refusedEnded := func() { <-e.eventsDone } // every GET /events that returns says so
	refused := 0
	for i := 0; i < 20; i++ {
		r := e.call("GET", "/events", agent1, nil)
		refusedEnded()
		r.requireError(t, http.StatusTooManyRequests, "too_many_streams")
		assert.NotEmpty(t, r.header.Get("Retry-After"))
		refused++
	}
	e.openEvents(agent2) // the workspace's third
	e.call("GET", "/events", supA, nil).requireError(t, http.StatusTooManyRequests, "too_many_streams")
	refusedEnded()
	e.openEvents(supB) // another workspace has its own count
	e.openEvents(agentB)

	// Closing a stream frees its place.
	first.cancel()
	select {
	case <-e.eventsDone:
	case <-time.After(15 * time.Second):
		t.Fatal("the closed stream's request never ended")
	}
	e.openEvents(agent1)
	t.Logf("event streams: %d refused past the per-user cap, 1 past the workspace cap", refused)

	// The host's metrics say the same: 5 streams open, 21 refused for too many streams.
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range s.DataPoints {
					got[m.Name] += dp.Value
				}
			}
		}
	}
	assert.Equal(t, int64(5), got["dakenh.event_stream.clients"])
	assert.Equal(t, int64(21), got["dakenh.event_stream.refused"])

	_, err := inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: inboxapi.AuthenticatorFunc(headerAuth), MaxStreamsPerUser: -1})
	require.ErrorContains(t, err, "MaxStreamsPerUser")
}
