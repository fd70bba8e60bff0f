package firstweek_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestSharedInformationOpensAConversation: a new Zalo customer who only fills in the OA's
// information form (user_submit_info: a phone and an address, no message) appears in the inbox: a
// conversation is opened and routed by the rule, its thread holds an "info_shared" entry with the
// phone in E.164 and the address, the customer panel has the phone and the address, and the
// customer is linked to the CRM record with that phone. A repeated delivery adds nothing; a later
// share by the same customer adds a second entry to the same conversation.
func TestSharedInformationOpensAConversation(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("zalo")
		s.drain()
		emu.zalo.AddUser(zalotest.User{ID: "z-lan", Name: "Trần Thị Lan"})
		// The flat address form (what was believed before the official sample; still accepted).
		body := emu.zalo.UserSubmitInfo("z-lan", zalotest.SharedInfo{Name: "Lan", Phone: "0912345678",
			FlatAddress: zalotest.FlatAddress{Address: "12 Lê Lợi", Ward: "Bến Nghé", District: "Quận 1", City: "Hồ Chí Minh"}})
		require.NoError(t, emu.zalo.Post(s.ctx, s.webhookURL("zalo"), body))
		require.NoError(t, emu.zalo.Post(s.ctx, s.webhookURL("zalo"), body)) // the same delivery again
		s.drain()

		list := s.list(sup, "")
		require.Len(t, list, 1, "a conversation is opened: %v", names(list))
		conv := list[0]
		assert.Contains(t, []string{care1, care2}, conv.AssigneeID, "routed by the rule")
		assert.Equal(t, "+84912345678", conv.ContactPhone)
		shared := entries(s.thread(sup, conv.ID), "info_shared")
		require.Len(t, shared, 1, "one entry for one delivery, however often it arrives")
		assert.Equal(t, "+84912345678", shared[0].Activity.To)
		assert.Equal(t, "12 Lê Lợi, Bến Nghé, Quận 1, Hồ Chí Minh", shared[0].Activity.Detail)

		var cust inboxapi.Customer
		s.call(http.MethodGet, sup, "/conversations/"+conv.ID+"/customer", nil, &cust, http.StatusOK)
		assert.Equal(t, "+84912345678", cust.Contact.Phone)
		assert.Equal(t, "12 Lê Lợi", cust.Contact.Attributes["address"])
		assert.Equal(t, "Hồ Chí Minh", cust.Contact.Attributes["city"])
		assert.Equal(t, "crm-001", cust.Contact.CRMCustomerID, "linked to the CRM customer with that phone")

		// A new share (another delivery: a new timestamp) is a new entry in the same conversation.
		require.NoError(t, emu.zalo.Post(s.ctx, s.webhookURL("zalo"), emu.zalo.Build(zalotest.Event{
			EventName: "user_submit_info", Sender: &zalotest.Party{ID: "z-lan"}, Recipient: &zalotest.Party{ID: emu.zalo.OAID()},
			Timestamp: strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10),
			Info:      &zalotest.SharedInfo{Phone: "0987654321"}})))
		s.drain()
		require.Len(t, s.list(sup, ""), 1)
		shared = entries(s.thread(sup, conv.ID), "info_shared")
		require.Len(t, shared, 2)
		assert.Equal(t, "+84987654321", shared[1].Activity.To)
		assert.Empty(t, shared[1].Activity.Detail)
	})
}

// entries returns the activity entries of kind in a thread, in order.
func entries(msgs []inboxapi.Message, kind string) []inboxapi.Message {
	var out []inboxapi.Message
	for _, m := range msgs {
		if m.Activity != nil && m.Activity.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}
