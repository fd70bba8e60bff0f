package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// eventGapTimeout is how long a listener waits for an event id that is missing below ids it has
// already read (an insert that committed later than a newer one) before deciding it was rolled back.
const eventGapTimeout = 10 * time.Second

// eventChannel is the NOTIFY channel of the store's schema.
func (s *Store) eventChannel() string { return "dakenh_events_" + s.cfg.Schema }

// RelayEvents stores refs as a row of the events table and notifies the listeners of the other
// Store values with the row's id, in one statement (the notification is sent when it commits).
// Concurrent calls are combined into one row (see relayBatcher). Rows older than
// Config.EventRetention are pruned now and then.
func (s *Store) RelayEvents(ctx context.Context, refs []omnichannel.EventRef) error {
	if len(refs) == 0 {
		return nil
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return s.relay(ctx, refs)
}

// maybePrune deletes expired event rows at most once per minute per Store.
func (s *Store) maybePrune(ctx context.Context, conn *pgx.Conn) {
	s.pruneMu.Lock()
	due := time.Since(s.lastPrune) >= time.Minute
	if due {
		s.lastPrune = time.Now()
	}
	s.pruneMu.Unlock()
	if !due {
		return
	}
	_, err := conn.Exec(ctx, `DELETE FROM events WHERE created_at < now() - make_interval(secs => $1)`,
		s.cfg.EventRetention.Seconds())
	if err != nil {
		s.cfg.Logger.Warn("dakenh/postgres: pruning relayed events failed", "err", err)
	}
}

// ListenEvents calls fn, from this goroutine, for every ref relayed through another Store value over
// the same schema, until ctx ends; it then returns ctx.Err().
//
// A dedicated connection LISTENs for the ids; on each notification, and every
// Config.EventPollInterval without one, the rows newer than the last seen are read, so refs are
// still delivered (through the pool, by polling) while the listener connection is down and being
// re-established. Each ref is delivered at least once; refs relayed before the call may be missed.
func (s *Store) ListenEvents(ctx context.Context, fn func(omnichannel.EventRef)) error {
	l := &listener{s: s}
	defer l.closeConn()
	l.connect(ctx)
	floor, err := s.latestEventID(ctx, l.conn)
	for err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.cfg.Logger.Warn("dakenh/postgres: reading the events table failed; retrying", "err", err)
		l.sleep(ctx)
		floor, err = s.latestEventID(ctx, nil)
	}
	cur := newEventCursor(floor)
	s.listeners.Add(1)
	defer s.listeners.Add(-1)
	for ctx.Err() == nil {
		rows, err := s.eventsAfter(ctx, l.conn, cur.floor)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("dakenh/postgres: reading relayed events failed", "err", err)
			l.closeConn()
		}
		for _, r := range cur.accept(rows, time.Now()) {
			if r.source == s.id {
				continue
			}
			for _, ref := range r.refs {
				fn(ref)
			}
		}
		l.wait(ctx)
	}
	return ctx.Err()
}

// listenerApplicationName names the listener connections in pg_stat_activity (at most 63 bytes).
func listenerApplicationName(schema string) string { return "dakenh-events-" + schema }

// listener holds the LISTEN connection of one ListenEvents call.
type listener struct {
	s    *Store
	conn *pgx.Conn // nil while down
}

// connect opens the connection and LISTENs; on failure conn stays nil and polling goes on.
func (l *listener) connect(ctx context.Context) {
	cfg := l.s.conn.Copy()
	cfg.RuntimeParams["application_name"] = listenerApplicationName(l.s.cfg.Schema)
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		_, err = c.Exec(ctx, "LISTEN "+pgx.Identifier{l.s.eventChannel()}.Sanitize())
		if err != nil {
			c.Close(context.Background())
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			l.s.cfg.Logger.Warn("dakenh/postgres: event listener connection failed; polling", "err", err)
		}
		return
	}
	l.conn = c
}

func (l *listener) closeConn() {
	if l.conn != nil {
		l.conn.Close(context.Background())
		l.conn = nil
	}
}

