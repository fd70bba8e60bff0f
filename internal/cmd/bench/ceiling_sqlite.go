package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the driver of store/sqlite
)

// sqliteCeilingSchema is the minimal inbox's schema (see ceiling.go).
const sqliteCeilingSchema = `
CREATE TABLE conversations (
	id TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	last_at INTEGER NOT NULL,
	preview TEXT NOT NULL,
	unread INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX conversations_list ON conversations (workspace_id, last_at DESC, id);
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	conn TEXT NOT NULL,
	provider_id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	body TEXT NOT NULL,
	at INTEGER NOT NULL,
	UNIQUE (conn, provider_id)
);`

// sqliteCeiling is the minimal inbox on SQLite: one writer connection with store/sqlite's pragmas
// (WAL, synchronous FULL, busy timeout, in-memory temp store, 64 MiB cache); a batch is one
// transaction.
type sqliteCeiling struct {
	path             string
	db               *sql.DB
	conn             *sql.Conn
	insert, upsert   *sql.Stmt
	countMsgs        *sql.Stmt
	beginImmediately *sql.Stmt
}

func openSQLiteCeiling(ctx context.Context, o Options) (*sqliteCeiling, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(o.DataDir, "ceiling.db")
	removeSQLite(path)
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	c := &sqliteCeiling{path: path, db: db}
	fail := func(err error) (*sqliteCeiling, error) {
		c.close()
		return nil, fmt.Errorf("sqlite ceiling: %w", err)
	}
	db.SetMaxOpenConns(1)
	if c.conn, err = db.Conn(ctx); err != nil {
		return fail(err)
	}
	for _, s := range []string{"PRAGMA journal_mode = WAL", "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -65536", sqliteCeilingSchema} {
		if _, err := c.conn.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	prepare := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = c.conn.PrepareContext(ctx, q)
		}
	}
	prepare(&c.insert, `INSERT INTO messages (conn, provider_id, conversation_id, body, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (conn, provider_id) DO NOTHING`)
	prepare(&c.upsert, `INSERT INTO conversations (id, workspace_id, last_at, preview, unread) VALUES (?, 'bench', ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET unread = unread + 1,
			preview = CASE WHEN excluded.last_at >= last_at THEN excluded.preview ELSE preview END,
			last_at = max(last_at, excluded.last_at)`)
	prepare(&c.countMsgs, `SELECT count(*) FROM messages`)
	prepare(&c.beginImmediately, `BEGIN IMMEDIATE`)
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// write keeps msgs in one transaction: each message inserted once; the summary upserted for the
// new ones.
func (c *sqliteCeiling) write(ctx context.Context, msgs []ceilingMsg) (err error) {
	if _, err := c.beginImmediately.ExecContext(ctx); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = c.conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	for _, m := range msgs {
		at := m.at.UnixMilli()
		res, err := c.insert.ExecContext(ctx, m.conn, m.providerID, m.conversation(), m.text, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			continue // a repeated delivery
		}
		if _, err := c.upsert.ExecContext(ctx, m.conversation(), at, m.text); err != nil {
			return err
		}
	}
	_, err = c.conn.ExecContext(ctx, "COMMIT")
	return err
}

func (c *sqliteCeiling) count(ctx context.Context) (n int64, err error) {
	err = c.countMsgs.QueryRowContext(ctx).Scan(&n)
	return n, err
}

func (c *sqliteCeiling) close() {
	for _, s := range []*sql.Stmt{c.insert, c.upsert, c.countMsgs, c.beginImmediately} {
		if s != nil {
			s.Close()
		}
	}
	if c.conn != nil {
		c.conn.Close()
	}
	c.db.Close()
	removeSQLite(c.path)
}
