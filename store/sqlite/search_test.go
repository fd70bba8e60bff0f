package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// searchNames are contact names of the search tests: Vietnamese letters in both cases, and text
// that means something to FTS5's query syntax.
var searchNames = []string{"Nguyễn Văn An", "NGUYỄN THỊ BÌNH", "Trần Ngọc Ánh", "Lê \"Bé\" Na", "AND OR NOT",
	"x*y (z)", "Đỗ Đức Đạt", "ĐỖ MAI", "nguyen van an", "Phạm Anh"}

// seedSearch stores one conversation per name of searchNames, with phone numbers, in ws-1 and a
// copy of the first in ws-2.
func seedSearch(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		for _, ws := range []string{"ws-1", "ws-2"} {
			conn := "conn-" + ws
			if err := tx.PutConnection(&omnichannel.Connection{WorkspaceID: ws, ID: conn, Kind: "zalo"}); err != nil {
				return err
			}
			for i, name := range searchNames {
				if ws == "ws-2" && i > 0 {
					break
				}
				id := fmt.Sprintf("%s-c%02d", ws, i)
				phone := ""
				if i%3 != 2 {
					phone = fmt.Sprintf("+8491234%04d", i*37)
				}
				if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: ws, ID: id, Name: name}); err != nil {
					return err
				}
				if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: ws, ID: id, ContactID: id,
					ConnectionID: conn, ExternalUserID: id}); err != nil {
					return err
				}
				if err := tx.InsertConversation(&omnichannel.Conversation{WorkspaceID: ws, ID: id, ConnectionID: conn,
					ContactID: id, IdentityID: id, ContactName: name, ContactPhone: phone, InboundCount: int64(i % 2)}); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	return s
}

// indexPlan is the plan that reads q's search through the index, whatever the number of matches.
func indexPlan(t *testing.T, s *Store, q omnichannel.ConversationQuery) *listPlan {
	t.Helper()
	match, ok := searchMatch(q)
	require.True(t, ok, "%+v has an index plan", q)
	var hits string
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) (err error) {
		hits, _, err = tx.(*txn).probeSearch(match, 1<<20)
		return err
	}))
	return &listPlan{search: &searchIndex{match: match, hits: hits}}
}

// listWith runs listSQL(q, plan) in a View.
func listWith(t *testing.T, s *Store, q omnichannel.ConversationQuery, plan *listPlan) []string {
	t.Helper()
	query, args, err := listSQL(q, plan)
	require.NoError(t, err)
	var ids []string
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		rows, err := tx.(*txn).q.queryDynamic(query, args...)
		if err != nil {
			return err
		}
		list, err := collect(rows, scanConversation, "conversations")
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		return err
	}))
	return ids
}

// TestSearchIndexMatchesScan checks that a search read through the trigram index finds exactly the
// conversations the scan finds (case folding of Vietnamese letters, substrings, phone digits,
// workspaces, FTS5 syntax in the text), and that ListConversations agrees with both.
func TestSearchIndexMatchesScan(t *testing.T) {
	s := seedSearch(t)
	cases := []omnichannel.ConversationQuery{
		{Search: "nguyễn"}, {Search: "NGUYỄN"}, {Search: "Văn An"}, {Search: "ễn v"}, {Search: "ĐỖ"},
		{Search: "đức đạt"}, {Search: "nguyen"}, {Search: "\"bé\""}, {Search: "\"bé"}, {Search: "and or"},
		{Search: "NOT"}, {Search: "x*y"}, {Search: "(z)"}, {Search: "zzz"}, {Search: "anh"},
		{SearchDigits: "8491234"}, {SearchDigits: "0074"}, {Search: "bình", SearchDigits: "849123400"},
		{Search: "xyz", SearchDigits: "1234"}, {Search: "an", SearchDigits: "8491234"},
		{Search: "nguyễn", ReadState: omnichannel.ReadUnread, ViewerID: "u-1"},
		{Search: "nguyễn", Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}},
		// Long terms, looked up by the trigrams that tile them.
		{Search: "Nguyễn Văn An"}, {Search: "nguyễn thị bình"}, {Search: "uyễn thị bì"}, {Search: "ĐỨC ĐẠT"},
		{Search: "ễn văn a"}, {Search: "nguyễn văn bình"}, {Search: "lê \"bé\" na"}, {Search: "an nguyễn"},
		{SearchDigits: "84912340074"}, {Search: "trần ngọc ánh", SearchDigits: "84912340111"},
	}
	for _, q := range cases {
		name := fmt.Sprintf("%q/%q", q.Search, q.SearchDigits)
		q.WorkspaceID = "ws-1"
		scan := listWith(t, s, q, nil)
		var got []string
		require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
			list, err := tx.ListConversations(q)
			for _, c := range list {
				got = append(got, c.ID)
			}
			return err
		}))
		assert.Equal(t, scan, got, "%s: ListConversations", name)
		if _, ok := searchMatch(q); !ok {
			assert.Less(t, len([]rune(q.Search)), minTrigramRunes, "%s: the index is not used", name)
			continue
		}
		indexed := listWith(t, s, q, indexPlan(t, s, q))
		assert.Equal(t, scan, indexed, "%s: through the index", name)
	}
	assert.NotEmpty(t, listWith(t, s, omnichannel.ConversationQuery{WorkspaceID: "ws-1", Search: "nguyễn"}, nil))
}

