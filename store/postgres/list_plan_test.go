package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestListIsPlannedForItsValues: the list query is not kept as a prepared statement, so PostgreSQL
// plans it for the values at hand every time. A cached generic plan of a deep page of
// "done + category + classification" took 20–30 ms at 1M conversations (a BitmapAnd and a sort)
// where the plan for the values walks one index in order (3 ms).
func TestListIsPlannedForItsValues(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	seedList(t, s, schema, 4, 500)
	cursor := &omnichannel.Cursor{LastMessageAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), ConversationID: "c-00100"}
	q := omnichannel.ConversationQuery{WorkspaceID: "ws-1", Statuses: []omnichannel.ConversationStatus{omnichannel.StatusDone},
		ClassificationIDs: []string{"cl-4"}, After: cursor}
	n, err := postgres.PreparedListStatements(t.Context(), s, q)
	require.NoError(t, err)
	require.Zero(t, n, "the list query must not be a prepared statement (its generic plan can be far slower)")
}
