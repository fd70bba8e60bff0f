package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMinimalRunsEndToEnd(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	assert.Contains(t, s, "readiness             → HTTP 200")
	assert.Contains(t, s, "webhook in            → HTTP 200")
	assert.Contains(t, s, "assigned to minh by round-robin")
	assert.Contains(t, s, "Nguyễn Văn An: Shop ơi, áo còn size M không?")
	assert.Contains(t, s, "[delivered]")
	assert.Contains(t, s, "schema                → version")
	assert.Contains(t, s, ", 0 pending")
	assert.Regexp(t, `outgoing webhook      → [1-4] signed event\(s\), first message.created`, s)
	assert.Contains(t, s, "customer deleted      → 0 conversation(s) left")
	assert.Contains(t, s, "feed                  → conversation.deleted\nfeed                  → contact.deleted")
}
