package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// The feed (store.FeedTx) is the feed_entries table (migration 0010). Its INTEGER PRIMARY KEY
// AUTOINCREMENT is the position: SQLite runs one write transaction at a time, so positions handed
// out at insert follow the commit order, and AUTOINCREMENT never hands out a position again, even
// when the highest entries were pruned or deleted.

const feedColumns = `workspace_id, kind, conversation_id, message_id, connection_id, user_id, at, data`

// AppendFeed inserts the entries in order (store.FeedTx); in a grouped update the inserts are
// recorded and run by the writer with the update's other writes.
func (t *txn) AppendFeed(entries []omnichannel.FeedEntry) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	for _, en := range entries {
		args := []any{en.WorkspaceID, string(en.Kind), en.ConversationID, en.MessageID, en.ConnectionID, en.UserID,
			micros(en.At), string(en.Data)}
		if err := t.write(feedWrite, `INSERT INTO feed_entries (`+feedColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			args, execChecked("append feed entry")); err != nil {
			return err
		}
	}
	return nil
}

// ListFeed returns up to limit entries of the workspace after the position (store.FeedTx).
func (t *txn) ListFeed(workspaceID string, after int64, limit int) ([]omnichannel.FeedEntry, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.q.query(`SELECT position, `+feedColumns+` FROM feed_entries
		WHERE workspace_id = ? AND position > ? ORDER BY position LIMIT ?`, workspaceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list feed: %w", err)
	}
	defer rows.Close()
	var out []omnichannel.FeedEntry
	for rows.Next() {
		var en omnichannel.FeedEntry
		var at int64
		var data string
		if err := rows.Scan(&en.Position, &en.WorkspaceID, &en.Kind, &en.ConversationID, &en.MessageID,
			&en.ConnectionID, &en.UserID, &at, &data); err != nil {
			return nil, fmt.Errorf("sqlite: list feed: %w", err)
		}
		en.At = fromMicros(at)
		if data != "" {
			en.Data = json.RawMessage(data)
		}
		out = append(out, en)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list feed: %w", err)
	}
	return out, nil
}

// PruneFeed removes up to limit entries older than before, in position order, stopping at the
// first entry that is not older (store.FeedTx). The walk in rowid order needs no index on at.
func (t *txn) PruneFeed(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	res, err := t.q.exec(`DELETE FROM feed_entries WHERE position IN (
		SELECT position FROM feed_entries
		WHERE position < coalesce((SELECT position FROM feed_entries WHERE at >= ? ORDER BY position LIMIT 1),
			(SELECT max(position) + 1 FROM feed_entries))
		ORDER BY position LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, writeError("prune feed", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteConversationsFeed removes the workspace's entries naming the conversations (store.FeedTx).
func (t *txn) DeleteConversationsFeed(workspaceID string, conversationIDs []string) error {
	if err := t.writing(); err != nil {
		return err
	}
	for len(conversationIDs) > 0 {
		chunk := conversationIDs[:min(len(conversationIDs), 500)]
		conversationIDs = conversationIDs[len(chunk):]
		args := []any{workspaceID}
		for _, id := range chunk {
			args = append(args, id)
		}
		q := `DELETE FROM feed_entries WHERE workspace_id = ? AND conversation_id IN (?` +
			strings.Repeat(", ?", len(chunk)-1) + `)`
		if _, err := t.q.conn.ExecContext(t.q.ctx, q, args...); err != nil {
			return writeError("delete conversations' feed entries", err)
		}
	}
	return nil
}

// DeleteWorkspaceFeed removes every entry of the workspace (store.FeedTx).
func (t *txn) DeleteWorkspaceFeed(workspaceID string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, err := t.q.exec(`DELETE FROM feed_entries WHERE workspace_id = ?`, workspaceID); err != nil {
		return writeError("delete workspace feed", err)
	}
	return nil
}
