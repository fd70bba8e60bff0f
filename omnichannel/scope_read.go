package omnichannel

import (
	"context"
	"strings"

	"github.com/dakenh/dakenh/store"
)

// readScope returns, in one batch, the viewer (nil when missing) and the workspace's connections,
// and with counts the viewer's unread conversations per connection (see
// store.UnreadByConnectionRead).
func readScope(ctx context.Context, tx Tx, workspaceID, userID string, withCounts bool) (*User, []*Connection, map[string]int, error) {
	u := &store.UserRead{WorkspaceID: workspaceID, UserID: userID}
	conns := &store.ConnectionsRead{WorkspaceID: workspaceID}
	reads := []store.Read{u, conns}
	counts := &store.UnreadByConnectionRead{WorkspaceID: workspaceID, UserID: userID}
	if withCounts {
		reads = append(reads, counts)
	}
	if err := tx.ReadBatch(ctx, reads...); err != nil {
		return nil, nil, nil, err
	}
	return u.User, conns.Connections, counts.Counts, nil
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
