package omnichannel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// inboundImage posts a customer image message of user and runs the job that copies it into the
// blob store; it returns the conversation and the blob key.
func (e *env) inboundImage(user, msgID string) (*oc.Conversation, string) {
	e.t.Helper()
	u := e.prov.ServeMedia(msgID+".png", "image/png", append([]byte("\x89PNG\r\n\x1a\n"), msgID...))
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: user, MessageID: msgID, Attachments: []fakechannel.WebhookAttachment{{Type: "image", URL: u, Name: msgID + ".png"}}}}}.JSON()
	require.Equal(e.t, http.StatusOK, e.post(body))
	e.drain()
	conv := e.conversationOf(user)
	msgs := e.thread(conv.ID)
	m := msgs[len(msgs)-1]
	require.Len(e.t, m.Attachments, 1)
	require.NotEmpty(e.t, m.Attachments[0].BlobKey)
	return conv, m.Attachments[0].BlobKey
}

// blobExists reports whether the engine's blob store still has key.
func (e *env) blobExists(key string) bool {
	e.t.Helper()
	rc, err := e.eng.Blobs().Open(e.ctx, key)
	if err != nil {
		require.ErrorIs(e.t, err, oc.ErrNotFound)
		return false
	}
	rc.Close()
	return true
}

// nextEvent returns the next event of sub of one of kinds, skipping others.
func nextEvent(t *testing.T, sub *oc.Subscription, kinds ...oc.EventKind) oc.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-sub.C:
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event", kinds)
		}
	}
}

func TestDeleteConversationRemovesItsMessagesAndBlobs(t *testing.T) {
	e := newEnv(t)
	conv, key := e.inboundImage("u1", "m1")
	other, otherKey := e.inboundImage("u2", "m2")
	require.NoError(t, e.eng.MarkRead(e.ctx, ws, "sup", conv.ID))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub := e.eng.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})

	err := e.eng.DeleteConversation(e.ctx, ws, "a1", conv.ID)
	require.ErrorIs(t, err, oc.ErrForbidden, "an agent may not delete")
	require.True(t, e.blobExists(key))

	require.NoError(t, e.eng.DeleteConversation(e.ctx, ws, "sup", conv.ID))
	ev := nextEvent(t, sub, oc.EventConversationDeleted)
	assert.Equal(t, conv.ID, ev.ConversationID)
	assert.Equal(t, "sup", ev.UserID)
	assert.False(t, e.blobExists(key), "the attachment's blob is gone")
	_, err = e.eng.Conversation(e.ctx, ws, "sup", conv.ID)
	assert.ErrorIs(t, err, oc.ErrNotFound)
	_, err = e.eng.Messages(e.ctx, ws, "sup", conv.ID, 0, 10)
	assert.ErrorIs(t, err, oc.ErrNotFound)
	assert.ErrorIs(t, e.eng.DeleteConversation(e.ctx, ws, "sup", conv.ID), oc.ErrNotFound, "deleted already")

	assert.True(t, e.blobExists(otherKey), "another conversation's blob stays")
	assert.NotEmpty(t, e.thread(other.ID))
	n, err := e.eng.CountUnread(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "u2's conversation is the only one unread")

	// The customer writes again: a new conversation opens.
	e.inbound("u1", "m3", "still there?")
	assert.NotEqual(t, conv.ID, e.conversationOf("u1").ID)
}

func TestDeleteContactRemovesItsConversations(t *testing.T) {
	e := newEnv(t)
	conv, key := e.inboundImage("u1", "m1")
	e.inbound("u2", "m2", "hello")
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub := e.eng.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})

	require.ErrorIs(t, e.eng.DeleteContact(e.ctx, ws, "a1", conv.ContactID), oc.ErrForbidden)
	require.NoError(t, e.eng.DeleteContact(e.ctx, ws, "sup", conv.ContactID))
	assert.Equal(t, conv.ID, nextEvent(t, sub, oc.EventConversationDeleted).ConversationID)
	assert.Equal(t, conv.ContactID, nextEvent(t, sub, oc.EventContactDeleted).ContactID)
	assert.False(t, e.blobExists(key))
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		_, err := tx.GetContact(ws, conv.ContactID)
		assert.ErrorIs(t, err, oc.ErrNotFound)
		_, err = tx.GetIdentity(ws, conv.IdentityID)
		assert.ErrorIs(t, err, oc.ErrNotFound)
		return nil
	}))
	assert.ErrorIs(t, e.eng.DeleteContact(e.ctx, ws, "sup", conv.ContactID), oc.ErrNotFound)
	page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws})
	require.NoError(t, err)
	require.Len(t, page.Conversations, 1, "u2's conversation stays")
	assert.Equal(t, e.conversationOf("u2").ID, page.Conversations[0].ID)
}

