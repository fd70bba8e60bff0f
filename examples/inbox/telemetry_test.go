package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -otel-stdout prints the engine's spans and metrics as JSON; without it there are no providers
// (the engine's no-op default).
func TestTelemetryToStdout(t *testing.T) {
	off, err := newTelemetry(false, nil, time.Minute)
	require.NoError(t, err)
	assert.Nil(t, off.tracer)
	assert.Nil(t, off.meter)
	require.NoError(t, off.shutdown(context.Background()))

	var out bytes.Buffer
	on, err := newTelemetry(true, &out, time.Hour)
	require.NoError(t, err)
	_, span := on.tracer.Tracer("test").Start(context.Background(), "dakenh.webhook")
	span.End()
	c, err := on.meter.Meter("test").Int64Counter("dakenh.webhook.requests")
	require.NoError(t, err)
	c.Add(context.Background(), 1)
	require.NoError(t, on.shutdown(context.Background()), "shutdown flushes both")
	assert.Contains(t, out.String(), `"Name":"dakenh.webhook"`)
	assert.Contains(t, out.String(), `"Name":"dakenh.webhook.requests"`)
}
