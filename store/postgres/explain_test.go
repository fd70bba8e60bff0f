package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// seedList stores workspaces × perWorkspace conversations spread over statuses, assignees, teams,
// connections, classifications, categories and contacts, and user u-3's read states of a third of
// them, then refreshes the planner's statistics of conversations only (read_states keeps the
// statistics of an empty table, as on a fresh database).
func seedList(t *testing.T, s *postgres.Store, schema string, workspaces, perWorkspace int) {
	t.Helper()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for w := range workspaces {
		ws := fmt.Sprintf("ws-%d", w)
		require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
			for i := range perWorkspace {
				c := &omnichannel.Conversation{
					WorkspaceID: ws, ID: fmt.Sprintf("c-%05d", i), ConnectionID: fmt.Sprintf("conn-%d-%d", w, i%4),
					ChannelKind: []omnichannel.Kind{"zalooa", "tiktok"}[i%2], ContactID: fmt.Sprintf("k-%d", i%700),
					IdentityID: fmt.Sprintf("i-%05d", i), ContactName: fmt.Sprintf("Khách %d", i),
					ContactPhone: fmt.Sprintf("+8490%07d", i), Status: omnichannel.StatusOpen,
					AssigneeID: fmt.Sprintf("u-%d", i%25), TeamID: fmt.Sprintf("t-%d", i%6),
					ClassificationID: fmt.Sprintf("cl-%d", i%5), CategoryPath: []string{fmt.Sprintf("cat-%d", i%8)},
					AwaitingClaim: i%40 == 0, InboundCount: int64(i % 3),
					LastMessageAt: base.Add(time.Duration(i) * time.Minute),
				}
				if i%5 == 0 {
					c.Status = omnichannel.StatusDone
				}
				if i%25 == 24 {
					c.AssigneeID = ""
				}
				if err := tx.InsertConversation(c); err != nil {
					return err
				}
				if i%3 == 0 {
					r := &omnichannel.ReadState{WorkspaceID: ws, UserID: "u-3", ConversationID: c.ID, InboundCount: 1}
					if err := tx.PutReadState(r); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	conn, err := pgx.Connect(context.Background(), databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), "ANALYZE "+schema+".conversations")
	require.NoError(t, err)
}

// TestListUsesIndexes checks the plans of the conversation list for the common filters of SPEC A1:
// no sequential scan of the conversations table, for the filters with an ordered index pages read
// straight from it (no sort of the matching rows), and read states looked up by primary key.
func TestListUsesIndexes(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	seedList(t, s, schema, 4, 5000)
	cursor := &omnichannel.Cursor{LastMessageAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), ConversationID: "c-01000"}
	cases := []struct {
		name    string
		q       omnichannel.ConversationQuery
		ordered bool // an index yields the list order: no Sort node
	}{
		{"All", omnichannel.ConversationQuery{}, true},
		{"AllNextPage", omnichannel.ConversationQuery{After: cursor}, true},
		{"Open", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}}, true},
		{"Done", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusDone}}, true},
		{"Assignee", omnichannel.ConversationQuery{AssigneeIDs: []string{"u-3"}}, true},
		{"AssigneeNextPage", omnichannel.ConversationQuery{AssigneeIDs: []string{"u-3"}, After: cursor}, true},
		{"Unassigned", omnichannel.ConversationQuery{AssigneeIDs: []string{omnichannel.Unassigned}}, true},
		{"Team", omnichannel.ConversationQuery{TeamIDs: []string{"t-2"}}, true},
		{"Connection", omnichannel.ConversationQuery{ConnectionIDs: []string{"conn-0-1"}}, true},
		{"Channel", omnichannel.ConversationQuery{ChannelKinds: []omnichannel.Kind{"tiktok"}}, true},
		{"Classification", omnichannel.ConversationQuery{ClassificationIDs: []string{"cl-4"}}, true},
		{"Contact", omnichannel.ConversationQuery{ContactIDs: []string{"k-17"}}, true},
		{"AwaitingClaim", omnichannel.ConversationQuery{AwaitingClaim: true}, true},
		// Category: one ordered scan per path level (and the partial index of deeper paths, empty).
		{"Category", omnichannel.ConversationQuery{CategoryIDs: []string{"cat-3"}}, false},
		{"CategoryNextPage", omnichannel.ConversationQuery{CategoryIDs: []string{"cat-3"}, After: cursor}, false},
		{"CategoryUnread", omnichannel.ConversationQuery{CategoryIDs: []string{"cat-3"}, ReadState: omnichannel.ReadUnread, ViewerID: "u-3"}, false},
		{"CategoryTwo", omnichannel.ConversationQuery{CategoryIDs: []string{"cat-3", "cat-5"}}, false},
		{"Unread", omnichannel.ConversationQuery{ReadState: omnichannel.ReadUnread, ViewerID: "u-3"}, true},
		// Read: the viewer's read states in list order, and the conversations without customer
		// messages in list order; the outer sort orders at most two pages.
		{"Read", omnichannel.ConversationQuery{ReadState: omnichannel.ReadRead, ViewerID: "u-3"}, false},
		{"ReadNextPage", omnichannel.ConversationQuery{ReadState: omnichannel.ReadRead, ViewerID: "u-3", After: cursor}, false},
		{"ReadOpenTeam", omnichannel.ConversationQuery{ReadState: omnichannel.ReadRead, ViewerID: "u-3",
			Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}, TeamIDs: []string{"t-2"}}, false},
		{"OpenMineUnread", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			AssigneeIDs: []string{"u-3"}, ReadState: omnichannel.ReadUnread, ViewerID: "u-3"}, true},
		{"Search", omnichannel.ConversationQuery{Search: "khách 12"}, true},
		{"SearchShort", omnichannel.ConversationQuery{Search: "kh"}, true},
		{"SearchPhone", omnichannel.ConversationQuery{Search: "0900012", SearchDigits: "8490001"}, true},
		{"OpenAssignee", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			AssigneeIDs: []string{"u-3"}}, true},
		{"OpenConnectionUnread", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			ConnectionIDs: []string{"conn-1-1"}, ReadState: omnichannel.ReadUnread, ViewerID: "u-3"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.WorkspaceID = "ws-1"
			plan, err := postgres.ExplainList(context.Background(), s, q)
			require.NoError(t, err)
			t.Log("\n" + plan)
			assert.NotContains(t, plan, "Seq Scan on conversations", plan)
			assert.Contains(t, plan, "Index", plan)
			if tc.ordered {
				assert.NotContains(t, plan, "Sort", plan)
			}
			if q.ReadState != omnichannel.ReadAny {
				assert.Regexp(t, `read_states_(pkey|user)`, plan, "read states are looked up by key")
				assert.NotContains(t, plan, "Seq Scan on read_states", plan)
			}
			if len(q.CategoryIDs) > 0 && q.ReadState != omnichannel.ReadRead && len(q.Statuses)+len(q.TeamIDs) == 0 {
				for level := 1; level <= 3; level++ {
					assert.Regexp(t, fmt.Sprintf(`Index Scan using conversations_category%d on conversations c_\d+ [^\n]*\n\s+Index Cond: \(\(workspace_id = 'ws-1'::text\) AND \(category_path\[%d\] = `, level, level),
						plan, "level %d is an ordered range scan", level)
				}
				assert.Contains(t, plan, "Merge Append", "the scans are merged in list order")
				assert.NotContains(t, plan, "conversations_category ", "the GIN index is not read")
			}
			if q.ReadState == omnichannel.ReadRead {
				assert.Regexp(t, `Index Scan using read_states_by_time on read_states r [^\n]*\n\s+Index Cond: \(\(workspace_id = 'ws-1'::text\) AND \(user_id = 'u-3'::text\)`,
					plan, "the read states are scanned in list order")
				if len(q.Statuses)+len(q.TeamIDs) == 0 {
					assert.Contains(t, plan, "conversations_no_inbound", plan)
				}
				assert.NotContains(t, plan, "Join Filter", "a join on the read states would scan them for every conversation")
			}
		})
	}
}

