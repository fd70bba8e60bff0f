package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// insertRawConversation writes an open, unassigned conversation of workspace "ws" with raw SQL (a
// file of an older schema version, which the Tx methods cannot write), its contact and identity
// ids equal to its id.
func insertRawConversation(t *testing.T, conn *sql.Conn, id, connection, name, fold, phone string, inbound, lastMessageAt int64) {
	t.Helper()
	_, err := conn.ExecContext(t.Context(), `INSERT INTO conversations (workspace_id, id, connection_id,
		channel_kind, contact_id, identity_id, contact_name, contact_name_fold, contact_phone, contact_phone_digits,
		status, assignee_id, team_id, rule_id, awaiting_claim, claimed, historical, category_id, category_path,
		category1, category2, category3, classification_id, note, referral, last_seq, inbound_count,
		replies_since_inbound, last_message_text, last_message_at, last_message_direction, last_inbound_at,
		created_at, updated_at, version)
		VALUES ('ws', ?, ?, 'zalo', ?, ?, ?, ?, ?, ltrim(?, '+'), 'open', '', '', '', 0, 0, 0, '', 'null',
		'', '', '', '', '', '', ?, ?, 0, '', ?, 'in', 0, 0, 0, 1)`,
		id, connection, id, id, name, fold, phone, phone, inbound, inbound, lastMessageAt)
	require.NoError(t, err)
}

// migrationVersion returns the version of the migration named name.
func migrationVersion(t *testing.T, name string) int {
	t.Helper()
	all, err := migrations()
	require.NoError(t, err)
	for _, m := range all {
		if m.name == name {
			return m.version
		}
	}
	t.Fatalf("no migration named %q", name)
	return 0
}

// TestMigrateSearchFold opens a file written before search folded accents (its contact_name_fold
// lower-cased only, and its trigram index built from that) and checks that the migration
// recomputes the folds of the existing rows with omnichannel.FoldSearch, rebuilds the trigram
// index from them, and puts its update trigger back.
func TestMigrateSearchFold(t *testing.T) {
	before := migrationVersion(t, "search_fold_accents") - 1
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	conn, err := db.Conn(t.Context())
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), conn, before))
	names := []string{"Trần Thị Bích", "Nguyễn Văn An", "NGUYỄN VĂN BẢO", "Đỗ Đức Dũng", "Anna Smith"}
	for i, name := range names {
		insertRawConversation(t, conn, "c"+string(rune('1'+i)), "z1", name, strings.ToLower(name), "", 1, int64(i))
	}
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())

	s, err := Open(t.Context(), Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	search := func(term string) []string {
		var ids []string
		require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
			list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", Search: term})
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			return err
		}))
		return ids
	}
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		for i, name := range names {
			var fold string
			require.NoError(t, tx.(*txn).q.queryRow(`SELECT contact_name_fold FROM conversations WHERE id = ?`,
				"c"+string(rune('1'+i))).Scan(&fold))
			assert.Equal(t, omnichannel.FoldSearch(name), fold)
		}
		// Each term probes the trigram index (three characters or more, few matches), so these
		// find rows only if the index holds the new folds.
		plan, err := tx.(*txn).searchPlan(omnichannel.ConversationQuery{WorkspaceID: "ws", Search: "bich"})
		require.NoError(t, err)
		require.NotNil(t, plan, "the search reads the trigram index")
		assert.Equal(t, "[1]", plan.hits)
		return nil
	}))
	assert.Equal(t, []string{"c1"}, search("bich"))
	assert.Equal(t, []string{"c1"}, search("Trần Thị Bích"))
	assert.Equal(t, []string{"c3", "c2"}, search("Nguyen Van"))
	assert.Equal(t, []string{"c3", "c2"}, search("NGUYỄN VĂN"))
	assert.Equal(t, []string{"c4"}, search("do duc"))
	assert.Equal(t, []string{"c5"}, search("anna"))

	// The index stays consistent with the table, and the update trigger is back.
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		if err := ExecInTx(tx, `INSERT INTO conversations_search (conversations_search, rank) VALUES ('integrity-check', 1)`); err != nil {
			return err
		}
		c, err := tx.GetConversation("ws", "c1")
		if err != nil {
			return err
		}
		c.ContactName = "Lý Thị Ánh"
		return tx.UpdateConversation(c)
	}))
	assert.Empty(t, search("bich"))
	assert.Equal(t, []string{"c1"}, search("ly thi anh"))
	versions, _ := schemaState(t, path)
	assert.Equal(t, allVersions(), versions)
}
