package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Analyze refreshes the planner's statistics of the store's tables (ANALYZE of every table of the
// schema), which autovacuum otherwise does within about a minute of a large change.
//
// Run it after a bulk import, or when a benchmark starts on tables that were just filled: until a
// table has been analyzed the planner does not know its size, and the plans it caches per
// connection for the store's statements may pick a list index for a lookup by key (measured on a
// new schema: a conversation lookup reading a thousand index entries instead of one). ANALYZE
// invalidates those cached plans.
func (s *Store) Analyze(ctx context.Context) error {
	conn, release, err := s.ownConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, s.cfg.Schema)
	if err != nil {
		return fmt.Errorf("postgres: listing tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: listing tables: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = pgx.Identifier{s.cfg.Schema, t}.Sanitize()
	}
	if _, err := conn.Exec(ctx, `ANALYZE `+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("postgres: analyze: %w", err)
	}
	return nil
}

// ownConn takes a pooled connection for work outside Update and View (bulk loads, ANALYZE); call
// release when done. ErrClosed after Close.
func (s *Store) ownConn(ctx context.Context) (conn *pgx.Conn, release func(), err error) {
	if s.closed.Load() {
		return nil, nil, ErrClosed
	}
	conn, err = s.pool.acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: connecting: %w", err)
	}
	return conn, func() { s.pool.release(conn) }, nil
}
