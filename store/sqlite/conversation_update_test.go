package sqlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// partialFixture is a store with two connections, a pool of contacts and identities, conversations
// and read states, for the partial-update tests.
type partialFixture struct {
	s          *Store
	convs      []string
	contacts   []string
	identities []string
}

const partialWS = "ws-p"

func newPartialFixture(t *testing.T, convs int) *partialFixture {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "partial.db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	f := &partialFixture{s: s}
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		for _, c := range []string{"z1", "z2"} {
			if err := tx.PutConnection(&omnichannel.Connection{WorkspaceID: partialWS, ID: c, Kind: "zalooa",
				ExternalID: "oa-" + c, Status: omnichannel.ConnectionConnected}); err != nil {
				return err
			}
		}
		for i := range 2 * convs {
			id := fmt.Sprintf("%03d", i)
			if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: partialWS, ID: "ct-" + id, Name: "Khách " + id,
				CreatedAt: base, UpdatedAt: base}); err != nil {
				return err
			}
			if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: partialWS, ID: "idn-" + id, ContactID: "ct-" + id,
				ConnectionID: "z1", ChannelKind: "zalooa", ExternalUserID: "u-" + id, DisplayName: "Khách " + id,
				CreatedAt: base, UpdatedAt: base}); err != nil {
				return err
			}
			f.contacts = append(f.contacts, "ct-"+id)
			f.identities = append(f.identities, "idn-"+id)
		}
		for i := range convs {
			id := fmt.Sprintf("%03d", i)
			c := &omnichannel.Conversation{WorkspaceID: partialWS, ID: "conv-" + id, ConnectionID: "z1", ChannelKind: "zalooa",
				ContactID: "ct-" + id, IdentityID: "idn-" + id, ContactName: "Khách " + id, Status: omnichannel.StatusOpen,
				InboundCount: int64(i % 3), LastSeq: 3, LastMessageAt: base.Add(time.Duration(i) * time.Minute),
				CreatedAt: base, UpdatedAt: base, Version: 1}
			if err := tx.InsertConversation(c); err != nil {
				return err
			}
			f.convs = append(f.convs, c.ID)
			for u, user := range []string{"u1", "u2"} {
				if (i+u)%2 == 0 {
					if err := tx.PutReadState(&omnichannel.ReadState{WorkspaceID: partialWS, UserID: user, ConversationID: c.ID,
						InboundCount: c.InboundCount - int64(u), Seq: 3, ReadAt: base}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}))
	return f
}

// mutate changes a random subset of c's fields (at least one, often only the summary columns a new
// message changes, as the engine does), with values drawn from small pools so that changes back
// and forth, collisions of the (connection, identity) key and unchanged "changes" all happen.
func (f *partialFixture) mutate(rng *rand.Rand, c *omnichannel.Conversation) {
	pick := func(pool ...string) string { return pool[rng.IntN(len(pool))] }
	at := func() time.Time {
		return time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(100_000)) * time.Second)
	}
	mutators := []func(){
		func() { c.ConnectionID = pick("z1", "z2") },
		func() { c.ChannelKind = omnichannel.Kind(pick("zalooa", "tiktok")) },
		func() { c.ContactID = pick(f.contacts...) },
		func() { c.IdentityID = pick(f.identities...) },
		func() { c.ContactName = pick("Nguyễn Văn An", "NGUYỄN VĂN AN", "Trần Thị Bình", "") },
		func() { c.ContactPhone = pick("", "+84912345678", "+84987654321") },
		func() { c.Status = omnichannel.ConversationStatus(pick("open", "done")) },
		func() { c.AssigneeID = pick("", "agent-1", "agent-2") },
		func() { c.TeamID = pick("", "team-1") },
		func() { c.RuleID = pick("", "rule-1") },
		func() { c.AwaitingClaim = rng.IntN(2) == 0 },
		func() { c.Claimed = rng.IntN(2) == 0 },
		func() { c.Historical = rng.IntN(2) == 0 },
		func() {
			paths := [][]string{nil, {"a"}, {"a", "b"}, {"a", "b", "c"}, {"x", "b"}}
			c.CategoryPath = paths[rng.IntN(len(paths))]
			c.CategoryID = strings.Join(c.CategoryPath, "/")
		},
		func() { c.ClassificationID = pick("", "sale", "spam") },
		func() { c.Note = pick("", "gọi lại", "VIP") },
		func() { c.Referral = pick("", "ad-7") },
		func() { c.RepliesSinceInbound = rng.IntN(3) },
		func() { c.CreatedAt = at() },
		func() { c.LastInboundAt = at() },
		// A new message: the summary columns, as the engine's appendEntry sets them.
		func() {
			c.LastSeq++
			if rng.IntN(3) > 0 {
				c.InboundCount++
			}
			c.LastMessageText = pick("xin chào", "giá bao nhiêu?", "cảm ơn")
			c.LastMessageAt = at()
			c.LastMessageDirection = omnichannel.Direction(pick("in", "out"))
		},
	}
	for {
		mutators[rng.IntN(len(mutators))]()
		if rng.IntN(3) == 0 {
			break
		}
	}
	c.UpdatedAt = at()
}

