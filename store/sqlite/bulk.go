package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.BulkLoader = (*Store)(nil)

// BulkRecordsPerUpdate is how many records of a Bulk one writer transaction stores at most; a
// larger Bulk is stored by several transactions, one after the other.
const BulkRecordsPerUpdate = 20_000

// bulkCacheKiB is the writer's page cache while it stores a Bulk: the list indexes of a big
// workspace take inserts all over their B-trees, and a page found in the cache is not read again.
const bulkCacheKiB = 256 << 10

// BulkLoad implements omnichannel.BulkLoader: it inserts b's records in the documented order with
// prepared multi-row INSERTs, encoding every column as the Tx methods do. Each part of at most
// BulkRecordsPerUpdate records is one Update, so it waits for its turn in the writer queue like any
// Update and Views keep reading the last commit meanwhile. The unread counters and the search
// index are maintained by the schema's triggers, so they are up to date when BulkLoad returns.
//
// A record whose id exists is ErrDuplicate and a reference to a missing row ErrNotFound; on an error
// the parts committed before the failing one stay stored (a prefix of b, in its order). ctx is
// honoured between parts and while a part waits for the writer.
func (s *Store) BulkLoad(ctx context.Context, b *omnichannel.Bulk) error {
	if b == nil {
		return nil
	}
	for _, part := range splitBulk(b, BulkRecordsPerUpdate) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Update(ctx, func(tx omnichannel.Tx) error { return bulkInsert(tx.(*txn), part) }); err != nil {
			return err
		}
	}
	return nil
}

