package omnichannel

import "strings"

// UnreadScopeReader is an optional capability of a Tx, for the inbox badge: ReadUnreadScope reads,
// within the transaction and at once (one round trip on a networked store), what ScopeReader reads
// (the user userID of workspaceID, nil when missing, and every connection of workspaceID, perhaps
// without Credentials) and, for every connection of workspaceID, how many of its conversations have
// customer messages userID has not read up to date (what CountUnread returns for a query of that
// one connection; connections with none may be absent). An error is a failure of the store.
// Engine.CountUnread uses it for a query with no filter but connections, and ScopeReader and
// CountUnread otherwise.
type UnreadScopeReader interface {
	ReadUnreadScope(workspaceID, userID string) (*User, []*Connection, map[string]int, error)
}

// unreadScopeReaderOf returns tx's UnreadScopeReader, looking through the engine's own Tx wrapper.
func unreadScopeReaderOf(tx Tx) (UnreadScopeReader, bool) {
	if w, ok := tx.(connWatchTx); ok {
		tx = w.Tx
	}
	r, ok := tx.(UnreadScopeReader)
	return r, ok
}

// countableByConnection reports whether q filters on nothing but its workspace and connections,
// so that its unread count is a sum of per-connection counts. A blank search is no filter (the
// engine drops it before the store sees the query).
func countableByConnection(q ConversationQuery) bool {
	q.Search = strings.TrimSpace(q.Search)
	return q.FiltersOnlyByConnection() && (q.ReadState == "" || q.ReadState == ReadUnread)
}

// sumCounts adds the counts of the connections ids (each once), or of every connection in counts
// when ids is empty (a supervisor's unfiltered badge, which also counts connections deleted since).
func sumCounts(counts map[string]int, ids []string) int {
	n := 0
	if len(ids) == 0 {
		for _, c := range counts {
			n += c
		}
		return n
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			n += counts[id]
		}
	}
	return n
}
