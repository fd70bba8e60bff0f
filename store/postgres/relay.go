package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// relayBatcher combines concurrent RelayEvents calls: the first caller writes everything queued
// until nothing is (one events row and one NOTIFY per write), the others wait for the write that
// carried their refs. Writes go through one connection with synchronous_commit off: an event ref is
// a notification, not data (receivers re-read the rows, which were committed durably), so it does
// not wait for a WAL flush; a server crash loses at most the refs of its last moments, together
// with every listener's connection.
type relayBatcher struct {
	mu       sync.Mutex
	pending  []omnichannel.EventRef
	waiters  []chan error
	flushing bool
	conn     *pgx.Conn // the leader's connection; nil until first use and after a failure
}

// relay queues refs and returns when they are written, or with the write's error.
func (s *Store) relay(ctx context.Context, refs []omnichannel.EventRef) error {
	r := &s.relayer
	done := make(chan error, 1)
	r.mu.Lock()
	r.pending = append(r.pending, refs...)
	r.waiters = append(r.waiters, done)
	if r.flushing {
		r.mu.Unlock()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.flushing = true
	for len(r.pending) > 0 {
		batch, waiters := r.pending, r.waiters
		r.pending, r.waiters = nil, nil
		r.mu.Unlock()
		err := s.writeRelayed(context.WithoutCancel(ctx), batch)
		for _, w := range waiters {
			w <- err
		}
		r.mu.Lock()
	}
	r.flushing = false
	if s.closed.Load() && r.conn != nil {
		r.conn.Close(context.Background())
		r.conn = nil
	}
	r.mu.Unlock()
	return <-done
}

// writeRelayed stores refs as one events row and notifies the listeners with its id.
func (s *Store) writeRelayed(ctx context.Context, refs []omnichannel.EventRef) error {
	r := &s.relayer
	payload, err := json.Marshal(refs)
	if err != nil {
		return fmt.Errorf("postgres: encoding event refs: %w", err)
	}
	if r.conn == nil || r.conn.IsClosed() {
		cfg := s.conn.Copy()
		cfg.RuntimeParams["synchronous_commit"] = "off"
		if r.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			r.conn = nil
			return fmt.Errorf("postgres: connecting: %w", err)
		}
	}
	_, err = r.conn.Exec(ctx, `WITH ins AS (INSERT INTO events (source, refs) VALUES ($1, $2) RETURNING id)
		SELECT pg_notify($3, id::text) FROM ins`, s.id, payload, s.eventChannel())
	if err != nil {
		r.conn.Close(context.Background())
		r.conn = nil
		return fmt.Errorf("postgres: relaying events: %w", err)
	}
	s.maybePrune(ctx, r.conn)
	return nil
}

// closeRelay closes the relay connection (at Close).
func (s *Store) closeRelay() {
	r := &s.relayer
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil && !r.flushing {
		r.conn.Close(context.Background())
		r.conn = nil
	}
}
