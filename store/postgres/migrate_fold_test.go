package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestMigrateSearchFold opens a schema of the version before search folded accents, whose
// contact_name_folded holds lower-cased names, and checks that migration 0005 recomputes the folds
// of the existing rows with omnichannel.FoldSearch (across several batches), builds the trigram
// index of the names again, and that searches typed with or without accents then find the rows.
func TestMigrateSearchFold(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	require.NoError(t, postgres.MigrateUpTo(ctx, databaseURL(t), schema, "0005_search_fold_accents.sql"))
	conn, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	names := []string{"Trần Thị Bích", "Nguyễn Văn An", "NGUYỄN VĂN BẢO", "Đỗ Đức Dũng", "Anna Smith"}
	const rows = 12_000 // more than two batches of the migration
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = conn.Exec(ctx, `INSERT INTO `+schema+`.conversations (workspace_id, id, connection_id, channel_kind,
		contact_id, identity_id, contact_name, contact_name_folded, contact_phone, status, assignee_id, team_id,
		rule_id, awaiting_claim, claimed, historical, category_id, category_path, classification_id, note, referral,
		last_seq, inbound_count, replies_since_inbound, last_message_text, last_message_at, last_message_direction,
		last_inbound_at, created_at, updated_at, version)
		SELECT 'ws', 'c' || lpad(i::text, 5, '0'), 'z1', 'zalo', 'k' || i, 'i' || i, n.name, lower(n.name), '', 'open',
			'', '', '', false, false, false, '', '{}', '', '', '', 1, 1, 0, '', $1::timestamptz + i * interval '1 minute',
			'in', $1, $1, $1, 1
		FROM generate_series(0, $2 - 1) AS i, LATERAL (SELECT ($3::text[])[1 + i % 5] AS name) n`,
		base, rows, names)
	require.NoError(t, err)

	s := openStore(t, schema)
	var stale int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.conversations WHERE contact_name_folded <> ALL($1)`,
		[]string{"tran thi bich", "nguyen van an", "nguyen van bao", "do duc dung", "anna smith"}).Scan(&stale))
	assert.Zero(t, stale, "every fold recomputed")
	for _, name := range names {
		var fold string
		require.NoError(t, conn.QueryRow(ctx, `SELECT contact_name_folded FROM `+schema+`.conversations
			WHERE contact_name = $1 LIMIT 1`, name).Scan(&fold))
		assert.Equal(t, omnichannel.FoldSearch(name), fold)
	}
	var index string
	require.NoError(t, conn.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1
		AND indexname = 'conversations_name_trgm'`, schema).Scan(&index))
	assert.Contains(t, index, "gin_trgm_ops", "the trigram index is back")
	plan, err := postgres.ExplainSearchIndexed(ctx, s, omnichannel.ConversationQuery{WorkspaceID: "ws", Search: "bich"})
	require.NoError(t, err)
	assert.Contains(t, plan, "conversations_name_trgm", plan)

	count := func(term string) int {
		n := 0
		require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
			list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", Search: term, Limit: 500})
			n = len(list)
			for _, c := range list {
				assert.Contains(t, omnichannel.FoldSearch(c.ContactName), omnichannel.FoldSearch(term))
			}
			return err
		}))
		return n
	}
	for _, term := range []string{"bich", "Trần Thị Bích", "TRAN THI", "nguyen van", "NGUYỄN VĂN", "do duc", "đỗ đức"} {
		assert.Equal(t, 500, count(term), "%q: a full page", term)
	}
	assert.Equal(t, 0, count("zzz"))
	assert.False(t, strings.Contains(plan, "Seq Scan on conversations"), plan)
}