// TestSearchUsesTrigramIndexes checks the second query of a search (a rare term: every match from
// the trigram indexes, then sorted) over a bigbox workspace of 30,000 conversations loaded with
// BulkLoad: the name and the phone digits are looked up in their GIN indexes, the table is not
// scanned.
func TestSearchUsesTrigramIndexes(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	spec := bigbox.Spec{WorkspaceID: "ws", Conversations: 30_000, MessagesPerConversation: 1, LongThread: 2}
	_, err := bigbox.Load(context.Background(), s, spec, 10_000)
	require.NoError(t, err)
	analyze(t, schema)
	for name, q := range map[string]omnichannel.ConversationQuery{
		"FullName":  {Search: bigbox.Name(spec, 17)},
		"NamePhone": {Search: "0912345", SearchDigits: "84912345"},
		"Filtered": {Search: bigbox.Name(spec, 17), Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			ReadState: omnichannel.ReadUnread, ViewerID: bigbox.SupervisorID},
	} {
		t.Run(name, func(t *testing.T) {
			q.WorkspaceID = spec.WorkspaceID
			plan, err := postgres.ExplainSearchIndexed(context.Background(), s, q)
			require.NoError(t, err)
			t.Log("\n" + plan)
			assert.NotContains(t, plan, "Seq Scan on conversations", plan)
			assert.Contains(t, plan, "conversations_name_trgm", plan)
			if q.SearchDigits != "" {
				assert.Contains(t, plan, "conversations_phone_trgm", plan)
			}
		})
	}
}

// analyze refreshes the planner's statistics of the schema's tables.
func analyze(t *testing.T, schema string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	for _, table := range []string{"conversations", "messages", "read_states", "unread_counters"} {
		_, err = conn.Exec(context.Background(), "ANALYZE "+schema+"."+table)
		require.NoError(t, err)
	}
}

// TestCountUnreadReadsCounters checks that the inbox badge reads the counter rows by key.
func TestCountUnreadReadsCounters(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	seedList(t, s, schema, 1, 2000)
	for name, q := range map[string]omnichannel.ConversationQuery{
		"All":         {ViewerID: "u-3"},
		"Connections": {ViewerID: "u-3", ConnectionIDs: []string{"conn-0-1", "conn-0-2"}},
	} {
		t.Run(name, func(t *testing.T) {
			q.WorkspaceID = "ws-0"
			plan, err := postgres.ExplainCountUnread(context.Background(), s, q)
			require.NoError(t, err)
			t.Log("\n" + plan)
			assert.Contains(t, plan, "unread_counters", plan)
			assert.NotContains(t, plan, "conversations", plan)
		})
	}
}
