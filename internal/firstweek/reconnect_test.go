package firstweek_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestReconnectRevivesTheConnection: "Ngắt kết nối", then connecting the same TikTok account again
// through the consent page, keeps one connection (same id, owner, chat permission and rule), the
// history sync merges into the existing conversations (no duplicate conversation, identity or
// message, nothing moves to another connection), and a reply that failed while the account was
// disconnected is retried after the reconnect and reaches the customer once. Where the store can
// be shared, the reconnect runs on a second engine process over the same database.
func TestReconnectRevivesTheConnection(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		a := newStack(t, db.open(t), emu, true)
		b := a
		if db.shared {
			b = newStack(t, db.open(t), emu, false)
		}
		emu.tiktok.SeedConversation("old-1", "Khách Cũ", tiktoktest.SeedMessage{FromCustomer: true,
			Text: "Shop còn hàng không?", At: time.Now().Add(-72 * time.Hour)})

		connID := a.connectTikTok()
		a.drain() // the history sync imports "Khách Cũ"
		_, err := emu.tiktok.CustomerSays(a.ctx, a.webhookURL("tiktok"), "u-lan", "Lan", "Cho mình hỏi giá")
		require.NoError(t, err)
		lan := only(t, a.list(sup, ""), "Lan")
		require.Contains(t, []string{care1, care2}, lan.AssigneeID, "the live conversation is routed")
		before := a.list(sup, "")
		require.Len(t, before, 2)

		// A reply is queued, then the account is disconnected before it goes out: it fails for lack
		// of a token. While disconnected, new replies are refused before anything is queued.
		var sent inboxapi.Message
		a.call(http.MethodPost, lan.AssigneeID, "/conversations/"+lan.ID+"/messages",
			map[string]any{"text": "Dạ áo này 250k ạ", "idempotencyKey": "k-1"}, &sent, http.StatusAccepted)
		a.call(http.MethodPost, sup, "/connections/"+connID+"/disconnect", nil, nil, http.StatusNoContent)
		a.drain()
		failed := lastOut(t, a.thread(lan.AssigneeID, lan.ID))
		require.Equal(t, "failed", failed.Status, "a reply queued before the disconnect fails")
		require.True(t, failed.Retryable)
		a.call(http.MethodPost, lan.AssigneeID, "/conversations/"+lan.ID+"/messages",
			map[string]any{"text": "Alo?", "idempotencyKey": "k-2"}, nil, http.StatusConflict)
		a.call(http.MethodPost, lan.AssigneeID, "/messages/"+failed.ID+"/retry", nil, nil, http.StatusConflict)

		// A customer writes while the account is disconnected: TikTok keeps it for the history sync.
		emu.tiktok.SeedConversation("u-lan", "Lan", tiktoktest.SeedMessage{FromCustomer: true, Text: "Shop ơi?", At: time.Now()})

		again := b.connectTikTok()
		require.Equal(t, connID, again, "reconnecting revives the same connection")
		conns := b.connections()
		require.Len(t, conns, 1)
		assert.Equal(t, "connected", conns[0].Status)
		assert.Equal(t, sup, conns[0].OwnerID)
		assert.Equal(t, "shared", conns[0].Permission)
		assert.Equal(t, "r-care", conns[0].RuleID)
		b.drain() // the history sync after the reconnect

		after := b.list(sup, "")
		require.Len(t, after, 2, "no duplicate conversation: %v", names(after))
		lanAfter := only(t, after, "Lan")
		assert.Equal(t, lan.ID, lanAfter.ID)
		assert.Equal(t, connID, lanAfter.ConnectionID)
		assert.Equal(t, lan.AssigneeID, lanAfter.AssigneeID, "the owner stays")
		assert.Equal(t, connID, only(t, after, "Khách Cũ").ConnectionID)
		var cust inboxapi.Customer
		b.call(http.MethodGet, sup, "/conversations/"+lan.ID+"/customer", nil, &cust, http.StatusOK)
		assert.Len(t, cust.Contact.Identities, 1, "no duplicate identity")
		thread := texts(b.thread(sup, lan.ID))
		assert.Equal(t, []string{"in: Cho mình hỏi giá", "out: Dạ áo này 250k ạ", "in: Shop ơi?"}, thread,
			"the sync merged: each message once, the one written while disconnected added")
		require.Equal(t, thread, texts(b.thread(sup, lan.ID)))

		// "Gửi lại": the failed reply goes out once.
		b.call(http.MethodPost, lan.AssigneeID, "/messages/"+failed.ID+"/retry", nil, nil, http.StatusOK)
		b.drain()
		assert.Equal(t, "sent", lastOut(t, b.thread(lan.AssigneeID, lan.ID)).Status)
		n := 0
		for _, m := range emu.tiktok.Sent() {
			if m.Text == "Dạ áo này 250k ạ" {
				n++
			}
		}
		assert.Equal(t, 1, n, "the retried reply reached the customer once")
	})
}

// lastOut returns the newest agent message of a thread.
func lastOut(t *testing.T, msgs []inboxapi.Message) inboxapi.Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction == "out" {
			return msgs[i]
		}
	}
	t.Fatal("no agent message in the thread")
	return inboxapi.Message{}
}
