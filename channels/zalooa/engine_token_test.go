package zalooa_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// openConversation has the customer write once and returns the conversation.
func (e *engineEnv) openConversation() *oc.Conversation {
	e.t.Helper()
	e.emu.AddUser(zalotest.User{ID: fxUser, Name: "Nguyễn Thị Lan"})
	_, err := e.emu.CustomerSays(e.ctx, e.hookTo, fxUser, "Nguyễn Thị Lan", "Shop ơi")
	require.NoError(e.t, err)
	e.drain()
	return e.conversationOf(fxUser)
}

// Two engines share one store; the access token is due for refresh while both send: exactly one
// refresh request reaches Zalo (the single-use refresh token is spent once) and both keep working.
func TestTwoEnginesRefreshOnce(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	conv := e.openConversation()
	before := e.connection().Credentials

	// Run claims up to 2×Workers jobs ahead, so more than 4 sends leave work for the second engine.
	fast := func(c *oc.Config) { c.PollInterval = 10 * time.Millisecond; c.Workers = 2 }
	counters := []*countingTransport{}
	newCounted := func() *oc.Engine {
		return e.newEngine(func(next http.RoundTripper) http.RoundTripper {
			ct := &countingTransport{next: next, n: map[string]int{}}
			counters = append(counters, ct)
			return ct
		}, fast)
	}
	a, b := newCounted(), newCounted()

	e.setCredentials(func(c *oc.Credentials) { c.AccessExpiry = time.Now().Add(time.Minute) }) // within RefreshSkew
	e.emu.FailNext(zalotest.PathAccessToken, zalotest.Slow(300*time.Millisecond))
	e.emu.SetDelay(20 * time.Millisecond)
	const n = 12
	for i := 0; i < n; i++ {
		_, err := a.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup",
			Text: "tin " + string(rune('A'+i)), IdempotencyKey: "k" + string(rune('A'+i))})
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	for _, eng := range []*oc.Engine{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	}
	deadline := time.Now().Add(15 * time.Second)
	// Wait for the engines to record every outcome, not only for Zalo to receive the sends.
	allSent := func() bool {
		sent := 0
		for _, m := range e.messages(conv.ID) {
			if m.Direction == oc.DirectionOut && m.Status == oc.MessageSent {
				sent++
			}
		}
		return sent == n
	}
	for !allSent() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	assert.Len(t, e.emu.RequestsTo(zalotest.PathAccessToken), 1, "exactly one refresh request reaches Zalo")
	assert.Len(t, e.emu.Sent(), n, "both engines kept working")
	for i, c := range counters {
		assert.Positive(t, c.count(zalotest.PathSend), "engine %d sent nothing: the test did not exercise two engines", i)
	}
	after := e.connection().Credentials
	assert.NotEqual(t, before.RefreshToken, after.RefreshToken, "the rotated refresh token is saved")
	for _, r := range e.emu.RequestsTo(zalotest.PathSend) {
		assert.Equal(t, after.AccessToken, r.Header.Get("access_token"), "every send used the refreshed token")
	}
	for _, m := range e.messages(conv.ID) {
		if m.Direction == oc.DirectionOut {
			assert.Equal(t, oc.MessageSent, m.Status, m.Text)
		}
	}
}

// -220 (and -216) on a send: the engine refreshes once, saves the new pair, then retries once.
func TestEngineRefreshesOnTokenErrorAndRetriesOnce(t *testing.T) {
	for _, fault := range []zalotest.Fault{zalotest.TokenExpired(), zalotest.TokenInvalid()} {
		t.Run(fault.Message, func(t *testing.T) {
			e := newEngineEnv(t, zalotest.Options{})
			e.connect()
			conv := e.openConversation()
			old := e.connection().Credentials
			e.emu.FailNext(zalotest.PathSend, fault)
			m := e.send(conv, "Dạ shop chào chị", "k1")
			e.drain()

			var paths []string
			for _, r := range e.emu.Requests() {
				if r.Path == zalotest.PathSend || r.Path == zalotest.PathAccessToken {
					paths = append(paths, r.Path)
				}
			}
			assert.Equal(t, []string{zalotest.PathSend, zalotest.PathAccessToken, zalotest.PathSend}, paths)
			creds := e.connection().Credentials
			assert.NotEqual(t, old.AccessToken, creds.AccessToken)
			assert.NotEqual(t, old.RefreshToken, creds.RefreshToken)
			sends := e.emu.RequestsTo(zalotest.PathSend)
			assert.Equal(t, creds.AccessToken, sends[1].Header.Get("access_token"), "the saved token is the one used")
			assert.Equal(t, oc.MessageSent, e.message(m.ID).Status)
			assert.WithinDuration(t, time.Now().Add(zalotest.TokenLifetime), creds.AccessExpiry, time.Minute)
		})
	}
}

