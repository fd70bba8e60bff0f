package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// callWithFreshToken runs call with conn's credentials, refreshing them first when they are about
// to expire, and once more (then retrying the call once) when the provider says the token expired.
func (e *Engine) callWithFreshToken(ctx context.Context, conn *Connection, call func(*Connection) error) error {
	c, err := e.freshConnection(ctx, conn, false)
	if err != nil {
		return err
	}
	err = call(c)
	if !errors.Is(err, ErrTokenExpired) {
		return err
	}
	if _, ok := e.channels[conn.Kind].(TokenRefresher); !ok {
		return err
	}
	c, rerr := e.freshConnection(ctx, c, true)
	if rerr != nil {
		return rerr
	}
	return call(c)
}

// freshConnection returns conn with usable credentials. Refreshes are serialized per connection
// across engine processes by a store lease; the rotated tokens are saved before they are used, and a
// dead grant marks the connection "needs reconnect" without touching the stored tokens.
func (e *Engine) freshConnection(ctx context.Context, conn *Connection, force bool) (*Connection, error) {
	tr, ok := e.channels[conn.Kind].(TokenRefresher)
	if !ok {
		return conn, nil
	}
	due := func(c *Connection) bool {
		return !c.Credentials.AccessExpiry.IsZero() && !e.now().Add(tr.RefreshSkew()).Before(c.Credentials.AccessExpiry)
	}
	if !force && !due(conn) {
		return conn, nil
	}
	stale := conn.Credentials.AccessToken
	key := "refresh:" + conn.ID
	// One holder per attempt, not per engine: leases are re-entrant for their holder, and the
	// workers of one engine must not refresh a single-use refresh token concurrently either.
	holder := e.id + "/" + newID()
	if err := e.acquireLease(ctx, key, holder, time.Minute); err != nil {
		return nil, err
	}
	defer e.releaseLease(key, holder)
	var cur *Connection
	if err := e.view(ctx, func(tx Tx) (err error) {
		cur, err = tx.GetConnection(conn.WorkspaceID, conn.ID)
		return err
	}); err != nil {
		return nil, err
	}
	if cur.Status == ConnectionNeedsReconnect {
		return nil, fmt.Errorf("%w: %s", ErrNeedsReconnect, cur.StatusReason)
	}
	if cur.Credentials.AccessToken != stale && !due(cur) {
		return cur, nil // another worker or process refreshed meanwhile
	}
	rctx, span := e.tel.span(ctx, "dakenh.token.refresh", AttrChannel.String(string(cur.Kind)))
	creds, rerr := tr.RefreshTokens(rctx, cur)
	e.tel.recordRefresh(rctx, span, cur.Kind, rerr)
	if rerr != nil && !errors.Is(rerr, ErrNeedsReconnect) {
		return nil, rerr
	}
	err := e.update(context.WithoutCancel(ctx), func(tx Tx, ch *change) error {
		c, err := tx.GetConnection(cur.WorkspaceID, cur.ID)
		if err != nil {
			return err
		}
		if rerr != nil {
			c.Status, c.StatusReason = ConnectionNeedsReconnect, failureText(rerr)
		} else {
			if creds.AccessToken == "" {
				return fmt.Errorf("%s token refresh returned no access token", cur.Kind)
			}
			if creds.RefreshToken == "" {
				creds.RefreshToken = c.Credentials.RefreshToken
			}
			c.Credentials = creds
		}
		c.UpdatedAt = e.now()
		if err := tx.UpdateConnection(c); err != nil {
			return err
		}
		cur = c
		ch.emit(Event{Kind: EventConnectionUpdated, WorkspaceID: c.WorkspaceID, ConnectionID: c.ID, At: e.now()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		e.log.Warn("dakenh: connection needs reconnect", "connection", cur.ID, "kind", cur.Kind)
		return nil, rerr
	}
	return cur, nil
}

// acquireLease waits until holder holds the named lease or ctx ends.
func (e *Engine) acquireLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	delay := 5 * time.Millisecond
	for {
		var ok bool
		err := e.store.Update(ctx, func(tx Tx) (err error) {
			now := e.now()
			ok, err = tx.AcquireLease(key, holder, now, now.Add(ttl))
			return err
		})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

func (e *Engine) releaseLease(key, holder string) {
	err := e.store.Update(context.Background(), func(tx Tx) error { return tx.ReleaseLease(key, holder) })
	if err != nil {
		e.log.Error("dakenh: releasing lease failed", "lease", key, "err", err)
	}
}