// TestSearchIndexFollowsRenames: a conversation whose name or phone changes is found by the new
// values and no longer by the old ones, and FTS5's integrity check agrees with the table.
func TestSearchIndexFollowsRenames(t *testing.T) {
	s := seedSearch(t)
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation("ws-1", "ws-1-c00")
		if err != nil {
			return err
		}
		c.ContactName, c.ContactPhone = "Hoàng Thùy Linh", "+84333222111"
		return tx.UpdateConversation(c)
	}))
	find := func(search, digits string) []string {
		q := omnichannel.ConversationQuery{WorkspaceID: "ws-1", Search: search, SearchDigits: digits}
		return listWith(t, s, q, indexPlan(t, s, q))
	}
	assert.Equal(t, []string{"ws-1-c00"}, find("thùy linh", ""))
	assert.Equal(t, []string{"ws-1-c00"}, find("", "333222"))
	assert.NotContains(t, find("nguyễn văn", ""), "ws-1-c00")
	assert.NotContains(t, find("", "84912340000"), "ws-1-c00")
	_, err := s.writer.conn.ExecContext(t.Context(),
		`INSERT INTO conversations_search (conversations_search, rank) VALUES ('integrity-check', 1)`)
	require.NoError(t, err)
}

// TestSearchPlanChoosesByMatches: a term with at most SearchProbeLimit matches reads through the
// index, a more common one takes the scan, a short one has no index plan.
func TestSearchPlanChoosesByMatches(t *testing.T) {
	s := seedSearch(t)
	plan := func(q omnichannel.ConversationQuery) (p *searchIndex) {
		require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) (err error) {
			p, err = tx.(*txn).searchPlan(q)
			return err
		}))
		return p
	}
	assert.NotNil(t, plan(omnichannel.ConversationQuery{WorkspaceID: "ws-1", Search: "nguyễn"}))
	assert.Nil(t, plan(omnichannel.ConversationQuery{WorkspaceID: "ws-1", Search: "ng"}))
	assert.Nil(t, plan(omnichannel.ConversationQuery{WorkspaceID: "ws-1"}))

	// More matches than the limit: the scan.
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		for i := range SearchProbeLimit + 1 {
			id := fmt.Sprintf("many-%05d", i)
			if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: "ws-3", ID: id}); err != nil {
				return err
			}
			if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: "ws-3", ID: id, ContactID: id,
				ConnectionID: "conn-ws-1", ExternalUserID: id}); err != nil {
				return err
			}
			if err := tx.InsertConversation(&omnichannel.Conversation{WorkspaceID: "ws-3", ID: id,
				ConnectionID: "conn-ws-1", ContactID: id, IdentityID: id, ContactName: "Hoàng Long " + id}); err != nil {
				return err
			}
		}
		return nil
	}))
	assert.Nil(t, plan(omnichannel.ConversationQuery{WorkspaceID: "ws-3", Search: "hoàng"}))
	assert.NotNil(t, plan(omnichannel.ConversationQuery{WorkspaceID: "ws-3", Search: "many-00012"}))
}

// TestFTSTiles checks the FTS5 query of a search term: a phrase up to five characters, the tiling
// trigrams (every third character, and the last three) beyond, FTS5 syntax quoted.
func TestFTSTiles(t *testing.T) {
	for term, want := range map[string]string{
		"abc":             `"abc"`,
		"abcde":           `"abcde"`,
		"abcdef":          `("abc" AND "def")`,
		"abcdefg":         `("abc" AND "def" AND "efg")`,
		"phạm hoàng hiếu": `("phạ" AND "m h" AND "oàn" AND "g h" AND "iếu")`,
		`a"b c*d(e`:       `("a""b" AND " c*" AND "d(e")`,
	} {
		assert.Equal(t, want, ftsTiles(term), term)
	}
}
