package firstweek_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestLiveMessageDuringHistorySyncIsRouted: connecting an account queues its history sync; a
// customer who writes at that moment is routed by the connection's rule whatever the order of the
// sync and the webhook. Both orders run deterministically (the sync job runs when the test says),
// under the old-conversation policies "none" and "available", on every store:
//
//   - sync first: the sync imports the customer's just-sent message (the conversation is marked
//     historical and left to the policy), then the live webhook of that same message arrives — a
//     duplicate by provider id — and must still route the conversation at once;
//   - webhook first: the live message opens and routes the conversation, then the sync finds that
//     message again and must neither duplicate it nor undo the routing.
func TestLiveMessageDuringHistorySyncIsRouted(t *testing.T) {
	for i, tc := range []struct {
		name      string
		policy    oc.OldConversationPolicy
		syncFirst bool
	}{
		{"sync first, policy none", oc.PolicyNone, true},
		{"webhook first, policy none", oc.PolicyNone, false},
		{"sync first, policy available", oc.PolicyAvailable, true},
		{"webhook first, policy available", oc.PolicyAvailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, db database) {
				emu := newEmulators(t)
				s := newStack(t, db.open(t), emu, true)
				s.saveRule(tc.policy)
				connID := s.addConnection("tiktok") // queues the history sync; it has not run
				name := uniq("Khách", i)
				user := uniq("u-live", i)
				msgID, body := emu.tiktok.PrepareCustomerText(user, name, "Shop ơi, còn size M không?")
				require.NotEmpty(t, msgID)
				post := func() { require.NoError(t, emu.tiktok.PostRaw(s.ctx, s.webhookURL("tiktok"), body, time.Now())) }
				if tc.syncFirst {
					s.drain() // the sync imports the message first
					imported := only(t, s.list(sup, ""), name)
					require.True(t, imported.Historical, "the sync marks what it imports historical")
					post()
				} else {
					post()
					s.drain()
				}
				conv := only(t, s.list(sup, ""), name)
				assert.Contains(t, []string{care1, care2}, conv.AssigneeID, "routed by the rule")
				assert.Equal(t, "r-care", conv.RuleID)
				assert.False(t, conv.Historical, "a conversation with a live message is live")
				assert.Equal(t, connID, conv.ConnectionID)
				assert.Equal(t, []string{"in: Shop ơi, còn size M không?"}, texts(s.thread(sup, conv.ID)), "the message once")
				// The assignee sees it in their own list right away, without waiting for any policy.
				assert.Len(t, byContact(s.list(conv.AssigneeID, "assignee=me"), name), 1)
				// Later jobs (the end of the sync, the policy) change nothing.
				s.drain()
				again := s.conversation(sup, conv.ID)
				assert.Equal(t, conv.AssigneeID, again.AssigneeID)
				assert.Equal(t, []string{"in: Shop ơi, còn size M không?"}, texts(s.thread(sup, conv.ID)))
			})
		})
	}
}
