package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// inboxState is what a sequence of webhooks leaves in a workspace, without generated ids and times.
type inboxState struct {
	Conversations []string // contact name, phone, status, assignee, counts of each conversation
	Messages      []string // direction, type, text or activity of each entry, per conversation
}

// ingestScript delivers the same webhooks to an engine over st and returns the resulting state.
func ingestScript(t *testing.T, st omnichannel.Store, prov *fakechannel.Provider) inboxState {
	t.Helper()
	ctx := context.Background()
	ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	eng, err := omnichannel.New(omnichannel.Config{Store: st, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: t.TempDir()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hook := httptest.NewServer(eng.WebhookHandler())
	defer hook.Close()
	require.NoError(t, st.Update(ctx, func(tx omnichannel.Tx) error {
		for _, u := range []*omnichannel.User{
			{ID: "sup", Role: omnichannel.RoleSupervisor}, {ID: "a1", Role: omnichannel.RoleAgent},
			{ID: "a2", Role: omnichannel.RoleAgent}, {ID: "gone", Role: omnichannel.RoleAgent},
		} {
			u.WorkspaceID, u.Active = "w", true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}))
	c := prov.Connection()
	c.WorkspaceID = "w"
	conn, err := eng.AddConnection(ctx, "sup", *c)
	require.NoError(t, err)
	_, err = eng.SaveRule(ctx, "sup", omnichannel.Rule{WorkspaceID: "w", ID: "r", Name: "Rule", SourceIDs: []string{conn.ID},
		UserIDs: []string{"gone", "a2", "a1"}, Method: omnichannel.MethodRoundRobin, OldPolicy: omnichannel.PolicyNone})
	require.NoError(t, err)
	// One of the rule's users leaves: routing skips the deactivated.
	require.NoError(t, st.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "w", ID: "gone", Role: omnichannel.RoleAgent})
	}))

	deliver := func(evs ...fakechannel.WebhookEvent) {
		t.Helper()
		body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: evs}.JSON()
		resp, err := http.DefaultClient.Do(prov.SignedWebhook(hook.URL+"/"+string(fakechannel.Kind), body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	msg := func(user, name, id, text string) fakechannel.WebhookEvent {
		return fakechannel.WebhookEvent{Type: "message", Direction: "in", UserID: user, UserName: name, MessageID: id, Text: text}
	}
	deliver(msg("lan", "Lan", "m1", "chào shop"))         // a new customer
	deliver(msg("lan", "Lan", "m2", "còn hàng không?"))   // her conversation
	deliver(msg("lan", "Lan", "m1", "chào shop"))         // a duplicate
	deliver(msg("lan", "Lan Nguyễn", "m3", "tên mới"))    // a new name: the identity and the conversation change
	deliver(msg("minh", "Minh", "m4", "xin chào"))        // a second customer, the next agent
	deliver(msg("lan", "Lan Nguyễn", "m5", "lại là tôi")) // after the rename
	deliver(fakechannel.WebhookEvent{Type: "follow", UserID: "hoa", UserName: "Hoa"})
	deliver(msg("hoa", "Hoa", "m6", "tôi vừa quan tâm OA")) // an identity without a conversation

	var out inboxState
	require.NoError(t, st.View(ctx, func(tx omnichannel.Tx) error {
		page, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "w", Limit: 50})
		if err != nil {
			return err
		}
		for _, cv := range page {
			out.Conversations = append(out.Conversations, fmtState(cv.ContactName, cv.ContactPhone, cv.Status, cv.AssigneeID,
				cv.InboundCount, cv.LastSeq, cv.Version))
			msgs, err := tx.ListMessages("w", cv.ID, 0, 50)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				what := m.Text
				if m.Activity != nil {
					what = string(m.Activity.Action) + ":" + m.Activity.To
				}
				out.Messages = append(out.Messages, fmtState(cv.ContactName, m.Seq, m.Direction, m.Type, what, m.SenderName))
			}
		}
		return nil
	}))
	return out
}

// TestIngestMatchesMemory: the engine ingests through the PostgreSQL batched reads (CustomerThreadRead, UsersRead, …)
// (one round trip for the duplicate check, identity and conversation; one for the rule's users)
// with exactly the outcome of the memory store, which reads row by row.
func TestIngestMatchesMemory(t *testing.T) {
	prov := fakechannel.NewProvider("ingest-match-secret")
	t.Cleanup(prov.Close)
	want := ingestScript(t, memory.New(), prov)
	got := ingestScript(t, openStore(t, newSchema(t)), prov)
	require.Len(t, want.Conversations, 3, "Lan, Minh and Hoa each have a conversation: %v", want.Conversations)
	assert.Equal(t, want, got)
}

// fmtState joins vs into one comparable line.
func fmtState(vs ...any) string { return strings.TrimSpace(fmt.Sprintln(vs...)) }
