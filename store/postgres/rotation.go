package postgres

import (
	"context"
	"fmt"
	"sync"
)

// rotatorConns is how many connections the rotator may use at once. A position is one short
// statement, so a few connections serve every transaction of the process.
const rotatorConns = 4

// rotator hands out round-robin positions (Tx.NextRotation) outside the callers' transactions, on
// connections of its own, one autocommitted statement each.
//
// Taken inside the caller's transaction, the increment locked the rotation's row until that
// transaction committed, so every transaction opening a conversation under the same rule queued
// behind the previous one's remaining statements and WAL flush: under a burst of new customers two
// thirds of the ingest connections sat in "Lock: transactionid" on that row. Taken here, the row is
// locked for the one statement. The cost is the one the Tx contract allows: a position taken by a
// transaction that then rolls back is skipped (the next customer goes to the next agent).
//
// The connections run with synchronous_commit off: a position is a turn, not data. A server crash
// may forget the last few increments, and then a few turns repeat. They are not the store's pool:
// a transaction holding a pool connection never waits for another pool connection.
type rotator struct {
	mu   sync.Mutex
	pool *pool // nil until first use
}

// rotatorPool returns the rotator's pool, made on first use.
func (s *Store) rotatorPool() *pool {
	r := &s.rotator
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pool == nil {
		cfg := s.conn.Copy()
		cfg.RuntimeParams["synchronous_commit"] = "off"
		r.pool = newPool(cfg, rotatorConns)
	}
	return r.pool
}

// nextRotation increments the (workspaceID, key) rotation in a transaction of its own and returns
// the position before the increment.
func (s *Store) nextRotation(ctx context.Context, workspaceID, key string) (int64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	p := s.rotatorPool()
	c, err := p.acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: next rotation: %w", err)
	}
	defer p.release(c)
	var n int64
	err = c.QueryRow(ctx, `INSERT INTO rotations (workspace_id, key, next) VALUES ($1, $2, 1)
		ON CONFLICT (workspace_id, key) DO UPDATE SET next = rotations.next + 1
		RETURNING next - 1`, workspaceID, key).Scan(&n)
	if err != nil {
		c.Close(context.Background()) // release drops it
		return 0, fmt.Errorf("postgres: next rotation: %w", err)
	}
	return n, nil
}

// closeRotator closes the rotator's idle connections (at Close), if it ever made any; one in use
// is closed when released.
func (s *Store) closeRotator() {
	r := &s.rotator
	r.mu.Lock()
	p := r.pool
	r.mu.Unlock()
	if p != nil {
		p.close()
	}
}