// storedColumns reads the columns conversationValues writes, and the version, as stored.
func storedColumns(tx omnichannel.Tx, id string) ([]any, error) {
	vals := make([]any, len(conversationSetColumns)+1)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := tx.(*txn).q.queryRow(`SELECT `+strings.Join(conversationSetColumns, ", ")+`, version
		FROM conversations WHERE workspace_id = ? AND id = ?`, partialWS, id).Scan(ptrs...)
	return vals, err
}

// checkCounters compares the maintained counters and the search index with a recount.
func checkCounters(t *testing.T, s *Store) {
	t.Helper()
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		for _, q := range []string{
			// conversation_counts rows that disagree with a recount (either side missing counts as 0).
			`SELECT count(*) FROM (
				SELECT workspace_id, connection_id, count(*) AS total, sum(inbound_count > 0) AS with_inbound
				FROM conversations GROUP BY 1, 2
				EXCEPT SELECT workspace_id, connection_id, total, with_inbound FROM conversation_counts WHERE total <> 0)`,
			`SELECT count(*) FROM (
				SELECT workspace_id, connection_id, total, with_inbound FROM conversation_counts WHERE total <> 0
				EXCEPT SELECT workspace_id, connection_id, count(*), sum(inbound_count > 0) FROM conversations GROUP BY 1, 2)`,
			// read_counts: the users whose read state covers every inbound message, per connection.
			`SELECT count(*) FROM (
				SELECT r.workspace_id, r.user_id, c.connection_id, count(*) FROM read_states r
				JOIN conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
				WHERE c.inbound_count > 0 AND r.inbound_count >= c.inbound_count GROUP BY 1, 2, 3
				EXCEPT SELECT workspace_id, user_id, connection_id, up_to_date FROM read_counts WHERE up_to_date <> 0)`,
			`SELECT count(*) FROM (
				SELECT workspace_id, user_id, connection_id, up_to_date FROM read_counts WHERE up_to_date <> 0
				EXCEPT SELECT r.workspace_id, r.user_id, c.connection_id, count(*) FROM read_states r
				JOIN conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
				WHERE c.inbound_count > 0 AND r.inbound_count >= c.inbound_count GROUP BY 1, 2, 3)`,
		} {
			var bad int
			require.NoError(t, tx.(*txn).q.queryRow(q).Scan(&bad))
			assert.Zero(t, bad, "counter rows differing from a recount:\n%s", q)
		}
		return nil
	}))
	_, err := s.writer.conn.ExecContext(t.Context(),
		`INSERT INTO conversations_search (conversations_search, rank) VALUES ('integrity-check', 1)`)
	require.NoError(t, err, "the search index agrees with the table")
}

