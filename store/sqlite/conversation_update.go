package sqlite

import (
	"slices"
	"strings"
	"sync"

	"github.com/dakenh/dakenh/omnichannel"
)

// Partial conversation updates.
//
// SQLite rewrites the entry of every index that holds a column named in an UPDATE's SET list, and
// runs the foreign-key checks and the UPDATE OF triggers of those columns, whether or not the value
// changed. A conversation carries a dozen list indexes, a UNIQUE constraint, three foreign keys and
// counter and search triggers; the engine saves it whole after every message, though a message
// changes only the summary columns. So a write transaction remembers each conversation as it read
// (or wrote) it, and UpdateConversation sets only the columns whose values differ from that
// snapshot, when the snapshot is of the version being replaced.
//
// The snapshot is the stored row: the UPDATE's "version = ?" condition proves the row is still at
// the snapshot's version, and every write of a conversation through this package moves the version
// on, so a row at that version in the same transaction holds the snapshot's values. A snapshot lives
// as long as its txn (one Update function, rolled back with it).

// conversationSetColumns are the columns of conversationValues, in order.
var conversationSetColumns = []string{"connection_id", "channel_kind", "contact_id", "identity_id",
	"contact_name", "contact_name_fold", "contact_phone", "contact_phone_digits",
	"status", "assignee_id", "team_id", "rule_id", "awaiting_claim", "claimed", "historical",
	"category_id", "category_path", "category1", "category2", "category3", "classification_id",
	"note", "referral", "last_seq", "inbound_count", "replies_since_inbound", "last_message_text",
	"last_message_at", "last_message_direction", "last_inbound_at", "created_at", "updated_at"}

// maxPartialUpdateShapes bounds how many different SET lists the writer keeps prepared (each engine
// operation changes a typical set of columns, so few shapes recur); past it an update with a new
// shape sets every column (correct, only slower).
const maxPartialUpdateShapes = 256

// conversationKey identifies a conversation within a transaction's snapshots.
type conversationKey struct{ workspaceID, id string }

// remember records c as stored (at c.Version) in a writable transaction.
func (t *txn) remember(c *omnichannel.Conversation) {
	if !t.writable {
		return
	}
	if t.seen == nil {
		t.seen = make(map[conversationKey]omnichannel.Conversation)
	}
	snap := *c
	snap.CategoryPath = slices.Clone(c.CategoryPath)
	t.seen[conversationKey{c.WorkspaceID, c.ID}] = snap
}

// forgetConversations drops every snapshot: for writes that bypass the conversation methods.
func (t *txn) forgetConversations() { t.seen = nil }

// changedColumns returns the bit set (bit i: conversationSetColumns[i]) of the columns whose value
// in vals differs from the snapshot of c at c.Version; ok is false when there is no such snapshot.
func (t *txn) changedColumns(c *omnichannel.Conversation, vals []any) (mask uint64, ok bool) {
	snap, found := t.seen[conversationKey{c.WorkspaceID, c.ID}]
	if !found || snap.Version != c.Version {
		return 0, false
	}
	old, err := conversationValues(&snap)
	if err != nil || len(old) != len(vals) {
		return 0, false
	}
	for i := range vals {
		if old[i] != vals[i] {
			mask |= 1 << i
		}
	}
	return mask, true
}

// partialUpdates holds the UPDATE text of each SET list met so far, at most maxPartialUpdateShapes
// (the statements themselves are prepared per connection by runner.stmt).
var partialUpdates struct {
	sync.Mutex
	byMask map[uint64]string
}

// partialUpdateSQL is the UPDATE that sets the columns of mask and moves the version on; ok is false
// when mask is a new shape beyond maxPartialUpdateShapes.
func partialUpdateSQL(mask uint64) (query string, ok bool) {
	partialUpdates.Lock()
	defer partialUpdates.Unlock()
	if q, ok := partialUpdates.byMask[mask]; ok {
		return q, true
	}
	if len(partialUpdates.byMask) >= maxPartialUpdateShapes {
		return "", false
	}
	var b strings.Builder
	b.WriteString("UPDATE conversations SET ")
	for i, col := range conversationSetColumns {
		if mask&(1<<i) != 0 {
			b.WriteString(col)
			b.WriteString(" = ?, ")
		}
	}
	b.WriteString("version = version + 1 WHERE workspace_id = ? AND id = ? AND version = ?")
	if partialUpdates.byMask == nil {
		partialUpdates.byMask = make(map[uint64]string)
	}
	partialUpdates.byMask[mask] = b.String()
	return b.String(), true
}

// partialArgs picks the values of mask from vals, then the keys and the expected version.
func partialArgs(mask uint64, vals []any, c *omnichannel.Conversation) []any {
	args := make([]any, 0, len(vals)+3)
	for i, v := range vals {
		if mask&(1<<i) != 0 {
			args = append(args, v)
		}
	}
	return append(args, c.WorkspaceID, c.ID, c.Version)
}