// A token inside RefreshSkew of its expiry is refreshed before the send.
func TestEngineRefreshesAheadOfExpiry(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	conv := e.openConversation()
	e.setCredentials(func(c *oc.Credentials) { c.AccessExpiry = time.Now().Add(90 * time.Minute) })
	e.send(conv, "xin chào", "k1")
	e.drain()
	var paths []string
	for _, r := range e.emu.Requests() {
		if r.Path == zalotest.PathSend || r.Path == zalotest.PathAccessToken {
			paths = append(paths, r.Path)
		}
	}
	assert.Equal(t, []string{zalotest.PathAccessToken, zalotest.PathSend}, paths)
}

// A refresh token Zalo refuses (HTTP 200 with error -14014) marks the connection "needs reconnect"
// and keeps the stored tokens; nothing is sent.
func TestEngineDeadRefreshTokenNeedsReconnect(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	conv := e.openConversation()
	e.setCredentials(func(c *oc.Credentials) {
		c.RefreshToken = "zrt-spent-elsewhere"
		c.AccessExpiry = time.Now().Add(time.Minute)
	})
	kept := e.connection().Credentials
	m := e.send(conv, "xin chào", "k1")
	e.drain()

	c := e.connection()
	assert.Equal(t, oc.ConnectionNeedsReconnect, c.Status)
	assert.Contains(t, c.StatusReason, "reconnect")
	assert.Equal(t, kept.AccessToken, c.Credentials.AccessToken, "good tokens are never overwritten")
	assert.Equal(t, kept.RefreshToken, c.Credentials.RefreshToken)
	assert.Empty(t, e.emu.RequestsTo(zalotest.PathSend))
	got := e.message(m.ID)
	assert.Equal(t, oc.MessageFailed, got.Status)
	assert.Equal(t, "-14014", got.FailureCode)

	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: "lại", IdempotencyKey: "k2"})
	assert.ErrorIs(t, err, oc.ErrNeedsReconnect, "a connection that needs reconnecting refuses new sends")
}

// Provider refusals through the engine: window and follower errors are final with a readable
// reason, throttling and server errors retry with backoff, other codes keep Zalo's code and text.
func TestEngineSendFailures(t *testing.T) {
	cases := []struct {
		name      string
		fault     zalotest.Fault
		final     bool
		code      string
		reasonHas string
	}{
		{"outside 7-day window", zalotest.OutsideWindow(), true, "-230", "7 days"},
		{"interaction expired", zalotest.Fault{Code: -232, Message: "No interaction"}, true, "-232", "interaction"},
		{"not a follower", zalotest.NotFollower(), true, "-213", "does not follow"},
		{"other code", zalotest.Fault{Code: -201, Message: "message.text is invalid"}, true, "-201", "message.text is invalid"},
		{"throttled -32", zalotest.RateLimited(), false, "", ""},
		{"HTTP 429", zalotest.TooManyRequests(), false, "", ""},
		{"HTTP 502", zalotest.ServerError(), false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngineEnv(t, zalotest.Options{})
			e.connect()
			conv := e.openConversation()
			e.emu.FailNext(zalotest.PathSend, tc.fault)
			m := e.send(conv, "Dạ shop chào chị", "k1")
			e.drain()
			got := e.message(m.ID)
			if tc.final {
				assert.Equal(t, oc.MessageFailed, got.Status)
				assert.Equal(t, tc.code, got.FailureCode)
				assert.Contains(t, got.FailureReason, tc.reasonHas)
				assert.Len(t, e.emu.RequestsTo(zalotest.PathSend), 1, "final errors are not retried")
				return
			}
			assert.Equal(t, oc.MessagePending, got.Status, "retryable: waiting for the backoff")
			assert.True(t, strings.HasPrefix(got.FailureReason, "retrying"), got.FailureReason)
			e.clock.Advance(2 * time.Minute)
			e.drain()
			assert.Equal(t, oc.MessageSent, e.message(m.ID).Status)
			assert.Len(t, e.emu.RequestsTo(zalotest.PathSend), 2)
		})
	}
}

// What Zalo would refuse is refused before any network call.
func TestEngineRefusesBeforeAnyCall(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	conv := e.openConversation()
	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup",
		Text: strings.Repeat("a", 2001), IdempotencyKey: "long"})
	assert.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), "2000")

	sheet, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "bang-gia.xlsx", strings.NewReader("PK\x03\x04 sheet"))
	require.NoError(t, err)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup",
		Attachments: []oc.Attachment{sheet}, IdempotencyKey: "xlsx"})
	assert.ErrorIs(t, err, oc.ErrUnsupported)

	pdf, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "bao-gia.pdf", strings.NewReader("%PDF-1.4 báo giá"))
	require.NoError(t, err)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup",
		Text: "Báo giá đây ạ", Attachments: []oc.Attachment{pdf}, IdempotencyKey: "pdf+text"})
	assert.ErrorIs(t, err, oc.ErrUnsupported, "a Zalo file message carries no text")

	e.clock.Advance(8 * 24 * time.Hour) // past Zalo's 7-day window
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: "hi", IdempotencyKey: "late"})
	assert.True(t, errors.Is(err, oc.ErrOutsideWindow), "%v", err)
	e.drain()
	assert.Empty(t, e.emu.RequestsTo(zalotest.PathSend))
}