// TestPartialUpdateMatchesFullWrite is a property test of UpdateConversation's partial SET list:
// after random changes, one or several per transaction, read in the same transaction or not, every
// stored column equals what a write of every column would have stored, failed updates leave the
// row as it was, and the counters and the search index (kept by triggers that fire only for the
// columns named) agree with a recount.
func TestPartialUpdateMatchesFullWrite(t *testing.T) {
	f := newPartialFixture(t, 12)
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]any{}
	for round := range 300 {
		id := f.convs[rng.IntN(len(f.convs))]
		// Sometimes the conversation comes from an earlier View: the Update has no snapshot of it.
		var stale *omnichannel.Conversation
		if rng.IntN(4) == 0 {
			require.NoError(t, f.s.View(t.Context(), func(tx omnichannel.Tx) (err error) {
				stale, err = tx.GetConversation(partialWS, id)
				return err
			}))
		}
		var staged []any
		err := f.s.Update(t.Context(), func(tx omnichannel.Tx) error {
			c := stale
			if c == nil {
				var err error
				if rng.IntN(2) == 0 {
					c, err = tx.GetConversation(partialWS, id)
				} else {
					var cur *omnichannel.Conversation
					if cur, err = tx.GetConversation(partialWS, id); err == nil {
						c, err = tx.FindConversation(partialWS, cur.ConnectionID, cur.IdentityID)
					}
				}
				if err != nil {
					return err
				}
			}
			for range 1 + rng.IntN(3) { // later saves in the same transaction start from the last write
				f.mutate(rng, c)
				if err := tx.UpdateConversation(c); err != nil {
					return err
				}
			}
			vals, err := conversationValues(c)
			if err != nil {
				return err
			}
			for i, v := range vals {
				if n, ok := v.(int); ok { // the driver reads every INTEGER back as int64
					vals[i] = int64(n)
				}
			}
			staged = append(vals, c.Version)
			return nil
		})
		if err != nil {
			require.True(t, errors.Is(err, omnichannel.ErrDuplicate), "round %d: %v", round, err)
		} else {
			want[id] = staged
		}
		require.NoError(t, f.s.View(t.Context(), func(tx omnichannel.Tx) error {
			for id, w := range want {
				got, err := storedColumns(tx, id)
				require.NoError(t, err)
				require.Equal(t, w, got, "round %d, conversation %s (columns %v, version)", round, id, conversationSetColumns)
			}
			return nil
		}))
	}
	assert.NotEmpty(t, want)
	checkCounters(t, f.s)
}

// TestPartialUpdateNamesOnlyChangedColumns: a conversation read in the transaction and changed as a
// new message changes it is written with the summary columns only; a snapshot of another version
// is not used.
func TestPartialUpdateNamesOnlyChangedColumns(t *testing.T) {
	// Start with no shapes known: the property test may have used up maxPartialUpdateShapes.
	partialUpdates.Lock()
	partialUpdates.byMask = nil
	partialUpdates.Unlock()
	f := newPartialFixture(t, 1)
	require.NoError(t, f.s.Update(t.Context(), func(omniTx omnichannel.Tx) error {
		tx := omniTx.(*txn)
		c, err := tx.GetConversation(partialWS, f.convs[0])
		require.NoError(t, err)
		vals, err := conversationValues(c)
		require.NoError(t, err)
		mask, ok := tx.changedColumns(c, vals)
		require.True(t, ok)
		assert.Zero(t, mask, "nothing changed")

		c.LastMessageAt = c.LastMessageAt.Add(time.Minute)
		c.UpdatedAt = c.UpdatedAt.Add(time.Minute)
		vals, err = conversationValues(c)
		require.NoError(t, err)
		mask, ok = tx.changedColumns(c, vals)
		require.True(t, ok)
		var names []string
		for i, col := range conversationSetColumns {
			if mask&(1<<i) != 0 {
				names = append(names, col)
			}
		}
		assert.Equal(t, []string{"last_message_at", "updated_at"}, names)
		query, ok := partialUpdateSQL(mask)
		require.True(t, ok)
		assert.Equal(t, "UPDATE conversations SET last_message_at = ?, updated_at = ?, version = version + 1 "+
			"WHERE workspace_id = ? AND id = ? AND version = ?", query)

		require.NoError(t, tx.UpdateConversation(c))
		old := *c
		old.Version--
		_, ok = tx.changedColumns(&old, vals)
		assert.False(t, ok, "the snapshot is of the version written, not the one before")
		return nil
	}))
}

// TestPartialUpdateKeepsConflicts: a conversation changed by another transaction after it was read
// is a conflict, whether or not the updating transaction holds a snapshot of it.
func TestPartialUpdateKeepsConflicts(t *testing.T) {
	f := newPartialFixture(t, 1)
	var old *omnichannel.Conversation
	require.NoError(t, f.s.View(t.Context(), func(tx omnichannel.Tx) (err error) {
		old, err = tx.GetConversation(partialWS, f.convs[0])
		return err
	}))
	require.NoError(t, f.s.Update(t.Context(), func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation(partialWS, f.convs[0])
		if err != nil {
			return err
		}
		c.Note = "moved on"
		return tx.UpdateConversation(c)
	}))
	err := f.s.Update(t.Context(), func(tx omnichannel.Tx) error {
		old.Note = "stale write"
		return tx.UpdateConversation(old)
	})
	assert.ErrorIs(t, err, omnichannel.ErrConflict)
	err = f.s.Update(t.Context(), func(tx omnichannel.Tx) error {
		if _, err := tx.GetConversation(partialWS, f.convs[0]); err != nil {
			return err
		}
		return tx.UpdateConversation(old) // holds a snapshot, of a newer version
	})
	assert.ErrorIs(t, err, omnichannel.ErrConflict)
}
