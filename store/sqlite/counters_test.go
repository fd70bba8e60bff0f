package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestMigration3BackfillsCountersAndSearch writes conversations and read states into a file of
// schema version 2, then opens it: migration 3 must count and index the rows that were there.
func TestMigration3BackfillsCountersAndSearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	conn, err := db.Conn(t.Context())
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), conn, 2))
	rows := []struct {
		id, conn, name, phone string
		inbound               int
	}{
		{"c1", "z1", "Nguyễn Văn An", "+84912345678", 3},
		{"c2", "z1", "Trần Thị Bình", "", 0},
		{"c3", "z2", "Lê Minh Châu", "+84987654321", 1},
		{"c4", "z2", "NGUYỄN ANH", "", 2},
	}
	for _, r := range rows {
		insertRawConversation(t, conn, r.id, r.conn, r.name, strings.ToLower(r.name), r.phone, int64(r.inbound), 0)
	}
	for _, rs := range []struct {
		user, conv string
		inbound    int
	}{{"u1", "c1", 3}, {"u1", "c3", 0}, {"u1", "c4", 2}, {"u2", "c1", 1}, {"u2", "c2", 0}} {
		_, err := conn.ExecContext(t.Context(), `INSERT INTO read_states VALUES ('ws', ?, ?, ?, 0, 0)`,
			rs.user, rs.conv, rs.inbound)
		require.NoError(t, err)
	}
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())

	s, err := Open(t.Context(), Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		for _, tc := range []struct {
			user  string
			conns []string
			want  int
		}{{"u1", nil, 1}, {"u2", nil, 3}, {"u3", nil, 3}, {"u1", []string{"z2"}, 1}, {"u2", []string{"z1"}, 1}} {
			n, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: "ws", ViewerID: tc.user, ConnectionIDs: tc.conns})
			require.NoError(t, err)
			assert.Equal(t, tc.want, n, "%s %v", tc.user, tc.conns)
		}
		var hits []int64
		rows, err := tx.(*txn).q.query(`SELECT rowid FROM conversations_search WHERE conversations_search MATCH ? ORDER BY rowid`,
			// Migration 7 folded the accents away from the names this test wrote lower-cased.
			`contact_name_fold : "nguyen" OR contact_phone_digits : "987654"`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var id int64
			require.NoError(t, rows.Scan(&id))
			hits = append(hits, id)
		}
		require.NoError(t, rows.Err())
		assert.Len(t, hits, 3, "c1, c3, c4 are indexed")
		list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", Search: "NGUYỄN"})
		require.NoError(t, err)
		assert.Len(t, list, 2)
		return nil
	}))
}

// TestBulkLoad stores a Bulk bigger than one writer transaction, checks the rows, the counters and
// the search index, and that loading it again is ErrDuplicate.
func TestBulkLoad(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		return tx.PutConnection(&omnichannel.Connection{WorkspaceID: "ws", ID: "z1", Kind: "zalo"})
	}))
	const n = 4000
	b := &omnichannel.Bulk{}
	for i := range n {
		id := fmt.Sprintf("c%05d", i)
		b.Contacts = append(b.Contacts, &omnichannel.Contact{WorkspaceID: "ws", ID: id, Name: "Khách " + id,
			Attributes: map[string]string{"i": id}})
		b.Identities = append(b.Identities, &omnichannel.Identity{WorkspaceID: "ws", ID: id, ContactID: id,
			ConnectionID: "z1", ExternalUserID: id})
		b.Conversations = append(b.Conversations, &omnichannel.Conversation{WorkspaceID: "ws", ID: id, ConnectionID: "z1",
			ContactID: id, IdentityID: id, ContactName: "Khách " + id, CategoryPath: []string{"a", "b"}, CategoryID: "b",
			InboundCount: int64(i % 3), LastSeq: 3, Version: 1})
		for seq := int64(1); seq <= 3; seq++ {
			b.Messages = append(b.Messages, &omnichannel.Message{WorkspaceID: "ws", ID: fmt.Sprintf("%s-%d", id, seq),
				ConversationID: id, ConnectionID: "z1", Seq: seq, Text: "chào shop",
				Attachments: []omnichannel.Attachment{{Kind: "image", RemoteURL: "https://cdn.example/x.jpg"}}})
		}
		if i%2 == 0 {
			b.ReadStates = append(b.ReadStates, &omnichannel.ReadState{WorkspaceID: "ws", UserID: "u1", ConversationID: id,
				InboundCount: int64(i % 3), Seq: 3})
		}
	}
	require.Greater(t, 3*n+3*n+n/2, BulkRecordsPerUpdate, "the bulk takes more than one transaction")
	before := s.Stats().Updates
	require.NoError(t, s.BulkLoad(t.Context(), b))
	assert.Greater(t, s.Stats().Updates-before, int64(1))

	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation("ws", "c01234")
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b"}, c.CategoryPath)
		msgs, err := tx.ListMessages("ws", "c01234", 0, 10)
		require.NoError(t, err)
		require.Len(t, msgs, 3)
		assert.Equal(t, "https://cdn.example/x.jpg", msgs[0].Attachments[0].RemoteURL)
		ct, err := tx.GetContact("ws", "c01234")
		require.NoError(t, err)
		assert.Equal(t, "c01234", ct.Attributes["i"])
		// Unread for u1: inbound > 0 (2 in 3) and not read (odd i, or read but i%3 == 0 has no inbound).
		want := 0
		for i := range n {
			if i%3 > 0 && i%2 == 1 {
				want++
			}
		}
		got, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: "ws", ViewerID: "u1"})
		require.NoError(t, err)
		assert.Equal(t, want, got)
		list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", Search: "khách c0123"})
		require.NoError(t, err)
		assert.Len(t, list, 10)
		list, err = tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", CategoryIDs: []string{"b"}, Limit: 5})
		require.NoError(t, err)
		assert.Len(t, list, 5)
		return nil
	}))
	err = s.BulkLoad(t.Context(), &omnichannel.Bulk{Contacts: b.Contacts[:1]})
	assert.True(t, errors.Is(err, omnichannel.ErrDuplicate), "loaded twice: %v", err)
}
