package omnichannel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// entries returns the activity entries of a thread recorded after seq, with their times.
func (e *env) entriesAfter(convID string, seq int64) []*oc.Message {
	e.t.Helper()
	var out []*oc.Message
	for _, m := range e.thread(convID) {
		if m.Activity != nil && m.Seq > seq {
			require.False(e.t, m.CreatedAt.IsZero(), "every entry has its time")
			out = append(out, m)
		}
	}
	return out
}

// setOwner makes user the owner of the test connection (who gets its conversations when "only me").
func (e *env) setOwner(user string) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		c.OwnerID = user
		return tx.UpdateConnection(c)
	}))
}

// act is an entry's who / what / from / to.
type act struct {
	Action          oc.ActivityAction
	Actor, From, To string
}

func acts(ms []*oc.Message) []act {
	out := make([]act, len(ms))
	for i, m := range ms {
		out[i] = act{m.Activity.Action, m.Activity.ActorID, m.Activity.From, m.Activity.To}
	}
	return out
}

// Every ownership entry says who moved the conversation, from whom, to whom (and when).
func TestOwnershipEntriesRecordWhoFromTo(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	require.Equal(t, "a1", conv.AssigneeID)
	seq := conv.LastSeq

	// Reassigned by the supervisor, then to a team whose round-robin picks a member.
	_, err := e.eng.Reassign(e.ctx, oc.ReassignParams{WorkspaceID: ws, ConversationID: conv.ID, ActorID: "sup", ToUserID: "a4"})
	require.NoError(t, err)
	got, err := e.eng.Reassign(e.ctx, oc.ReassignParams{WorkspaceID: ws, ConversationID: conv.ID, ActorID: "sup", ToTeamID: "t1"})
	require.NoError(t, err)
	assert.Equal(t, []act{
		{oc.ActivityAssigned, "sup", "a1", "a4"},
		{oc.ActivityTeam, "sup", "", "t1"},
		{oc.ActivityAssigned, "sup", "a4", got.AssigneeID},
	}, acts(e.entriesAfter(conv.ID, seq)))

	// The owner leaves the rule (policy none): unassigned by the supervisor who changed the rule.
	seq = e.conversationOf("u1").LastSeq
	owner := got.AssigneeID
	e.setRule(oc.MethodRoundRobin, oc.PolicyNone, "a5", "a6")
	assert.Equal(t, []act{{oc.ActivityUnassigned, "sup", owner, ""}}, acts(e.entriesAfter(conv.ID, seq)))

	// The rule becomes self-claim with policy "all" (and a6 leaves it): the supervisor's change
	// puts the conversation up for a claim.
	seq = e.conversationOf("u1").LastSeq
	e.setRule(oc.MethodClaim, oc.PolicyAll, "a5")
	assert.Equal(t, []act{{oc.ActivityAwaitingClaim, "sup", "", ""}}, acts(e.entriesAfter(conv.ID, seq)))

	// An agent claims it.
	seq = e.conversationOf("u1").LastSeq
	_, err = e.eng.Claim(e.ctx, ws, "a5", conv.ID)
	require.NoError(t, err)
	assert.Equal(t, []act{{oc.ActivityClaimed, "a5", "", "a5"}}, acts(e.entriesAfter(conv.ID, seq)))

	// A new conversation is routed by the system.
	e.setRule(oc.MethodRoundRobin, oc.PolicyNone, "a7")
	e.inbound("u2", "m2", "hi")
	first := e.entriesAfter(e.conversationOf("u2").ID, 0)
	assert.Equal(t, []act{{oc.ActivityOpened, "", "", ""}, {oc.ActivityAssigned, "", "", "a7"}}, acts(first))
}

// A connection joining a rule through the supervisor's change of its chat permission distributes
// its old conversations on the supervisor's behalf.
func TestRulePolicyEntryNamesTheSupervisor(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "sup", ConnectionID: e.conn.ID, Permission: oc.PermissionOnlyMe, RuleID: ""}))
	e.setOwner("nobody")
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	require.Empty(t, conv.AssigneeID)
	_, err := e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, ID: "r2", Name: "Old ones", UserIDs: []string{"a6"},
		Method: oc.MethodRoundRobin, OldPolicy: oc.PolicyAll})
	require.NoError(t, err)
	require.NoError(t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "sup", ConnectionID: e.conn.ID, Permission: oc.PermissionShared, RuleID: "r2"}))
	assert.Equal(t, []act{{oc.ActivityAssigned, "sup", "", "a6"}}, acts(e.entriesAfter(conv.ID, conv.LastSeq)))
}

// Detail changes carry the old and the new value: category, classification, note, status.
func TestDetailEntriesRecordOldAndNewValues(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutCategory(&oc.Category{WorkspaceID: ws, ID: "hoi-gia", Name: "Hỏi giá", Active: true})
	}))
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	seq := conv.LastSeq
	edit := func(p oc.DetailsParams) {
		t.Helper()
		p.WorkspaceID, p.ConversationID, p.ActorID = ws, conv.ID, "a1"
		_, err := e.eng.UpdateDetails(e.ctx, p)
		require.NoError(t, err)
	}
	edit(oc.DetailsParams{CategoryID: ptr("sai-mau"), ClassificationID: ptr("CSKH"), Note: ptr("Khách cần áo đỏ")})
	edit(oc.DetailsParams{CategoryID: ptr("hoi-gia"), ClassificationID: ptr("Sale"), Note: ptr("  Khách cần áo xanh  ")})
	edit(oc.DetailsParams{Note: ptr("Khách cần áo xanh  ")}) // the same note once trimmed: no entry
	edit(oc.DetailsParams{CategoryID: ptr(""), ClassificationID: ptr(""), Note: ptr("")})
	_, err := e.eng.MarkDone(e.ctx, ws, "a1", conv.ID)
	require.NoError(t, err)
	_, err = e.eng.Reopen(e.ctx, ws, "a1", conv.ID)
	require.NoError(t, err)
	assert.Equal(t, []act{
		{oc.ActivityCategory, "a1", "", "sai-mau"},
		{oc.ActivityClassification, "a1", "", "CSKH"},
		{oc.ActivityNote, "a1", "", "Khách cần áo đỏ"},
		{oc.ActivityCategory, "a1", "sai-mau", "hoi-gia"},
		{oc.ActivityClassification, "a1", "CSKH", "Sale"},
		{oc.ActivityNote, "a1", "Khách cần áo đỏ", "Khách cần áo xanh"},
		{oc.ActivityCategory, "a1", "hoi-gia", ""},
		{oc.ActivityClassification, "a1", "Sale", ""},
		{oc.ActivityNote, "a1", "Khách cần áo xanh", ""},
		{oc.ActivityDone, "a1", "open", "done"},
		{oc.ActivityReopened, "a1", "done", "open"},
	}, acts(e.entriesAfter(conv.ID, seq)))

	// A customer's message reopens a done conversation: the system's entry, with both statuses.
	_, err = e.eng.MarkDone(e.ctx, ws, "a1", conv.ID)
	require.NoError(t, err)
	seq = e.conversationOf("u1").LastSeq
	e.inbound("u1", "m2", "lại là em")
	assert.Equal(t, []act{{oc.ActivityReopened, "", "done", "open"}}, acts(e.entriesAfter(conv.ID, seq)))
}
