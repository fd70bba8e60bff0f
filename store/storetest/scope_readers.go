package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// scopeReaderTests check the batched reads of a claim (store.UserRead and
// store.ConversationContextRead), of a list's scope (UserRead and ConnectionsRead) and of the
// unread badge (UnreadByConnectionRead), all sent in one Tx.ReadBatch as the engine sends them:
// the result must be what the single reads return.
func scopeReaderTests() []test {
	return []test{
		{"ConversationContext", testReadForClaim},
		{"Scope", testReadScope},
		{"UnreadByConnection", testReadUnreadScope},
	}
}

// claimView is what a claim reads: the user and the conversation with its connection and rule.
type claimView struct {
	User              *model.User
	Conversation      *model.Conversation
	Connection        *model.Connection
	RuleFound, InRule bool
}

// claimSnapshot reads what a claim needs in one batch.
func claimSnapshot(tx store.Tx, ws, user, conv string) (*claimView, error) {
	u := &store.UserRead{WorkspaceID: ws, UserID: user}
	cc := &store.ConversationContextRead{WorkspaceID: ws, ConversationID: conv}
	if err := tx.ReadBatch(context.Background(), u, cc); err != nil {
		return nil, err
	}
	return &claimView{User: u.User, Conversation: cc.Conversation, Connection: cc.Connection,
		RuleFound: cc.Rule != nil, InRule: cc.Rule != nil && slices.Contains(cc.Rule.UserIDs, user)}, nil
}

// withoutCredentials is c with the credentials a scope or claim reader may leave out.
func withoutCredentials(c *model.Connection) *model.Connection {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Credentials = model.Credentials{}
	return &cp
}

func testReadForClaim(t *testing.T, s store.Store) {
	withRule := fullConversation(ws1, "c-rule")
	withRule.RuleID = "rule-1"
	noRule := fullConversation(ws1, "c-none")
	noRule.RuleID, noRule.IdentityID = "", "idn-none"
	goneRule := fullConversation(ws1, "c-gone")
	goneRule.RuleID, goneRule.IdentityID = "rule-deleted", "idn-gone"
	twin := fullConversation(ws2, "c-rule") // the same ids in another workspace
	insertConversations(t, s, withRule, noRule, goneRule, twin)
	update(t, s, func(tx store.Tx) error {
		rule := fullRule(ws1, "rule-1") // users u-3, u-1, u-2
		other := fullRule(ws2, "rule-1")
		other.UserIDs = []string{"u-9"}
		return errors.Join(tx.PutUser(fullUser(ws1, "u-1")), tx.PutUser(fullUser(ws1, "u-7")),
			tx.PutUser(fullUser(ws2, "u-9")), tx.PutRule(rule), tx.PutRule(other))
	})
	cases := []struct {
		name, ws, user, conv      string
		hasUser, hasConv, hasConn bool
		ruleFound, inRule         bool
	}{
		{"InRule", ws1, "u-1", "c-rule", true, true, true, true, true},
		{"NotInRule", ws1, "u-7", "c-rule", true, true, true, true, false},
		{"NoRule", ws1, "u-1", "c-none", true, true, true, false, false},
		{"RuleDeleted", ws1, "u-1", "c-gone", true, true, true, false, false},
		{"UnknownUser", ws1, "ghost", "c-rule", false, true, true, true, false},
		{"UnknownConversation", ws1, "u-1", "ghost", true, false, false, false, false},
		{"OtherWorkspace", ws2, "u-9", "c-rule", true, true, true, true, true},
		{"UserOfOtherWorkspace", ws2, "u-1", "c-rule", false, true, true, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
				got, err := claimSnapshot(tx, tc.ws, tc.user, tc.conv)
				if err != nil {
					return err
				}
				u, _ := store.IgnoreNotFound(tx.GetUser(tc.ws, tc.user))
				c, _ := store.IgnoreNotFound(tx.GetConversation(tc.ws, tc.conv))
				assert.Equal(t, tc.hasUser, got.User != nil, "user")
				assert.Equal(t, u, got.User)
				assert.Equal(t, tc.hasConv, got.Conversation != nil, "conversation")
				assert.Equal(t, c, got.Conversation)
				assert.Equal(t, tc.hasConn, got.Connection != nil, "connection")
				if c != nil && got.Connection != nil {
					conn, err := tx.GetConnection(tc.ws, c.ConnectionID)
					if err != nil {
						return err
					}
					assert.Equal(t, withoutCredentials(conn), withoutCredentials(got.Connection))
				}
				assert.Equal(t, tc.ruleFound, got.RuleFound, "rule found")
				assert.Equal(t, tc.inRule, got.InRule, "in rule")
				return nil
			}))
		})
	}
}

