package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pool is a small connection pool over pgx.Conn: at most max connections exist at once, idle ones
// are reused, and a connection that broke or was left inside a transaction is closed instead of
// being reused.
//
// With a host's pgxpool.Pool (Config.Pool) it hands out the host pool's connections instead, checks
// once per connection that its search_path starts with the store's schema, and never closes the
// host's pool.
type pool struct {
	config *pgx.ConnConfig
	slots  chan struct{} // one token per connection that may exist

	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool

	// host is the host's pool (nil when the store owns its connections); held maps the connections
	// handed out to their pool handles, checked the host connections whose search_path was checked.
	host    *pgxpool.Pool
	schema  string
	held    map[*pgx.Conn]*pgxpool.Conn
	checked map[*pgx.Conn]bool
}

func newPool(config *pgx.ConnConfig, max int) *pool {
	return &pool{config: config, slots: make(chan struct{}, max)}
}

// newHostPool is a pool over the host's connections, for the store of schema.
func newHostPool(host *pgxpool.Pool, schema string) *pool {
	return &pool{host: host, schema: schema, held: map[*pgx.Conn]*pgxpool.Conn{}, checked: map[*pgx.Conn]bool{}}
}

// size is how many connections the pool may hand out at once.
func (p *pool) size() int {
	if p.host != nil {
		return int(p.host.Config().MaxConns)
	}
	return cap(p.slots)
}

// acquire returns an idle connection or opens one, waiting for a free slot until ctx ends.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	if p.host != nil {
		return p.acquireHost(ctx)
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, ErrClosed
	}
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.IsClosed() {
			p.mu.Unlock()
			return c, nil
		}
	}
	p.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, p.config)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return c, nil
}

// release gives c back. A closed connection, one not idle at the protocol level (a transaction left
// open, a query in flight), or any connection after Close is closed.
func (p *pool) release(c *pgx.Conn) {
	if p.host != nil {
		p.releaseHost(c)
		return
	}
	defer func() { <-p.slots }()
	if c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close(context.Background())
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// close closes the idle connections; connections in use are closed when released. A host's pool
// stays open: only the store stops taking its connections.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.Close(context.Background())
	}
}

// acquireHost takes a connection of the host's pool. The first time it sees a connection it checks
// that the connection's search_path starts with the store's schema (see Config.Pool).
func (p *pool) acquireHost(ctx context.Context) (*pgx.Conn, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	pc, err := p.host.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	c := pc.Conn()
	p.mu.Lock()
	p.held[c] = pc
	known := p.checked[c]
	p.mu.Unlock()
	if !known {
		if err := p.checkSearchPath(ctx, c); err != nil {
			p.releaseHost(c)
			return nil, err
		}
		p.mu.Lock()
		if len(p.checked) > 4*p.size() {
			clear(p.checked) // forget connections the host's pool closed since; they are checked again
		}
		p.checked[c] = true
		p.mu.Unlock()
	}
	return c, nil
}

// checkSearchPath fails with ErrSearchPath unless c's search_path names the store's schema first.
func (p *pool) checkSearchPath(ctx context.Context, c *pgx.Conn) error {
	var path string
	if err := c.QueryRow(ctx, "SELECT current_setting('search_path')").Scan(&path); err != nil {
		return fmt.Errorf("reading search_path: %w", err)
	}
	first, _, _ := strings.Cut(path, ",")
	if strings.Trim(strings.TrimSpace(first), `"`) != p.schema {
		return fmt.Errorf("%w: the host pool's connections have search_path %q, want %q first", ErrSearchPath, path, p.schema)
	}
	return nil
}

// releaseHost gives c back to the host's pool, which destroys it if it is broken or still inside a
// transaction.
func (p *pool) releaseHost(c *pgx.Conn) {
	p.mu.Lock()
	pc := p.held[c]
	delete(p.held, c)
	if c.IsClosed() {
		delete(p.checked, c)
	}
	p.mu.Unlock()
	if pc != nil {
		pc.Release()
	}
}