// wait returns on a notification, after the poll interval, or when ctx ends. A broken listener
// connection is closed and re-opened on the next wait.
func (l *listener) wait(ctx context.Context) {
	if l.conn == nil {
		l.sleep(ctx)
		l.connect(ctx)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, l.s.cfg.EventPollInterval)
	defer cancel()
	_, err := l.conn.WaitForNotification(wctx)
	if err != nil && l.conn.IsClosed() {
		// A timeout leaves the connection open; anything that closed it is a lost connection.
		if ctx.Err() == nil {
			l.s.cfg.Logger.Warn("dakenh/postgres: event listener connection lost; reconnecting", "err", err)
		}
		l.closeConn()
	}
}

func (l *listener) sleep(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(l.s.cfg.EventPollInterval):
	}
}

// eventRow is one relayed batch.
type eventRow struct {
	id     int64
	source string
	refs   []omnichannel.EventRef
}

// querier is what the event reads need: the listener's connection or a pooled one.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// withConn runs fn on conn, or on a pooled connection when conn is nil.
func (s *Store) withConn(ctx context.Context, conn *pgx.Conn, fn func(q querier) error) error {
	if conn != nil {
		return fn(conn)
	}
	c, err := s.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.pool.release(c)
	return fn(c)
}

func (s *Store) latestEventID(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var id int64
	err := s.withConn(ctx, conn, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT coalesce(max(id), 0) FROM events`)
		if err != nil {
			return err
		}
		id, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
		return err
	})
	return id, err
}

// eventsAfter reads the rows with id > floor, oldest first.
func (s *Store) eventsAfter(ctx context.Context, conn *pgx.Conn, floor int64) ([]eventRow, error) {
	var out []eventRow
	err := s.withConn(ctx, conn, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT id, source, refs FROM events WHERE id > $1 ORDER BY id LIMIT 5000`, floor)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r eventRow
			var payload []byte
			if err := rows.Scan(&r.id, &r.source, &payload); err != nil {
				return err
			}
			if err := json.Unmarshal(payload, &r.refs); err != nil {
				return fmt.Errorf("decoding event %d: %w", r.id, err)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// eventCursor remembers which event ids were delivered. Ids come from a sequence, but inserts may
// commit out of order, so an id missing below the newest one read may still appear: it is awaited
// for eventGapTimeout before it is given up (it was most likely rolled back).
type eventCursor struct {
	floor int64               // every id ≤ floor is settled
	seen  map[int64]bool      // delivered ids above floor
	gaps  map[int64]time.Time // missing ids above floor, with the time they were first missed
}

func newEventCursor(floor int64) *eventCursor {
	return &eventCursor{floor: floor, seen: map[int64]bool{}, gaps: map[int64]time.Time{}}
}

// maxGapScan bounds the id range examined for gaps after one read.
const maxGapScan = 100_000

// accept returns the rows not delivered before, and advances the floor past settled ids.
func (c *eventCursor) accept(rows []eventRow, now time.Time) []eventRow {
	var fresh []eventRow
	top := c.floor
	for _, r := range rows {
		if r.id <= c.floor || c.seen[r.id] {
			continue
		}
		c.seen[r.id] = true
		delete(c.gaps, r.id)
		fresh = append(fresh, r)
		top = max(top, r.id)
	}
	for id := c.floor + 1; id < top && id-c.floor <= maxGapScan; id++ {
		if _, missing := c.gaps[id]; !missing && !c.seen[id] {
			c.gaps[id] = now
		}
	}
	for {
		next := c.floor + 1
		if c.seen[next] {
			delete(c.seen, next)
		} else if since, missing := c.gaps[next]; missing && now.Sub(since) >= eventGapTimeout {
			delete(c.gaps, next)
		} else if top-c.floor > maxGapScan {
			delete(c.gaps, next) // a jump too large to track: give the ids up
		} else {
			return fresh
		}
		c.floor = next
	}
}