// scopeOf reads the user and the workspace's connections in one batch.
func scopeOf(tx store.Tx, ws, user string) (*model.User, []*model.Connection, error) {
	u := &store.UserRead{WorkspaceID: ws, UserID: user}
	conns := &store.ConnectionsRead{WorkspaceID: ws}
	err := tx.ReadBatch(context.Background(), u, conns)
	return u.User, conns.Connections, err
}

// seedScope stores two connections and a user in ws1, one connection and a user in ws2.
func seedScope(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutConnection(fullConnection(ws1, "conn-a")), tx.PutConnection(fullConnection(ws1, "conn-b")),
			tx.PutConnection(fullConnection(ws2, "conn-z")), tx.PutUser(fullUser(ws1, "u-1")), tx.PutUser(fullUser(ws2, "u-9")))
	})
}

// connectionIDs are the ids of conns, sorted.
func connectionIDs(conns []*model.Connection) []string {
	var ids []string
	for _, c := range conns {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func testReadScope(t *testing.T, s store.Store) {
	seedScope(t, s)
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		u, conns, err := scopeOf(tx, ws1, "u-1")
		if err != nil {
			return err
		}
		want, err := tx.GetUser(ws1, "u-1")
		if err != nil {
			return err
		}
		assert.Equal(t, want, u)
		assert.Equal(t, []string{"conn-a", "conn-b"}, connectionIDs(conns))
		for _, c := range conns {
			one, err := tx.GetConnection(ws1, c.ID)
			if err != nil {
				return err
			}
			assert.Equal(t, withoutCredentials(one), withoutCredentials(c))
		}
		u, _, err = scopeOf(tx, ws1, "u-9")
		assert.Nil(t, u, "a user of another workspace is no viewer here")
		return err
	}))
}

func testReadUnreadScope(t *testing.T, s store.Store) {
	seedScope(t, s)
	a := fullConversation(ws1, "c-a")
	a.ConnectionID, a.InboundCount = "conn-a", 3
	a2 := fullConversation(ws1, "c-a2")
	a2.ConnectionID, a2.IdentityID, a2.InboundCount = "conn-a", "idn-a2", 1
	b := fullConversation(ws1, "c-b")
	b.ConnectionID, b.IdentityID, b.InboundCount = "conn-b", "idn-b", 2
	z := fullConversation(ws2, "c-z")
	z.ConnectionID, z.InboundCount = "conn-z", 5
	insertConversations(t, s, a, a2, b, z)
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutReadState(fullReadState(ws1, "u-1", "c-a", 3)), // read up to date
			tx.PutReadState(fullReadState(ws1, "u-1", "c-b", 1))) // one of two read
	})
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		user := &store.UserRead{WorkspaceID: ws1, UserID: "u-1"}
		scope := &store.ConnectionsRead{WorkspaceID: ws1}
		unread := &store.UnreadByConnectionRead{WorkspaceID: ws1, UserID: "u-1"}
		if err := tx.ReadBatch(t.Context(), user, scope, unread); err != nil {
			return err
		}
		u, conns, counts := user.User, scope.Connections, unread.Counts
		require.NotNil(t, u)
		assert.Equal(t, "u-1", u.ID)
		assert.Equal(t, []string{"conn-a", "conn-b"}, connectionIDs(conns))
		for _, id := range []string{"conn-a", "conn-b"} {
			want, err := tx.CountUnread(model.ConversationQuery{WorkspaceID: ws1, ViewerID: "u-1", ConnectionIDs: []string{id}})
			if err != nil {
				return err
			}
			assert.Equal(t, want, counts[id], "unread of %s", id)
		}
		assert.Equal(t, 1, counts["conn-a"], "c-a2 is unread, c-a read")
		assert.Equal(t, 1, counts["conn-b"], "c-b is partly read")
		assert.Zero(t, counts["conn-z"], "another workspace's connection")
		return nil
	}))
}
