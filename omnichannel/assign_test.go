package omnichannel_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestRoundRobinSpreadsThousandConversationsOverSevenUsers(t *testing.T) {
	e := newEnv(t)
	const n = 1000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			assert.Equal(t, http.StatusOK, e.post(e.message(fmt.Sprintf("cust-%d", i), fmt.Sprintf("m-%d", i), "xin chào")))
		}(i)
	}
	wg.Wait()
	count := map[string]int{}
	q := oc.ConversationQuery{WorkspaceID: ws, Limit: 200}
	for {
		page, err := e.eng.ListConversations(e.ctx, "sup", q)
		require.NoError(t, err)
		for _, c := range page.Conversations {
			count[c.AssigneeID]++
		}
		if page.Next == "" {
			break
		}
		q.After, err = oc.ParseCursor(page.Next)
		require.NoError(t, err)
	}
	total := 0
	for u, c := range count {
		assert.Contains(t, []int{142, 143}, c, "user %s got %d", u, c)
		total += c
	}
	assert.Len(t, count, 7)
	assert.Equal(t, n, total)
}

func TestClaimRaceHasExactlyOneWinner(t *testing.T) {
	e := newEnv(t)
	var users []string
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for i := 0; i < 100; i++ {
			id := fmt.Sprintf("c%d", i)
			users = append(users, id)
			if err := tx.PutUser(&oc.User{WorkspaceID: ws, ID: id, Name: id, Role: oc.RoleAgent, Active: true}); err != nil {
				return err
			}
		}
		return nil
	}))
	e.setRule(oc.MethodClaim, oc.PolicyNone, users...)
	e.inbound("u1", "m1", "ai đó giúp tôi với")
	conv := e.conversationOf("u1")
	require.True(t, conv.AwaitingClaim)
	require.Empty(t, conv.AssigneeID)

	// Nobody may answer before claiming.
	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "c0", Text: "hi"})
	require.ErrorIs(t, err, oc.ErrForbidden)

	errs := make([]error, len(users))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			<-start
			_, errs[i] = e.eng.Claim(e.ctx, ws, u, conv.ID)
		}(i, u)
	}
	close(start)
	wg.Wait()
	winners, losers := 0, 0
	winner := ""
	for i, err := range errs {
		if err == nil {
			winners++
			winner = users[i]
			continue
		}
		var ce *oc.ClaimedError
		require.True(t, errors.As(err, &ce), "loser gets a *ClaimedError, got %v", err)
		assert.ErrorIs(t, err, oc.ErrAlreadyClaimed)
		assert.Contains(t, err.Error(), "already claimed")
		losers++
	}
	assert.Equal(t, 1, winners)
	assert.Equal(t, 99, losers)
	for _, err := range errs {
		var ce *oc.ClaimedError
		if errors.As(err, &ce) {
			assert.Equal(t, winner, ce.ClaimedBy)
		}
	}
	got := e.conversationOf("u1")
	assert.Equal(t, winner, got.AssigneeID)
	assert.True(t, got.Claimed)
	assert.False(t, got.AwaitingClaim)

	// Only the claimer may chat.
	other := users[0]
	if other == winner {
		other = users[1]
	}
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: other, Text: "hi"})
	var fe *oc.ForbiddenError
	require.True(t, errors.As(err, &fe))
	assert.Contains(t, fe.Reason, "claimed")
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: winner, Text: "Em nhận ạ"})
	require.NoError(t, err)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: "Giám sát"})
	require.NoError(t, err, "supervisors may always answer")
}

func TestOnlyMeConnectionBelongsToItsOwner(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "sup", ConnectionID: e.conn.ID, Permission: oc.PermissionOnlyMe, RuleID: ""}))
	e.setOwner("a2")
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	assert.Equal(t, "a2", conv.AssigneeID)

	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "a3", Text: "hi"})
	var fe *oc.ForbiddenError
	require.True(t, errors.As(err, &fe), "got %v", err)
	assert.Contains(t, fe.Reason, "only me")
	_, err = e.eng.Claim(e.ctx, ws, "a3", conv.ID)
	assert.ErrorIs(t, err, oc.ErrForbidden)
	page, err := e.eng.ListConversations(e.ctx, "a3", oc.ConversationQuery{WorkspaceID: ws})
	require.NoError(t, err)
	assert.Empty(t, page.Conversations, "other agents do not see an only-me connection")
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "a2", Text: "hi"})
	require.NoError(t, err)
}

