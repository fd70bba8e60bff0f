package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestCompactKeepsSearchIndexRight: VACUUM may renumber the rowids of conversations (SQLite does
// not promise to keep them for tables without an INTEGER PRIMARY KEY) and the search index points
// at rowids; after Compact of a table with a gap, the index agrees with the table and finds exactly
// what the scan finds.
func TestCompactKeepsSearchIndexRight(t *testing.T) {
	s := seedSearch(t)
	// A gap at the start of the table makes VACUUM renumber every following row.
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		return ExecInTx(tx, `DELETE FROM conversations WHERE workspace_id = 'ws-1' AND id = 'ws-1-c00'`)
	}))
	require.NoError(t, s.Compact(t.Context()))
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		return ExecInTx(tx, `INSERT INTO conversations_search(conversations_search, rank) VALUES('integrity-check', 1)`)
	}), "the search index agrees with the table after Compact")

	for _, search := range []string{"nguyễn", "đức đạt", "anh", "Văn An"} {
		q := omnichannel.ConversationQuery{WorkspaceID: "ws-1", Search: search}
		scan := listWith(t, s, q, nil)
		assert.Equal(t, scan, listWith(t, s, q, indexPlan(t, s, q)), "%q through the index after Compact", search)
	}
}
