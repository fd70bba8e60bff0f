package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// Listeners reports how many ListenEvents calls of s are running past their start, for tests that
// must not relay events before the other side listens.
func Listeners(s *Store) int { return int(s.listeners.Load()) }

// ExplainList returns PostgreSQL's plan of the ListConversations query for q (of its probe, for a
// search the trigram indexes can serve).
func ExplainList(ctx context.Context, s *Store, q omnichannel.ConversationQuery) (string, error) {
	if searchIndexable(q) {
		return explain(ctx, s, searchProbeSQL, q)
	}
	if q.ReadState == omnichannel.ReadRead {
		return explain(ctx, s, readListSQL, q)
	}
	if categoryScans(q) {
		return explain(ctx, s, categoryListSQL, q)
	}
	var members []string
	var teamScans bool
	if err := s.View(ctx, func(tx omnichannel.Tx) (err error) {
		members, teamScans, err = tx.(*txn).teamScanMembers(q)
		return err
	}); err != nil {
		return "", err
	}
	if teamScans {
		return explain(ctx, s, func(q omnichannel.ConversationQuery) (string, []any, error) { return teamListSQL(q, members) }, q)
	}
	return explain(ctx, s, listSQL, q)
}

// NameTiles is nameTiles: the parts of a folded search term the name's trigram index is asked for.
var NameTiles = nameTiles

// ExplainSearchIndexed returns the plan of the second query of a search, the one that finds every
// match through the trigram indexes, with sequential scans disabled: on a small table a scan is
// cheaper, and the test wants to know whether the indexes can serve the query at all.
func ExplainSearchIndexed(ctx context.Context, s *Store, q omnichannel.ConversationQuery) (string, error) {
	return explain(ctx, s, func(q omnichannel.ConversationQuery) (string, []any, error) {
		sql, args, err := searchIndexedSQL(q)
		return "/* no seqscan */ " + sql, args, err
	}, q)
}

// ExplainCountUnread returns the plan of the CountUnread query for q.
func ExplainCountUnread(ctx context.Context, s *Store, q omnichannel.ConversationQuery) (string, error) {
	return explain(ctx, s, func(q omnichannel.ConversationQuery) (string, []any, error) {
		if !countable(q) {
			return "", nil, errors.New("not answered from the counters")
		}
		return countersSQL(q)
	}, q)
}

func explain(ctx context.Context, s *Store, build func(omnichannel.ConversationQuery) (string, []any, error),
	q omnichannel.ConversationQuery) (string, error) {
	sql, args, err := build(q)
	if err != nil {
		return "", err
	}
	var lines []string
	err = s.View(ctx, func(tx omnichannel.Tx) error {
		if strings.HasPrefix(sql, "/* no seqscan */") {
			if _, err := tx.(*txn).tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		rows, err := tx.(*txn).tx.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return strings.Join(lines, "\n"), err
}

// MessageLookupSQL holds the message lookups by provider id and idempotency key (tests only: their
// generic plans are checked).
var MessageLookupSQL = map[string]string{"provider id": findMessageByProviderIDSQL, "idempotency key": findMessageByIdempotencyKeySQL}

// PreparedListStatements lists q seven times in one View (past the five runs after which
// PostgreSQL may switch a prepared statement to a generic plan) and returns how many prepared
// statements of that connection hold q's list query.
func PreparedListStatements(ctx context.Context, s *Store, q omnichannel.ConversationQuery) (int, error) {
	sql, _, err := listSQL(q)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.View(ctx, func(tx omnichannel.Tx) error {
		for range 7 {
			if _, err := tx.ListConversations(q); err != nil {
				return err
			}
		}
		return tx.(*txn).tx.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`, sql).Scan(&n)
	})
	return n, err
}

// MigrateUpTo applies to schema (created when missing) the migrations up to the one in file name,
// as Open would apply them all (tests only: a database of an older version to open).
func MigrateUpTo(ctx context.Context, url, schema, name string) error {
	all, err := loadMigrations()
	if err != nil {
		return err
	}
	upTo := 0
	for _, m := range all {
		if m.name == name {
			upTo = m.version
		}
	}
	if upTo == 0 {
		return errors.New("no migration " + name)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return migrateTx(ctx, tx, all, schema, upTo-1) })
}

// HoldGroups makes the grouped updates of s (which must not have submitted any yet) wait until
// release is called; arrived reports how many reached the committer meanwhile.
func HoldGroups(s *Store) (arrived func() int64, release func()) {
	hold := make(chan struct{})
	s.committer.mu.Lock()
	s.committer.hold = hold
	s.committer.mu.Unlock()
	return s.committer.stats.arrived.Load, func() { close(hold) }
}