func TestReassignToUserAndTeamIsRecorded(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	require.Equal(t, "a1", conv.AssigneeID)

	_, err := e.eng.Reassign(e.ctx, oc.ReassignParams{WorkspaceID: ws, ConversationID: conv.ID, ActorID: "a5", ToUserID: "a4"})
	require.ErrorIs(t, err, oc.ErrForbidden, "an agent cannot take away someone else's conversation")

	got, err := e.eng.Reassign(e.ctx, oc.ReassignParams{WorkspaceID: ws, ConversationID: conv.ID, ActorID: "sup", ToUserID: "a4"})
	require.NoError(t, err)
	assert.Equal(t, "a4", got.AssigneeID)

	// The team's round-robin picks its members in turn.
	var picked []string
	for i := 0; i < 3; i++ {
		got, err = e.eng.Reassign(e.ctx, oc.ReassignParams{WorkspaceID: ws, ConversationID: conv.ID, ActorID: "sup", ToTeamID: "t1"})
		require.NoError(t, err)
		picked = append(picked, got.AssigneeID)
		assert.Equal(t, "t1", got.TeamID)
	}
	assert.ElementsMatch(t, []string{"a1", "a2", "a3"}, picked)

	var moves []oc.Activity
	for _, m := range e.thread(conv.ID) {
		if m.Activity != nil && m.Activity.Action == oc.ActivityAssigned && m.Activity.ActorID == "sup" {
			moves = append(moves, *m.Activity)
		}
	}
	require.NotEmpty(t, moves)
	assert.Equal(t, "a1", moves[0].From)
	assert.Equal(t, "a4", moves[0].To)
	assert.Equal(t, "sup", moves[0].ActorID)
}

func TestUserLeavingRuleAppliesOldConversationPolicy(t *testing.T) {
	e := newEnv(t)
	e.setRule(oc.MethodRoundRobin, oc.PolicyAll, "a1", "a2")
	for i := 0; i < 4; i++ {
		e.inbound(fmt.Sprintf("u%d", i), fmt.Sprintf("m%d", i), "hi")
	}
	// a1 has u0 and u2. Remove a1: their conversations go to the remaining user.
	e.setRule(oc.MethodRoundRobin, oc.PolicyAll, "a2", "a3")
	for i := 0; i < 4; i++ {
		c := e.conversationOf(fmt.Sprintf("u%d", i))
		assert.NotEqual(t, "a1", c.AssigneeID)
		assert.NotEmpty(t, c.AssigneeID)
	}
	// With policy none, orphans stay without an owner.
	e.setRule(oc.MethodRoundRobin, oc.PolicyNone, "a3")
	orphans, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, AssigneeIDs: []string{oc.Unassigned}})
	require.NoError(t, err)
	assert.NotEmpty(t, orphans.Conversations)
	for _, c := range orphans.Conversations {
		msgs := e.thread(c.ID)
		last := msgs[len(msgs)-1]
		require.NotNil(t, last.Activity)
		assert.Equal(t, oc.ActivityUnassigned, last.Activity.Action)
		assert.Equal(t, "a2", last.Activity.From)
	}
}

func TestConnectionJoiningRuleDistributesAvailableConversations(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.eng.DeleteRule(e.ctx, ws, "sup", "r1"))
	e.setOwner("nobody")
	e.inbound("u1", "m1", "hi")
	e.inbound("u2", "m2", "hi")
	require.Empty(t, e.conversationOf("u1").AssigneeID)
	_, err := e.eng.MarkDone(e.ctx, ws, "sup", e.conversationOf("u2").ID)
	require.NoError(t, err)

	_, err = e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, ID: "r2", Name: "New", UserIDs: []string{"a6"},
		Method: oc.MethodRoundRobin, OldPolicy: oc.PolicyAvailable, SourceIDs: []string{e.conn.ID}})
	require.NoError(t, err)
	assert.Equal(t, "a6", e.conversationOf("u1").AssigneeID, "open conversation distributed")
	assert.Empty(t, e.conversationOf("u2").AssigneeID, "done conversation is not available")
}