// splitBulk cuts b into parts of at most n records that keep b's order: all of a part's contacts
// come before its identities, and so on, and every part follows the previous one.
func splitBulk(b *omnichannel.Bulk, n int) []*omnichannel.Bulk {
	var parts []*omnichannel.Bulk
	cur, size := &omnichannel.Bulk{}, 0
	room := func() int {
		if size == n {
			parts = append(parts, cur)
			cur, size = &omnichannel.Bulk{}, 0
		}
		return n - size
	}
	take := func(total int, add func(from, to int)) {
		for i := 0; i < total; {
			k := min(room(), total-i)
			add(i, i+k)
			size += k
			i += k
		}
	}
	take(len(b.Contacts), func(i, j int) { cur.Contacts = append(cur.Contacts, b.Contacts[i:j]...) })
	take(len(b.Identities), func(i, j int) { cur.Identities = append(cur.Identities, b.Identities[i:j]...) })
	take(len(b.Conversations), func(i, j int) { cur.Conversations = append(cur.Conversations, b.Conversations[i:j]...) })
	take(len(b.Messages), func(i, j int) { cur.Messages = append(cur.Messages, b.Messages[i:j]...) })
	take(len(b.ReadStates), func(i, j int) { cur.ReadStates = append(cur.ReadStates, b.ReadStates[i:j]...) })
	if size > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// bulkTable is one table's multi-row INSERT: rowsPerStmt rows per statement (kept under SQLite's
// limit of bound parameters), the rest of a list one row per statement, so that the writer caches
// two statements per table whatever the list sizes.
type bulkTable struct {
	what        string
	table       string
	columns     string
	ncols       int
	rowsPerStmt int
	// row is one row's VALUES tuple with ncols placeholders; "" is the plain tuple.
	row string
}

var (
	bulkContacts = bulkTable{"contact", "contacts", contactColumns, 10, 200, ""}
	bulkIdents   = bulkTable{"identity", "identities", identityColumns, 14, 160, ""}
	bulkConvs    = bulkTable{"conversation", "conversations", `workspace_id, id, connection_id, channel_kind,
		contact_id, identity_id, contact_name, contact_name_fold, contact_phone, contact_phone_digits, status,
		assignee_id, team_id, rule_id, awaiting_claim, claimed, historical, category_id, category_path,
		category1, category2, category3, classification_id, note, referral, last_seq, inbound_count,
		replies_since_inbound, last_message_text, last_message_at, last_message_direction, last_inbound_at,
		created_at, updated_at, version`, 35, 64, ""}
	bulkMessages = bulkTable{"message", "messages", messageColumns, 25, 128, ""}
	// A read state's copy of its conversation's time (migration 4) is looked up by key.
	bulkReadStates = bulkTable{"read state", "read_states", readStateColumns + ", last_message_at", 8, 256,
		"(?, ?, ?, ?, ?, ?, " + readStateTimeSQL + ")"}
)

// statement returns the INSERT of rows rows.
func (bt bulkTable) statement(rows int) string {
	row := bt.row
	if row == "" {
		row = "(" + placeholders(bt.ncols) + ")"
	}
	return "INSERT INTO " + bt.table + " (" + bt.columns + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// insert stores n rows; args appends row i's values (bt.ncols of them) to dst.
func (bt bulkTable) insert(t *txn, n int, args func(dst []any, i int) ([]any, error)) error {
	full := bt.statement(bt.rowsPerStmt)
	one := bt.statement(1)
	buf := make([]any, 0, bt.ncols*bt.rowsPerStmt)
	for i := 0; i < n; {
		rows := bt.rowsPerStmt
		query := full
		if n-i < rows {
			rows, query = 1, one
		}
		buf = buf[:0]
		for j := i; j < i+rows; j++ {
			var err error
			if buf, err = args(buf, j); err != nil {
				return err
			}
		}
		if len(buf) != rows*bt.ncols {
			return fmt.Errorf("sqlite: bulk %s: %d values for %d rows of %d columns", bt.what, len(buf), rows, bt.ncols)
		}
		if _, err := t.q.exec(query, buf...); err != nil {
			return writeError("bulk insert "+bt.what, err)
		}
		i += rows
	}
	return nil
}

// bulkInsert stores part in tx, a writer transaction, with a larger page cache meanwhile.
func bulkInsert(t *txn, part *omnichannel.Bulk) (err error) {
	var cache int64
	if err := t.q.queryRow("PRAGMA cache_size").Scan(&cache); err != nil {
		return fmt.Errorf("sqlite: bulk: read cache size: %w", err)
	}
	if _, err := t.q.conn.ExecContext(t.q.ctx, fmt.Sprintf("PRAGMA cache_size = %d", -bulkCacheKiB)); err != nil {
		return fmt.Errorf("sqlite: bulk: set cache size: %w", err)
	}
	defer func() {
		if _, rerr := t.q.conn.ExecContext(t.q.ctx, fmt.Sprintf("PRAGMA cache_size = %d", cache)); rerr != nil && err == nil {
			err = fmt.Errorf("sqlite: bulk: restore cache size: %w", rerr)
		}
	}()

	if err := bulkContacts.insert(t, len(part.Contacts), func(dst []any, i int) ([]any, error) {
		c := part.Contacts[i]
		attrs, err := jsonText(c.Attributes)
		if err != nil {
			return nil, err
		}
		return append(dst, c.WorkspaceID, c.ID, c.Name, c.Phone, c.Email, c.AvatarURL, attrs, c.CRMCustomerID,
			micros(c.CreatedAt), micros(c.UpdatedAt)), nil
	}); err != nil {
		return err
	}
	if err := bulkIdents.insert(t, len(part.Identities), func(dst []any, i int) ([]any, error) {
		return append(dst, identityArgs(part.Identities[i])...), nil
	}); err != nil {
		return err
	}
	if err := bulkConvs.insert(t, len(part.Conversations), func(dst []any, i int) ([]any, error) {
		c := part.Conversations[i]
		vals, err := conversationValues(c)
		if err != nil {
			return nil, err
		}
		dst = append(dst, c.WorkspaceID, c.ID)
		return append(append(dst, vals...), c.Version), nil
	}); err != nil {
		return err
	}
	if err := bulkMessages.insert(t, len(part.Messages), func(dst []any, i int) ([]any, error) {
		m := part.Messages[i]
		vals, err := messageValues(m)
		if err != nil {
			return nil, err
		}
		return append(append(dst, m.WorkspaceID, m.ID), vals...), nil
	}); err != nil {
		return err
	}
	return bulkReadStates.insert(t, len(part.ReadStates), func(dst []any, i int) ([]any, error) {
		r := part.ReadStates[i]
		return append(dst, r.WorkspaceID, r.UserID, r.ConversationID, r.InboundCount, r.Seq, micros(r.ReadAt),
			r.WorkspaceID, r.ConversationID), nil
	})
}
