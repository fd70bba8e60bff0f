package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// Listeners reports how many ListenEvents calls of s are running past their start, for tests that
// must not relay events before the other side listens.
func Listeners(s *Store) int { return int(s.listeners.Load()) }

// ExplainList returns PostgreSQL's plan of the ListConversations query for q.
func ExplainList(ctx context.Context, s *Store, q omnichannel.ConversationQuery) (string, error) {
	sql, args, err := listSQL(q)
	if err != nil {
		return "", err
	}
	var lines []string
	err = s.View(ctx, func(tx omnichannel.Tx) error {
		rows, err := tx.(*txn).tx.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return strings.Join(lines, "\n"), err
}
