package firstweek_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestCRMCustomerGathersEveryAccount: one CRM customer (crm-001) writes from two TikTok accounts and
// shares the same phone from Zalo; each account is its own contact, linked to crm-001 by that
// phone. The profile of any of their conversations lists every identity, and the interaction
// history every conversation on every channel, with the CRM's own order (SPEC B4).
func TestCRMCustomerGathersEveryAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("tiktok")
		s.addConnection("zalo")
		s.drain()
		for _, acc := range []struct{ id, name, text string }{
			{"tt-an-1", "An Nguyễn", "Số mình 0912 345 678 nhé"},
			{"tt-an-2", "An Nguyễn (acc phụ)", "Gọi 0912.345.678 giúp mình"},
			{"tt-other", "Người Khác", "Chào shop"},
		} {
			_, err := emu.tiktok.CustomerSays(s.ctx, s.webhookURL("tiktok"), acc.id, acc.name, acc.text)
			require.NoError(t, err)
		}
		emu.zalo.AddUser(zalotest.User{ID: "z-an", Name: "An Zalo"})
		require.NoError(t, emu.zalo.CustomerSharesPhone(s.ctx, s.webhookURL("zalo"), "z-an", "An Zalo", "0912345678"))
		s.drain() // CRM linking by phone, the Zalo profile fetch

		list := s.list(sup, "")
		first := only(t, list, "An Nguyễn")
		var cust inboxapi.Customer
		s.call(http.MethodGet, sup, "/conversations/"+first.ID+"/customer", nil, &cust, http.StatusOK)
		assert.Equal(t, "crm-001", cust.Contact.CRMCustomerID)
		var accounts []string
		for _, id := range cust.Contact.Identities {
			accounts = append(accounts, id.Channel+"/"+id.DisplayName)
		}
		assert.ElementsMatch(t, []string{"tiktok/An Nguyễn", "tiktok/An Nguyễn (acc phụ)", "zalo/An Zalo"}, accounts)
		var convs, orders []string
		for _, h := range cust.History {
			switch h.Type {
			case "conversation":
				convs = append(convs, h.ConversationID)
			case "transaction":
				orders = append(orders, h.Title)
			}
		}
		assert.ElementsMatch(t, []string{first.ID, only(t, list, "An Nguyễn (acc phụ)").ID, only(t, list, "An Zalo").ID}, convs)
		assert.Equal(t, []string{"Đơn hàng #1001"}, orders)

		// The unlinked customer's profile is theirs alone.
		var other inboxapi.Customer
		s.call(http.MethodGet, sup, "/conversations/"+only(t, list, "Người Khác").ID+"/customer", nil, &other, http.StatusOK)
		assert.Len(t, other.Contact.Identities, 1)
		assert.Len(t, other.History, 1)

		// An agent's history holds only the linked conversations that agent may see.
		var mine inboxapi.Customer
		s.call(http.MethodGet, first.AssigneeID, "/conversations/"+first.ID+"/customer", nil, &mine, http.StatusOK)
		visible := map[string]bool{}
		for _, c := range s.list(first.AssigneeID, "") {
			visible[c.ID] = true
		}
		for _, h := range mine.History {
			if h.Type == "conversation" {
				assert.True(t, visible[h.ConversationID], "the history shows a conversation the agent cannot see")
			}
		}
	})
}
