package omnichannel

import (
	"context"
	"sync"
	"time"
)

// connectionCacheTTL is how long a webhook may use a connection it looked up earlier. Changes made
// through this Engine end the cached copies at once (see connCache); the TTL only bounds how long
// a change made by another process sharing the store (or by the host writing the store directly)
// may go unseen by this process's webhooks.
const connectionCacheTTL = time.Second

// connectionCacheMax bounds the cache; past it the cache starts over (a host with more connections
// than that looks some up again, nothing more).
const connectionCacheMax = 4096

// connCache keeps the connections webhooks resolved (by provider account or by id) for
// connectionCacheTTL, so a webhook does not open a read transaction to find its connection.
//
// Correctness: every Engine transaction that writes a connection (connect, disconnect, chat
// permission, rule sources, token refresh) goes through Engine.update, which watches the Tx's
// connection writes and calls forget after the commit. forget bumps gen and empties the cache; a
// lookup that began before the bump does not store what it read (it may predate the commit). So
// after Disconnect returns, no webhook of this Engine uses the old connection, exactly as without
// the cache; another process's disconnect is seen within connectionCacheTTL. Only found
// connections are cached: an unknown account is looked up every time.
type connCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[connCacheKey]connCacheEntry
}

type connCacheKey struct {
	kind       Kind
	externalID string
	id         string
}

type connCacheEntry struct {
	conn *Connection
	at   time.Time
}

// forget drops every cached connection and keeps lookups in flight from storing theirs.
func (c *connCache) forget() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// webhookConnection returns the connection key names, from the cache or else by find in a read
// transaction. The result is the caller's own copy.
func (e *Engine) webhookConnection(ctx context.Context, key connCacheKey, find func(tx Tx) (*Connection, error)) (*Connection, error) {
	c := &e.conns
	now := time.Now()
	c.mu.Lock()
	ent, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(ent.at) < connectionCacheTTL {
		cp := *ent.conn
		return &cp, nil
	}
	var conn *Connection
	if err := e.view(ctx, func(tx Tx) (err error) {
		conn, err = find(tx)
		return err
	}); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.entries == nil || len(c.entries) >= connectionCacheMax {
			c.entries = make(map[connCacheKey]connCacheEntry)
		}
		kept := *conn
		c.entries[key] = connCacheEntry{conn: &kept, at: now}
	}
	c.mu.Unlock()
	return conn, nil
}

// connWatchTx is the Tx Engine.update hands out: it notes connection writes so that the webhook
// cache is emptied once they commit.
type connWatchTx struct {
	Tx
	wrote *bool
}

// PutConnection implements Tx.
func (t connWatchTx) PutConnection(c *Connection) error {
	*t.wrote = true
	return t.Tx.PutConnection(c)
}

// UpdateConnection implements Tx.
func (t connWatchTx) UpdateConnection(c *Connection) error {
	*t.wrote = true
	return t.Tx.UpdateConnection(c)
}