// TestDeleteWorkspaceInBatches deletes a workspace of more conversations than one batch holds,
// with an upload no message refers to: every blob of the workspace goes, another workspace's
// stays, and a webhook for the deleted connection stores nothing.
func TestDeleteWorkspaceInBatches(t *testing.T) {
	e := newEnv(t)
	_, key := e.inboundImage("u0", "m0")
	for i := 1; i <= 55; i++ {
		e.inbound(fmt.Sprintf("u%d", i), fmt.Sprintf("m%d", i), "xin chào")
	}
	upload, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "draft.pdf", bytes.NewReader([]byte("%PDF-1.4\n")))
	require.NoError(t, err)
	otherKey, _, err := e.eng.Blobs().Put(e.ctx, "ws-2", "keep.txt", "text/plain", strings.NewReader("keep"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub := e.eng.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})

	require.ErrorIs(t, e.eng.DeleteWorkspace(e.ctx, ws, "a1"), oc.ErrForbidden)
	require.NoError(t, e.eng.DeleteWorkspace(e.ctx, ws, "sup"))
	assert.Equal(t, ws, nextEvent(t, sub, oc.EventWorkspaceDeleted).WorkspaceID)
	assert.False(t, e.blobExists(key), "a message's blob")
	assert.False(t, e.blobExists(upload.BlobKey), "an upload never sent")
	assert.True(t, e.blobExists(otherKey), "another workspace's blob")
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		users, err := tx.ListUsers(ws)
		assert.Empty(t, users)
		conns, _ := tx.ListConnections(ws)
		assert.Empty(t, conns)
		list, _ := tx.ListConversations(oc.ConversationQuery{WorkspaceID: ws, Limit: 100})
		assert.Empty(t, list)
		return err
	}))
	e.post(e.message("u1", "m-after", "hello?"))
	e.drain()
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		list, err := tx.ListConversations(oc.ConversationQuery{WorkspaceID: ws, Limit: 100})
		assert.Empty(t, list, "a webhook for the deleted connection stores nothing")
		return err
	}))
	// Deleted already: nobody is left to act, so a second call is refused.
	assert.ErrorIs(t, e.eng.DeleteWorkspace(e.ctx, ws, "sup"), oc.ErrForbidden)
}

// interruptingStore fails the Nth DeleteWorkspaceData call (counting from 1) with errInterrupted,
// as a crash in the middle of a workspace deletion would stop it.
type interruptingStore struct {
	oc.Store
	failAt int
	calls  *int
}

var errInterrupted = errors.New("interrupted")

func (s interruptingStore) Update(ctx context.Context, fn func(tx oc.Tx) error) error {
	return s.Store.Update(ctx, func(tx oc.Tx) error { return fn(interruptingTx{Tx: tx, s: s}) })
}

type interruptingTx struct {
	oc.Tx
	s interruptingStore
}

func (t interruptingTx) DeleteWorkspaceData(workspaceID string, limit int) ([]string, bool, error) {
	*t.s.calls++
	if *t.s.calls == t.s.failAt {
		return nil, false, errInterrupted
	}
	return t.Tx.DeleteWorkspaceData(workspaceID, limit)
}

// TestDeleteWorkspaceResumes interrupts a workspace deletion after its first batch: what was
// deleted stays deleted, the users are still there, and calling again finishes the job.
func TestDeleteWorkspaceResumes(t *testing.T) {
	calls := 0
	e := newEnv(t, func(c *oc.Config, _ *env) { c.Store = interruptingStore{Store: c.Store, failAt: 2, calls: &calls} })
	for i := 1; i <= 60; i++ {
		e.inbound(fmt.Sprintf("u%d", i), fmt.Sprintf("m%d", i), "xin chào")
	}
	count := func() int {
		n := 0
		require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
			list, err := tx.ListConversations(oc.ConversationQuery{WorkspaceID: ws, Limit: 100})
			n = len(list)
			return err
		}))
		return n
	}
	require.ErrorIs(t, e.eng.DeleteWorkspace(e.ctx, ws, "sup"), errInterrupted)
	assert.Equal(t, 10, count(), "the first batch of 50 is gone, the rest is there")
	require.NoError(t, e.eng.DeleteWorkspace(e.ctx, ws, "sup"), "the supervisor can still finish it")
	assert.Zero(t, count())
	assert.Equal(t, 3, calls, "a batch, the interruption, then the last ten conversations and the rest in one call")
}

// deletingDownloader deletes the conversation while its media is being copied, as a supervisor's
// data-protection delete may.
type deletingDownloader struct {
	*fakechannel.Channel
	during func()
}

func (d deletingDownloader) DownloadMedia(ctx context.Context, c *oc.Connection, a oc.Attachment) (io.ReadCloser, string, error) {
	rc, ctype, err := d.Channel.DownloadMedia(ctx, c, a)
	d.during()
	return rc, ctype, err
}

// A conversation deleted while its media is being copied leaves no copy behind: the job finds no
// message to hold it and deletes the blob it wrote.
func TestDeleteDuringMediaCopyLeavesNoBlob(t *testing.T) {
	var e *env
	dl := deletingDownloader{during: func() {
		conv := e.conversationOf("u1")
		require.NoError(t, e.eng.DeleteConversation(e.ctx, ws, "sup", conv.ID))
	}}
	e = newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { dl.Channel = c; return dl }))
	u := e.prov.ServeMedia("p.png", "image/png", []byte("\x89PNG\r\n\x1a\nphoto"))
	require.Equal(t, http.StatusOK, e.post(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "u1", MessageID: "m1", Attachments: []fakechannel.WebhookAttachment{{Type: "image", URL: u, Name: "p.png"}}}}}.JSON()))
	e.drain()
	dir := e.eng.Blobs().(oc.DirBlobStore).Dir
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	assert.Empty(t, files, "no copy of the deleted customer's photo remains")
}
