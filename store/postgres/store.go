package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dakenh/dakenh/internal/keylock"
	"github.com/dakenh/dakenh/omnichannel"
)

// Errors specific to the PostgreSQL store.
var (
	// ErrClosed is returned by Update and View after Close.
	ErrClosed = errors.New("postgres: store closed")
	// ErrReadOnly is returned by a write method called inside View.
	ErrReadOnly = errors.New("postgres: write in a read-only transaction")
	// ErrTxDone is returned by a Tx method called after the transaction's function returned.
	ErrTxDone = errors.New("postgres: transaction already finished")
)

// Store is an omnichannel.Store and omnichannel.EventRelay over a PostgreSQL database. It is safe
// for concurrent use, and several Store values, in one process or many, may share one database.
type Store struct {
	cfg    Config
	conn   *pgx.ConnConfig
	pool   *pool
	sealer *sealer
	id     string // tells this Store's relayed events from the others'
	closed atomic.Bool
	// listeners counts the ListenEvents calls past their start (tests wait for them).
	listeners atomic.Int32

	pruneMu   sync.Mutex
	lastPrune time.Time

	relayer   relayBatcher
	rotator   rotator
	committer groupCommitter
	// threads are the customer threads of grouped updates in flight (threads.go).
	threads keylock.Locks
}

var (
	_ omnichannel.Store          = (*Store)(nil)
	_ omnichannel.EventRelay     = (*Store)(nil)
	_ omnichannel.GroupCommitter = (*Store)(nil)
)

// Open validates cfg, connects, and creates or migrates the schema (with Config.SkipMigrations, it
// checks the schema instead and fails with an error wrapping store.ErrMigrationsPending when it is
// behind). Racing Opens of one database are safe: migrations run under a transaction-scoped
// advisory lock. Close the Store when done.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := open(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SkipMigrations {
		err = s.checkSchemaCurrent(ctx)
	} else {
		err = s.Migrate(ctx)
	}
	if err != nil {
		s.pool.close()
		return nil, err
	}
	return s, nil
}

// open validates cfg and makes the Store, without touching the database.
func open(cfg Config) (*Store, error) {
	conn, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	sl, _ := newSealer(cfg) // validated above
	p := newPool(conn, cfg.MaxConns)
	if cfg.Pool != nil {
		p = newHostPool(cfg.Pool, cfg.Schema)
	}
	s := &Store{cfg: cfg, conn: conn, pool: p, sealer: sl, id: uuid.NewString()}
	s.committer.s = s
	return s, nil
}

// Close releases the connections (a host's Config.Pool stays open: its connections go back to it).
// Update and View fail with ErrClosed afterwards; ListenEvents calls should be ended through their
// contexts first. Close always returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.committer.stop()
	s.pool.close()
	s.closeRelay()
	s.closeRotator()
	return nil
}

// Update runs fn in a READ COMMITTED read-write transaction and commits when fn returns nil;
// otherwise it rolls back and returns fn's error unchanged. Conversation and connection updates are
// compare-and-set on Version, so concurrent writers never lose an update. When PostgreSQL reports
// a serialization failure or a deadlock, the transaction is rolled back and fn runs again (up to
// Config.MaxRetries times) with a short random pause.
func (s *Store) Update(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, true, fn)
}

// View runs fn in a REPEATABLE READ read-only transaction: every read of fn sees one snapshot.
// Write methods of tx return ErrReadOnly. fn's error is returned unchanged.
func (s *Store) View(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, writable bool, fn func(tx omnichannel.Tx) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.closed.Load() {
			return ErrClosed
		}
		err, retry := s.attempt(ctx, opts, writable, fn)
		if !retry || attempt >= s.cfg.MaxRetries {
			return err
		}
		pause := time.Duration(1+rand.IntN(5<<min(attempt, 5))) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// attempt runs fn once in a transaction. retry reports a serialization failure or deadlock.
func (s *Store) attempt(ctx context.Context, opts pgx.TxOptions, writable bool, fn func(tx omnichannel.Tx) error) (err error, retry bool) {
	conn, err := s.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connecting: %w", err), false
	}
	// The BEGIN goes with the first statement; lazyTx may trade a dead idle connection for another.
	ltx := &lazyTx{ctx: ctx, pool: s.pool, conn: conn, opts: opts}
	defer func() {
		if ltx.conn != nil {
			s.pool.release(ltx.conn)
		}
	}()
	t := &txn{ctx: ctx, tx: ltx, writable: writable, sealer: s.sealer, store: s}
	committed := false
	defer func() {
		t.done.Store(true)
		if !committed {
			// A rollback that fails leaves the connection unusable; release closes it.
			_ = ltx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(t); err != nil {
		return err, t.retryable || isRetryable(err)
	}
	if t.retryable {
		// fn swallowed a serialization failure: the transaction is aborted, run fn again.
		return fmt.Errorf("postgres: transaction aborted by a serialization failure"), true
	}
	if err := ltx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err), isRetryable(err)
	}
	committed = true
	return nil, false
}

// isRetryable reports whether err is a serialization failure (40001) or a deadlock (40P01).
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
