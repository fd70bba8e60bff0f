package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// seedClaimCases stores workspace "w" (agents a1, a2 and off (deactivated) in rule "rule", agent out
// outside it, supervisor sup; connection "shared" on the rule, "mine" only-me for a2; waiting
// conversations c1, c2 on the rule, c3 on "mine", c4 on a deleted rule) and workspace "o" with a
// user ox and its own conversation c1.
func seedClaimCases(t testing.TB, st omnichannel.Store) {
	t.Helper()
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	err := st.Update(context.Background(), func(tx omnichannel.Tx) error {
		users := []*omnichannel.User{
			{WorkspaceID: "w", ID: "a1", Role: omnichannel.RoleAgent, Active: true},
			{WorkspaceID: "w", ID: "a2", Role: omnichannel.RoleAgent, Active: true},
			{WorkspaceID: "w", ID: "off", Role: omnichannel.RoleAgent},
			{WorkspaceID: "w", ID: "out", Role: omnichannel.RoleAgent, Active: true},
			{WorkspaceID: "w", ID: "sup", Role: omnichannel.RoleSupervisor, Active: true},
			{WorkspaceID: "o", ID: "ox", Role: omnichannel.RoleSupervisor, Active: true},
		}
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		if err := tx.PutRule(&omnichannel.Rule{WorkspaceID: "w", ID: "rule", SourceIDs: []string{"shared"},
			UserIDs: []string{"a1", "a2", "off"}, Method: omnichannel.MethodClaim}); err != nil {
			return err
		}
		conns := []*omnichannel.Connection{
			{WorkspaceID: "w", ID: "shared", Kind: "fake", ExternalID: "s", Status: omnichannel.ConnectionConnected,
				Permission: omnichannel.PermissionShared, RuleID: "rule",
				Credentials: omnichannel.Credentials{AccessToken: "secret-token"}},
			{WorkspaceID: "w", ID: "mine", Kind: "fake", ExternalID: "m", Status: omnichannel.ConnectionConnected,
				Permission: omnichannel.PermissionOnlyMe, OwnerID: "a2"},
			{WorkspaceID: "o", ID: "theirs", Kind: "fake", ExternalID: "t", Status: omnichannel.ConnectionConnected,
				Permission: omnichannel.PermissionShared},
		}
		for _, c := range conns {
			c.CreatedAt, c.UpdatedAt, c.Version = at, at, 1
			if err := tx.PutConnection(c); err != nil {
				return err
			}
		}
		convs := []*omnichannel.Conversation{
			{WorkspaceID: "w", ID: "c1", ConnectionID: "shared", RuleID: "rule"},
			{WorkspaceID: "w", ID: "c2", ConnectionID: "shared", RuleID: "rule"},
			{WorkspaceID: "w", ID: "c3", ConnectionID: "mine"},
			{WorkspaceID: "w", ID: "c4", ConnectionID: "shared", RuleID: "deleted-rule"},
			{WorkspaceID: "o", ID: "c1", ConnectionID: "theirs"},
		}
		for i, c := range convs {
			c.ChannelKind, c.IdentityID, c.ContactID = "fake", fmt.Sprintf("id-%d", i), fmt.Sprintf("ct-%d", i)
			c.Status, c.AwaitingClaim, c.LastSeq, c.InboundCount = omnichannel.StatusOpen, true, 0, 1
			c.LastMessageAt, c.LastInboundAt, c.CreatedAt, c.UpdatedAt, c.Version = at, at, at, at, 1
			if err := tx.InsertConversation(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClaimOutcomes runs the same claims, in order, on the memory store (Engine.Claim reads row by
// row) and on PostgreSQL (through its batched reads), and requires the same outcome from both.
func TestClaimOutcomes(t *testing.T) {
	steps := []struct {
		user, conv string
		want       error  // nil: the claim succeeds
		owner      string // the conversation's assignee afterwards ("" for no check)
	}{
		{"ghost", "c1", omnichannel.ErrForbidden, ""},
		{"ox", "c1", omnichannel.ErrForbidden, ""}, // a user of another workspace
		{"a1", "nope", omnichannel.ErrNotFound, ""},
		{"off", "c1", omnichannel.ErrForbidden, ""},
		{"out", "c1", omnichannel.ErrForbidden, ""}, // not one of the rule's users
		{"a1", "c1", nil, "a1"},
		{"a1", "c1", nil, "a1"}, // claiming one's own conversation again changes nothing
		{"a2", "c1", omnichannel.ErrAlreadyClaimed, "a1"},
		{"sup", "c2", nil, "sup"},                  // supervisors need not be in the rule
		{"a1", "c3", omnichannel.ErrForbidden, ""}, // only-me connection of a2
		{"a2", "c3", nil, "a2"},
		{"out", "c4", nil, "out"}, // the rule was deleted: anyone may claim
	}
	stores := map[string]omnichannel.Store{"memory": memory.New(), "postgres": openStore(t, newSchema(t))}
	for name, st := range stores {
		t.Run(name, func(t *testing.T) {
			seedClaimCases(t, st)
			eng := bigInboxEngine(t, st)
			ctx := context.Background()
			for _, s := range steps {
				conv, err := eng.Claim(ctx, "w", s.user, s.conv)
				switch {
				case s.want == nil && err != nil:
					t.Fatalf("%s claims %s: %v", s.user, s.conv, err)
				case s.want != nil && !errors.Is(err, s.want):
					t.Fatalf("%s claims %s: got %v, want %v", s.user, s.conv, err, s.want)
				case s.want == nil && (conv == nil || conv.AssigneeID != s.owner || conv.AwaitingClaim || !conv.Claimed):
					t.Fatalf("%s claims %s: returned %+v", s.user, s.conv, conv)
				case s.want != nil && conv != nil:
					t.Fatalf("%s claims %s: a conversation returned with the error", s.user, s.conv)
				}
				var claimed *omnichannel.ClaimedError
				if errors.As(err, &claimed) && claimed.ClaimedBy != s.owner {
					t.Fatalf("%s claims %s: ClaimedBy %q, want %q", s.user, s.conv, claimed.ClaimedBy, s.owner)
				}
			}
			// One "claimed" entry per claimed conversation (the repeated claim of c1 added none),
			// and the other workspace's c1 untouched.
			err := st.View(ctx, func(tx omnichannel.Tx) error {
				for _, id := range []string{"c1", "c2", "c3", "c4"} {
					msgs, err := tx.ListMessages("w", id, 0, 10)
					if err != nil {
						return err
					}
					if len(msgs) != 1 || msgs[0].Activity == nil || msgs[0].Activity.Action != omnichannel.ActivityClaimed {
						return fmt.Errorf("%s has %d entries, want one claimed entry", id, len(msgs))
					}
				}
				other, err := tx.GetConversation("o", "c1")
				if err != nil {
					return err
				}
				if other.AssigneeID != "" || !other.AwaitingClaim || other.Version != 1 {
					return fmt.Errorf("the other workspace's c1 changed: %+v", other)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestClaimRace races every agent over a few waiting conversations at once on PostgreSQL: each
// conversation is won exactly once, and every loser gets ErrAlreadyClaimed naming the winner.
func TestClaimRace(t *testing.T) {
	st := openStore(t, newSchema(t))
	seedClaimCases(t, st)
	eng := bigInboxEngine(t, st)
	ctx := context.Background()
	var mu sync.Mutex
	winners := map[string][]string{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, user := range []string{"a1", "a2", "sup"} {
		for range 3 {
			for _, conv := range []string{"c1", "c2", "c4"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					c, err := eng.Claim(ctx, "w", user, conv)
					var claimed *omnichannel.ClaimedError
					switch {
					case err == nil:
						mu.Lock()
						if len(winners[conv]) == 0 || winners[conv][0] != user { // a repeat by the winner is no new win
							winners[conv] = append(winners[conv], user)
						}
						mu.Unlock()
						if c.AssigneeID != user {
							t.Errorf("%s won %s but it is assigned to %q", user, conv, c.AssigneeID)
						}
					case errors.As(err, &claimed):
						if claimed.ClaimedBy == user || claimed.ClaimedBy == "" {
							t.Errorf("%s lost %s to %q", user, conv, claimed.ClaimedBy)
						}
					default:
						t.Errorf("%s claims %s: %v", user, conv, err)
					}
				}()
			}
		}
	}
	close(start)
	wg.Wait()
	for _, conv := range []string{"c1", "c2", "c4"} {
		if len(winners[conv]) != 1 {
			t.Errorf("%s won by %v, want exactly one user", conv, winners[conv])
		}
	}
}
