package omnichannel_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// feedOf reads the workspace's feed after the cursor, to its end.
func feedOf(t *testing.T, eng *oc.Engine, after int64) []oc.FeedEntry {
	t.Helper()
	var out []oc.FeedEntry
	for en, err := range eng.Events(context.Background(), ws, after) {
		require.NoError(t, err)
		out = append(out, en)
	}
	return out
}

// TestEventsFeedHoldsEveryPublishedEvent checks that what the engine publishes to subscribers is
// what its feed records, in the same order, with a snapshot that carries no customer text.
func TestEventsFeedHoldsEveryPublishedEvent(t *testing.T) {
	e := newEnv(t)
	start := feedOf(t, e.eng, 0)
	require.NotEmpty(t, start, "setting up the connection and the rule went into the feed")
	cursor := start[len(start)-1].Position

	ctx, cancel := context.WithCancel(context.Background())
	sub := e.eng.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})
	e.inbound("u1", "m1", "xin chào bí mật")
	e.inbound("u1", "m2", "hai")
	e.inbound("u2", "m3", "ba")
	cancel()
	var published []oc.Event
	for ev := range sub.C {
		published = append(published, ev)
	}
	got := feedOf(t, e.eng, cursor)
	require.Len(t, got, len(published), "one feed entry per published event")
	for i, ev := range published {
		assert.Equal(t, ev.Kind, got[i].Kind)
		assert.Equal(t, ev.ConversationID, got[i].ConversationID)
		assert.Equal(t, ev.MessageID, got[i].MessageID)
		assert.Equal(t, ws, got[i].WorkspaceID)
		assert.NotContains(t, string(got[i].Data), "bí mật", "no customer text in the feed")
	}
	conv := e.conversationOf("u1")
	var created *oc.FeedEntry
	for i := range got {
		if got[i].Kind == oc.EventMessageCreated && got[i].ConversationID == conv.ID && got[i].MessageID != "" {
			var d oc.FeedData
			require.NoError(t, json.Unmarshal(got[i].Data, &d))
			if d.Direction == oc.DirectionIn {
				created = &got[i]
				assert.Equal(t, oc.MessageText, d.MessageType)
				assert.Equal(t, len([]rune("xin chào bí mật")), d.TextLength)
				break
			}
		}
	}
	require.NotNil(t, created, "the customer's first message is in the feed")
	for _, en := range got {
		if en.Kind == oc.EventConversationOpened && en.ConversationID == conv.ID {
			var d oc.FeedData
			require.NoError(t, json.Unmarshal(en.Data, &d))
			assert.Equal(t, oc.StatusOpen, d.Status)
			assert.Equal(t, conv.ContactID, d.ContactID)
		}
	}
}

// TestEventsResumeFromCursor stops iterating in the middle of a page and resumes from the saved
// cursor: every entry once.
func TestEventsResumeFromCursor(t *testing.T) {
	e := newEnv(t)
	for i := range 300 { // more than one page of the store
		require.NoError(t, e.eng.MarkRead(e.ctx, ws, "sup", firstConversation(t, e, i)))
	}
	all := feedOf(t, e.eng, 0)
	require.Greater(t, len(all), 300)
	var cursor int64
	var seen []int64
	for len(seen) < len(all) {
		n := 0
		for en, err := range e.eng.Events(e.ctx, ws, cursor) {
			require.NoError(t, err)
			seen = append(seen, en.Position)
			cursor = en.Position
			if n++; n == 7 {
				break // the consumer crashes; only cursor survives
			}
		}
	}
	want := make([]int64, len(all))
	for i, en := range all {
		want[i] = en.Position
	}
	assert.Equal(t, want, seen)
}

// firstConversation returns the conversation of customer "u1", opening it on the first call.
func firstConversation(t *testing.T, e *env, i int) string {
	t.Helper()
	if i == 0 {
		e.inbound("u1", "m1", "hello")
	}
	return e.conversationOf("u1").ID
}

// TestEventsEndsWithContextError yields the context's error.
func TestEventsEndsWithContextError(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errs []error
	for _, err := range e.eng.Events(ctx, ws, 0) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.True(t, errors.Is(errs[0], context.Canceled))
}

// TestFeedRetentionPrunesOnlyOld runs the engine with an injected clock: Run prunes the entries
// older than FeedRetention and keeps the newer ones.
func TestFeedRetentionPrunesOnlyOld(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *env) {
		c.FeedRetention = time.Hour
		c.PollInterval = 10 * time.Millisecond
	})
	e.inbound("u1", "m1", "old")
	old := feedOf(t, e.eng, 0)
	e.clock.Advance(2 * time.Hour)
	e.inbound("u2", "m2", "new")
	all := feedOf(t, e.eng, 0)
	newer := all[len(old):]
	require.NotEmpty(t, newer)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = e.eng.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	require.Eventually(t, func() bool { return len(feedOf(t, e.eng, 0)) == len(newer) }, 10*time.Second, 10*time.Millisecond,
		"the old entries are pruned")
	assert.Equal(t, newer, feedOf(t, e.eng, 0), "the newer entries stay")
}

func TestFeedRetentionMustNotBeNegative(t *testing.T) {
	_, err := oc.New(oc.Config{FeedRetention: -time.Second})
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.ErrorContains(t, err, "FeedRetention must not be negative")
}
