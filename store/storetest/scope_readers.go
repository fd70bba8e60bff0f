package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// scopeReaderTests check the reads of a claim, of a list's scope and of the unread badge: through
// the store's ClaimReader, ScopeReader and UnreadScopeReader when its Tx has them (the engine's fast
// paths), one by one otherwise (the engine's fallbacks). Either way the result must be what the
// single reads return.
func scopeReaderTests() []test {
	return []test{
		{"ReadForClaim", testReadForClaim},
		{"ReadScope", testReadScope},
		{"ReadUnreadScope", testReadUnreadScope},
	}
}

// claimSnapshot reads through tx's ClaimReader, or assembles the snapshot from single reads.
func claimSnapshot(tx omnichannel.Tx, ws, user, conv string) (*omnichannel.ClaimSnapshot, error) {
	if r, ok := tx.(omnichannel.ClaimReader); ok {
		return r.ReadForClaim(ws, user, conv)
	}
	s := &omnichannel.ClaimSnapshot{}
	var err error
	if s.User, err = absentIsNil(tx.GetUser(ws, user)); err != nil {
		return nil, err
	}
	if s.Conversation, err = absentIsNil(tx.GetConversation(ws, conv)); err != nil || s.Conversation == nil {
		return s, err
	}
	if s.Connection, err = absentIsNil(tx.GetConnection(ws, s.Conversation.ConnectionID)); err != nil {
		return nil, err
	}
	if s.Conversation.RuleID != "" {
		rule, err := absentIsNil(tx.GetRule(ws, s.Conversation.RuleID))
		if err != nil {
			return nil, err
		}
		s.RuleFound = rule != nil
		s.InRule = rule != nil && slices.Contains(rule.UserIDs, user)
	}
	return s, nil
}

// absentIsNil turns ErrNotFound into a nil value.
func absentIsNil[T any](v *T, err error) (*T, error) {
	if errors.Is(err, omnichannel.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// withoutCredentials is c with the credentials a scope or claim reader may leave out.
func withoutCredentials(c *omnichannel.Connection) *omnichannel.Connection {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Credentials = omnichannel.Credentials{}
	return &cp
}

func testReadForClaim(t *testing.T, s omnichannel.Store) {
	withRule := fullConversation(ws1, "c-rule")
	withRule.RuleID = "rule-1"
	noRule := fullConversation(ws1, "c-none")
	noRule.RuleID, noRule.IdentityID = "", "idn-none"
	goneRule := fullConversation(ws1, "c-gone")
	goneRule.RuleID, goneRule.IdentityID = "rule-deleted", "idn-gone"
	twin := fullConversation(ws2, "c-rule") // the same ids in another workspace
	insertConversations(t, s, withRule, noRule, goneRule, twin)
	update(t, s, func(tx omnichannel.Tx) error {
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
			require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
				got, err := claimSnapshot(tx, tc.ws, tc.user, tc.conv)
				if err != nil {
					return err
				}
				u, _ := absentIsNil(tx.GetUser(tc.ws, tc.user))
				c, _ := absentIsNil(tx.GetConversation(tc.ws, tc.conv))
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

// scopeOf reads through tx's ScopeReader, or reads the user and the connections one by one.
func scopeOf(tx omnichannel.Tx, ws, user string) (*omnichannel.User, []*omnichannel.Connection, error) {
	if r, ok := tx.(omnichannel.ScopeReader); ok {
		return r.ReadScope(ws, user)
	}
	u, err := absentIsNil(tx.GetUser(ws, user))
	if err != nil {
		return nil, nil, err
	}
	conns, err := tx.ListConnections(ws)
	return u, conns, err
}

// seedScope stores two connections and a user in ws1, one connection and a user in ws2.
func seedScope(t *testing.T, s omnichannel.Store) {
	t.Helper()
	update(t, s, func(tx omnichannel.Tx) error {
		return errors.Join(tx.PutConnection(fullConnection(ws1, "conn-a")), tx.PutConnection(fullConnection(ws1, "conn-b")),
			tx.PutConnection(fullConnection(ws2, "conn-z")), tx.PutUser(fullUser(ws1, "u-1")), tx.PutUser(fullUser(ws2, "u-9")))
	})
}

// connectionIDs are the ids of conns, sorted.
func connectionIDs(conns []*omnichannel.Connection) []string {
	var ids []string
	for _, c := range conns {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func testReadScope(t *testing.T, s omnichannel.Store) {
	seedScope(t, s)
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
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

func testReadUnreadScope(t *testing.T, s omnichannel.Store) {
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
	update(t, s, func(tx omnichannel.Tx) error {
		return errors.Join(tx.PutReadState(fullReadState(ws1, "u-1", "c-a", 3)), // read up to date
			tx.PutReadState(fullReadState(ws1, "u-1", "c-b", 1))) // one of two read
	})
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		var u *omnichannel.User
		var conns []*omnichannel.Connection
		counts := map[string]int{}
		if r, ok := tx.(omnichannel.UnreadScopeReader); ok {
			var err error
			if u, conns, counts, err = r.ReadUnreadScope(ws1, "u-1"); err != nil {
				return err
			}
		} else {
			var err error
			if u, conns, err = scopeOf(tx, ws1, "u-1"); err != nil {
				return err
			}
			for _, c := range conns {
				n, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: ws1, ViewerID: "u-1", ConnectionIDs: []string{c.ID}})
				if err != nil {
					return err
				}
				counts[c.ID] = n
			}
		}
		require.NotNil(t, u)
		assert.Equal(t, "u-1", u.ID)
		assert.Equal(t, []string{"conn-a", "conn-b"}, connectionIDs(conns))
		for _, id := range []string{"conn-a", "conn-b"} {
			want, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: ws1, ViewerID: "u-1", ConnectionIDs: []string{id}})
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
