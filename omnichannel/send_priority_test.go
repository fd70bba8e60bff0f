package omnichannel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// blockedMedia is the fake adapter whose media downloads wait until the test releases them.
type blockedMedia struct {
	*fakechannel.Channel
	started  chan struct{}
	release  chan struct{}
	finished atomic.Int32
}

func (b *blockedMedia) DownloadMedia(ctx context.Context, conn *oc.Connection, att oc.Attachment) (io.ReadCloser, string, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	defer b.finished.Add(1)
	return b.Channel.DownloadMedia(ctx, conn, att)
}

// waitFor polls cond; the deadline only keeps a broken build from hanging (nothing is measured).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSlowMediaDoNotDelayAReply: with every background worker held by a media download that does
// not finish, an agent's reply is still sent, because sends have workers of their own. (Sends and
// media shared 4 workers: 4 slow media URLs delayed a reply from 0.2 s to 118 s.)
func TestSlowMediaDoNotDelayAReply(t *testing.T) {
	const workers = 2
	bm := &blockedMedia{started: make(chan struct{}, 16), release: make(chan struct{})}
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { bm.Channel = c; return bm }),
		func(c *oc.Config, _ *env) { c.Workers, c.SendWorkers, c.PollInterval = workers, 1, 10*time.Millisecond })
	const media = 4
	for i := range media {
		u := e.prov.ServeMedia("a.png", "image/png", []byte("\x89PNG\r\n\x1a\nimage"))
		body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
			{Type: "message", UserID: "u1", MessageID: fmt.Sprintf("m%d", i), Attachments: []fakechannel.WebhookAttachment{{Type: "image", URL: u}}}}}.JSON()
		require.Equal(t, http.StatusOK, e.post(body))
	}
	conv := e.conversationOf("u1")

	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.eng.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	for range workers {
		<-bm.started // every background worker now holds a blocked download
	}

	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "Dạ shop nhận được ảnh rồi ạ"})
	require.NoError(t, err)
	waitFor(t, "the reply reaches the provider", func() bool { return len(e.prov.Sent()) == 1 })

	assert.Zero(t, bm.finished.Load(), "the reply went out while every media download was still blocked")
	assert.Len(t, bm.started, 0, "no download beyond the background workers started")
	close(bm.release)
	waitFor(t, "the media are copied once released", func() bool { return bm.finished.Load() == media })
}
