package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.FeedSequencer = (*Store)(nil)

// The feed (store.FeedTx) is the feed_entries table (migration 0008). PostgreSQL runs writers
// concurrently, and the order in which they insert (or draw from a sequence) is not the order in
// which they commit: a reader that has read position 6 must never later find a 5 committed after.
// So a change's transaction inserts its entries without a position, and the sequencer
// (SequenceFeed) numbers committed entries afterwards:
//
//   - it takes a transaction-scoped advisory lock, so one sequencer runs at a time across every
//     process sharing the schema;
//   - after the lock, in a new statement (READ COMMITTED: a new snapshot), it numbers the entries
//     without a position, in id order, continuing from feed_head, and moves feed_head on.
//
// Entries that commit later, whatever their id, are numbered by a later run, above every position
// handed out before; and ListFeed returns numbered entries only. A change that must wait for
// another's row lock (two changes of one conversation) inserts its entries after the other
// committed, so its ids, and its positions, come after the other's: per conversation, the feed
// follows the order of the changes.

// feedSequenceBatch is how many entries one sequencing statement numbers.
const feedSequenceBatch = 5000

// feedInsertRows is the most entries one insert takes (8 parameters each, far below the
// protocol's 65,535).
const feedInsertRows = 1000

const feedColumns = `workspace_id, kind, conversation_id, message_id, connection_id, user_id, at, data`

func feedArgs(en *omnichannel.FeedEntry) []any {
	return []any{en.WorkspaceID, string(en.Kind), en.ConversationID, en.MessageID, en.ConnectionID, en.UserID,
		en.At, string(en.Data)}
}

// AppendFeed inserts the entries, unnumbered (store.FeedTx). In a grouped update each entry's
// insert is a recorded write; otherwise all go in one statement.
func (t *txn) AppendFeed(entries []omnichannel.FeedEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if t.group != nil && t.group.active {
		for _, en := range entries {
			if err := t.appendFeedEntry(en); err != nil {
				return err
			}
		}
		return nil
	}
	if err := t.writing(); err != nil {
		return err
	}
	for len(entries) > feedInsertRows {
		if err := t.AppendFeed(entries[:feedInsertRows]); err != nil {
			return err
		}
		entries = entries[feedInsertRows:]
	}
	var sql strings.Builder
	sql.WriteString(`INSERT INTO feed_entries (` + feedColumns + `) VALUES `)
	args := make([]any, 0, len(entries)*8)
	for i := range entries {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteByte('(')
		for c := range 8 {
			if c > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("$" + strconv.Itoa(i*8+c+1))
		}
		sql.WriteByte(')')
		args = append(args, feedArgs(&entries[i])...)
	}
	_, err := t.exec("append feed", sql.String(), args...)
	return err
}

// appendFeedEntry inserts one entry as a recorded write of a grouped update.
func (t *txn) appendFeedEntry(en omnichannel.FeedEntry) error {
	defer t.recordWrite("feed_entries", func(r *txn) error { return r.AppendFeed([]omnichannel.FeedEntry{en}) })()
	if err := t.writingRecorded(); err != nil {
		return err
	}
	_, err := t.exec("append feed", `INSERT INTO feed_entries (`+feedColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		feedArgs(&en)...)
	return err
}

// ListFeed returns up to limit numbered entries of the workspace after the position
// (store.FeedTx).
func (t *txn) ListFeed(workspaceID string, after int64, limit int) ([]omnichannel.FeedEntry, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT position, `+feedColumns+` FROM feed_entries
		WHERE workspace_id = $1 AND position > $2 ORDER BY position LIMIT $3`, workspaceID, after, limit)
	if err != nil {
		return nil, t.fail("list feed", err)
	}
	defer rows.Close()
	var out []omnichannel.FeedEntry
	for rows.Next() {
		var en omnichannel.FeedEntry
		var data string
		if err := rows.Scan(&en.Position, &en.WorkspaceID, &en.Kind, &en.ConversationID, &en.MessageID,
			&en.ConnectionID, &en.UserID, &en.At, &data); err != nil {
			return nil, t.fail("list feed", err)
		}
		en.At = en.At.UTC()
		if data != "" {
			en.Data = json.RawMessage(data)
		}
		out = append(out, en)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("list feed", err)
	}
	return out, nil
}

// PruneFeed removes up to limit numbered entries older than before, oldest first, stopping at the
// first entry that is not older (store.FeedTx). It walks the feed in id order, which positions
// follow except between transactions that committed together, through the primary key: the
// table needs no index on position or time for it.
func (t *txn) PruneFeed(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	tag, err := t.exec("prune feed", `DELETE FROM feed_entries WHERE id IN (
		SELECT id FROM feed_entries
		WHERE position IS NOT NULL AND id < coalesce(
			(SELECT id FROM feed_entries WHERE position IS NULL OR at >= $1 ORDER BY id LIMIT 1),
			(SELECT max(id) + 1 FROM feed_entries))
		ORDER BY id LIMIT $2)`, before, limit)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// DeleteConversationsFeed removes the workspace's entries naming the conversations, numbered or
// not (store.FeedTx).
func (t *txn) DeleteConversationsFeed(workspaceID string, conversationIDs []string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if len(conversationIDs) == 0 {
		return nil
	}
	_, err := t.exec("delete conversations' feed entries",
		`DELETE FROM feed_entries WHERE workspace_id = $1 AND conversation_id = ANY($2)`, workspaceID, conversationIDs)
	return err
}

// DeleteWorkspaceFeed removes every entry of the workspace (store.FeedTx).
func (t *txn) DeleteWorkspaceFeed(workspaceID string) error {
	if err := t.writing(); err != nil {
		return err
	}
	_, err := t.exec("delete workspace feed", `DELETE FROM feed_entries WHERE workspace_id = $1`, workspaceID)
	return err
}

// feedLockKey is the advisory lock that lets one sequencer of the schema run at a time.
func feedLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dakenh/store/postgres/feed/" + schema))
	return int64(h.Sum64())
}

// SequenceFeed numbers the feed entries committed so far (store.FeedSequencer; see the comment
// at the top of this file for why it is correct).
func (s *Store) SequenceFeed(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	conn, err := s.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connecting: %w", err)
	}
	defer s.pool.release(conn)
	var pending bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM feed_entries WHERE position IS NULL)`).Scan(&pending); err != nil {
		return fmt.Errorf("postgres: sequence feed: %w", err)
	}
	for pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLockKey(s.cfg.Schema)); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `WITH todo AS (
					SELECT id, row_number() OVER (ORDER BY id) AS n
					FROM (SELECT id FROM feed_entries WHERE position IS NULL ORDER BY id LIMIT $1) s),
				counted AS (SELECT count(*) AS n FROM todo),
				head AS (UPDATE feed_head SET position = position + (SELECT n FROM counted)
					WHERE (SELECT n FROM counted) > 0
					RETURNING position - (SELECT n FROM counted) AS base)
				UPDATE feed_entries f SET position = head.base + todo.n FROM todo, head WHERE f.id = todo.id`,
				feedSequenceBatch)
			pending = err == nil && tag.RowsAffected() == feedSequenceBatch
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: sequence feed: %w", err)
		}
	}
	return nil
}
