package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// postgresCeilingSchema is the PostgreSQL schema of the minimal inbox (freshSchema).
var postgresCeilingSchema = freshSchema("ceiling")

const postgresCeilingTables = `
CREATE TABLE conversations (
	id text PRIMARY KEY,
	workspace_id text NOT NULL,
	last_at timestamptz NOT NULL,
	preview text NOT NULL,
	unread bigint NOT NULL
);
CREATE INDEX conversations_list ON conversations (workspace_id, last_at DESC, id);
CREATE TABLE messages (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conn text NOT NULL,
	provider_id text NOT NULL,
	conversation_id text NOT NULL,
	body text NOT NULL,
	at timestamptz NOT NULL,
	UNIQUE (conn, provider_id)
);`

// postgresCeilingWrite keeps any number of messages in one statement: the messages inserted once
// (repeats skipped by the unique key), then the summaries of the conversations that got new ones
// upserted. Rows are taken in key order so that concurrent statements lock in the same order.
const postgresCeilingWrite = `
WITH input AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
		AS t(conn, provider_id, conversation_id, body, at)
), kept AS (
	INSERT INTO messages (conn, provider_id, conversation_id, body, at)
	SELECT conn, provider_id, conversation_id, body, at FROM input ORDER BY conn, provider_id
	ON CONFLICT (conn, provider_id) DO NOTHING
	RETURNING conversation_id, body, at
)
INSERT INTO conversations AS c (id, workspace_id, last_at, preview, unread)
SELECT conversation_id, 'bench', max(at), (array_agg(body ORDER BY at DESC))[1], count(*)
FROM kept GROUP BY conversation_id ORDER BY conversation_id
ON CONFLICT (id) DO UPDATE SET unread = c.unread + excluded.unread,
	preview = CASE WHEN excluded.last_at >= c.last_at THEN excluded.preview ELSE c.preview END,
	last_at = greatest(c.last_at, excluded.last_at)`

// postgresCeiling is the minimal inbox on PostgreSQL: as many connections as the store's pool in
// the benchmarks; every write is one statement in its own transaction.
type postgresCeiling struct {
	conns chan *pgx.Conn
	url   string
}

func openPostgresCeiling(ctx context.Context, o Options) (*postgresCeiling, error) {
	if err := dropSchema(ctx, o.Postgres, postgresCeilingSchema); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(o.Postgres)
	if err != nil {
		return nil, errors.New("postgres ceiling: bad -postgres URL") // the URL is a secret
	}
	cfg.RuntimeParams["search_path"] = postgresCeilingSchema
	c := &postgresCeiling{conns: make(chan *pgx.Conn, pgMaxConns), url: o.Postgres}
	for range pgMaxConns {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			c.close()
			return nil, errors.New("postgres ceiling: connecting failed (check -postgres)")
		}
		c.conns <- conn
	}
	conn := <-c.conns
	defer func() { c.conns <- conn }()
	create := "CREATE SCHEMA " + pgx.Identifier{postgresCeilingSchema}.Sanitize() + ";" + postgresCeilingTables
	if _, err := conn.Exec(ctx, create); err != nil {
		c.close()
		return nil, fmt.Errorf("postgres ceiling: %w", err)
	}
	return c, nil
}

// write keeps msgs with postgresCeilingWrite, retrying a deadlock between two batches that share
// a conversation.
func (c *postgresCeiling) write(ctx context.Context, msgs []ceilingMsg) error {
	conns, ids, convs, bodies := make([]string, len(msgs)), make([]string, len(msgs)), make([]string, len(msgs)), make([]string, len(msgs))
	ats := make([]time.Time, len(msgs))
	for i, m := range msgs {
		conns[i], ids[i], convs[i], bodies[i], ats[i] = m.conn, m.providerID, m.conversation(), m.text, m.at
	}
	conn := <-c.conns
	defer func() { c.conns <- conn }()
	for attempt := 0; ; attempt++ {
		_, err := conn.Exec(ctx, postgresCeilingWrite, conns, ids, convs, bodies, ats)
		var pgErr *pgconn.PgError
		if err != nil && attempt < 5 && errors.As(err, &pgErr) && pgErr.Code == "40P01" {
			continue
		}
		return err
	}
}

func (c *postgresCeiling) count(ctx context.Context) (n int64, err error) {
	conn := <-c.conns
	defer func() { c.conns <- conn }()
	err = conn.QueryRow(ctx, "SELECT count(*) FROM messages").Scan(&n)
	return n, err
}

// close closes the connections (all must be back) and drops the schema.
func (c *postgresCeiling) close() {
	for len(c.conns) > 0 {
		conn := <-c.conns
		_ = conn.Close(context.Background())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = dropSchema(ctx, c.url, postgresCeilingSchema)
}
