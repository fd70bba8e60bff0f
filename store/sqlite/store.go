package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"

	"github.com/dakenh/dakenh/internal/keylock"
	"github.com/dakenh/dakenh/omnichannel"
)

// Store is an omnichannel.Store kept in one SQLite file. It is safe for concurrent use; several
// Stores (in one process or several) may open the same file. Make one with Open.
type Store struct {
	cfg Config

	// wdb holds the single writer connection, used through writer only by the writer goroutine and
	// by the Update function whose turn it is.
	wdb    *sql.DB
	writer *runner

	// rdb holds the read connections; readers is the pool View takes them from.
	rdb     *sql.DB
	readers chan *runner
	// readConns is how many read connections were opened (all in readers when no View runs).
	readConns int

	mu         sync.RWMutex // guards closed and sending on queue
	closed     bool
	closing    chan struct{} // closed by Close: no more Views start
	queue      chan *request
	writerDone chan struct{}

	batches atomic.Int64 // committed or failed batches, for tests and metrics
	updates atomic.Int64 // Update functions run by the writer
	// grouped and ungrouped count the grouped updates applied from their recorded writes and
	// those that ran again as an Update (group_commit.go).
	grouped, ungrouped atomic.Int64
	// failedWrites and rolledBack count the grouped updates whose writes failed at the writer and,
	// of those, the ones that made their segment roll back (writer.go).
	failedWrites, rolledBack atomic.Int64
	busy                     atomic.Int64 // nanoseconds the writer spent in batches, waits excluded
	lingered                 atomic.Int64 // nanoseconds the writer waited for requests while syncing

	// ckpt runs the WAL checkpoints in the background (checkpoint.go).
	ckpt        *checkpointer
	checkpoints atomic.Int64

	// syncer fsyncs the WAL for the writer's batches with SyncFull (walsync.go); nil otherwise.
	syncer *walSyncer

	// threads are the customers of grouped updates in flight (group_commit.go).
	threads keylock.Locks
	// recording counts the grouped updates' functions running (group_commit.go); Close waits for
	// them before closing the read connections.
	recording sync.WaitGroup
	// hold, when set (tests), is received from by the writer before it runs a batch's first
	// request; held is true meanwhile.
	hold chan struct{}
	held atomic.Bool

	// full is set while the disk is full: writes are refused with ErrUnavailable (diskfull.go).
	full atomic.Bool
}

var _ omnichannel.Store = (*Store)(nil)

// Open validates cfg (every problem reported at once, matching omnichannel.ErrInvalid), opens or
// creates the database file, switches it to WAL, applies the embedded migrations the file lacks and
// starts the writer goroutine. With Config.SkipMigrations it applies none and fails with an error
// wrapping store.ErrMigrationsPending when the file's schema is older than this build (see Migrate
// and MigrationStatus). Close the Store when done.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, queue: make(chan *request, cfg.QueueSize), readers: make(chan *runner, cfg.ReadConns),
		closing: make(chan struct{}), writerDone: make(chan struct{})}
	if !s.ensureReserve() {
		s.full.Store(true) // no room for the reserve: the disk is (nearly) full already
	}
	err := s.open(ctx)
	if err != nil && errors.Is(unavailable(err), omnichannel.ErrUnavailable) {
		// No room to open (the shared-memory file, the WAL): the reserve's space lets it open;
		// writes wait for space (see diskfull.go).
		_ = s.closeDBs()
		s.enterFull()
		s.ckpt, s.writer, s.rdb, s.wdb, s.readConns = nil, nil, nil, nil, 0
		s.readers = make(chan *runner, cfg.ReadConns)
		err = s.open(ctx)
	}
	if err != nil {
		_ = s.closeDBs()
		return nil, err
	}
	s.startSyncer()
	go s.writeLoop()
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var err error
	if s.wdb, err = sql.Open("sqlite", s.cfg.writerDSN()); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.cfg.Path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	wconn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.cfg.Path, err)
	}
	s.writer = &runner{ctx: bg, conn: wconn, cache: map[string]*sql.Stmt{}}
	if err := s.useWAL(ctx); err != nil {
		return err
	}
	if err := s.tuneWriter(ctx); err != nil {
		return err
	}
	if s.cfg.SkipMigrations {
		err = checkSchemaCurrent(ctx, wconn, s.cfg.Path)
	} else {
		err = migrate(ctx, wconn, 0)
	}
	if err != nil {
		return err
	}
	if s.rdb, err = sql.Open("sqlite", s.cfg.dsn(true)); err != nil {
		return fmt.Errorf("sqlite: open %s for reading: %w", s.cfg.Path, err)
	}
	s.rdb.SetMaxOpenConns(s.cfg.ReadConns)
	s.rdb.SetMaxIdleConns(s.cfg.ReadConns)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	for range s.cfg.ReadConns {
		conn, err := s.rdb.Conn(ctx)
		if err != nil {
			return fmt.Errorf("sqlite: open %s for reading: %w", s.cfg.Path, err)
		}
		s.readers <- &runner{ctx: bg, conn: conn, cache: map[string]*sql.Stmt{}}
		s.readConns++
	}
	return s.startCheckpointer(ctx)
}

// useWAL switches the file to write-ahead logging (persistent in the file). Another process may hold
// a lock that keeps SQLite from changing the mode, in which case the PRAGMA answers the old mode or
// SQLITE_BUSY: it is retried until BusyTimeout.
func (s *Store) useWAL(ctx context.Context) error {
	deadline := time.Now().Add(s.cfg.BusyTimeout)
	for {
		var mode string
		err := s.writer.conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("journal mode stays %q", mode)
			}
			return fmt.Errorf("sqlite: switch %s to WAL: %w", s.cfg.Path, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Update runs fn in a read-write transaction and returns once the transaction that holds fn's
// writes has committed (nil), or with fn's error unchanged after fn's writes were rolled back.
//
// Concurrent Updates are group-committed: the writer goroutine runs them one after the other, each
// inside its own SAVEPOINT of one SQLite transaction (BEGIN IMMEDIATE), then commits them together.
// fn runs on the calling goroutine while it is its turn. When fn returns an error or panics, only
// its savepoint is rolled back (the panic then continues in the caller); the others of the batch
// are unaffected. When the COMMIT of the batch fails, every caller whose fn succeeded gets that
// error and nothing of the batch is kept.
//
// ctx is honoured while the call waits for its turn: a canceled call that has not started returns
// ctx.Err() and fn never runs. Once fn has started, Update waits for the outcome of the batch
// (bounded by MaxBatchDuration and the commit), so that it never reports an error for writes that
// were committed. Statements inside fn are not interrupted by ctx. fn must not call Update on the
// same Store: it would wait for its own batch forever (View is fine, and reads the last commit).
func (s *Store) Update(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.full.Load() {
		return errDiskFull
	}
	req := newRequest(fn)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.queue <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	return req.wait(ctx)
}

// View runs fn in a read-only transaction on a connection of the read pool: every read of fn sees
// the same snapshot of the database, the last commit before its first read. Write methods return
// ErrReadOnly. fn's error is returned unchanged.
func (s *Store) View(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := s.takeReader(ctx)
	if err != nil {
		return err
	}
	defer s.giveReader(r)
	if _, err := r.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	tx := &txn{q: r, keys: s.cfg.Keyring}
	defer func() {
		tx.done.Store(true)
		if _, err := r.conn.ExecContext(bg, "ROLLBACK"); err != nil {
			// The transaction is gone already (an interrupted statement may end it); make sure.
			_, _ = r.conn.ExecContext(bg, "ROLLBACK")
		}
	}()
	return fn(tx)
}

// Close stops accepting transactions, lets the writer finish the Updates already queued, waits for
// the Views and the grouped updates' functions in flight, runs PRAGMA optimize and closes the
// database. Later Update and View calls return ErrClosed. Close is
// idempotent; it returns the first error met while closing.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	close(s.closing)
	s.mu.Unlock()
	<-s.writerDone
	s.recording.Wait()
	_, _ = s.writer.conn.ExecContext(bg, "PRAGMA optimize")
	return s.closeDBs()
}

// closeDBs waits for the Views in flight to give their connections back and closes everything
// that was opened.
func (s *Store) closeDBs() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	for range s.readConns {
		r := <-s.readers
		errs = append(errs, r.close(), r.conn.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.close(), s.writer.conn.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// Stats are counters of the writer, for monitoring and tests.
type Stats struct {
	// Batches is the number of SQLite transactions the writer ran for Update calls.
	Batches int64
	// Updates is the number of Update functions the writer ran in them.
	Updates int64
	// Checkpoints is the number of background checkpoints that copied WAL pages into the
	// database file.
	Checkpoints int64
	// Grouped counts the grouped updates (UpdateGrouped) whose recorded writes the writer applied
	// (each is one of Updates too); Ungrouped those that ran again as an Update.
	Grouped, Ungrouped int64
	// FailedWrites counts the grouped updates whose recorded writes failed when the writer ran them
	// (a duplicate, a stale version: a conflict with a concurrent update), after which they ran
	// again; SegmentRollbacks the failures after a first write that succeeded, which rolled back
	// and ran again the writes before them in the segment.
	FailedWrites, SegmentRollbacks int64
	// WriterBusy is the time the writer spent running batches, commits included, and WriterWaited
	// the time it kept a batch open waiting for requests while the WAL was being synced: against the
	// time elapsed, how busy the single writer is.
	WriterBusy, WriterWaited time.Duration
	// WALSyncs is the number of fsyncs of the WAL that answered batches (SyncFull only): against
	// Batches, how many commits one fsync covered.
	WALSyncs int64
}

// Stats returns the writer's counters; Updates / Batches is the average group-commit size.
func (s *Store) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Updates: s.updates.Load(), Checkpoints: s.checkpoints.Load(),
		Grouped: s.grouped.Load(), Ungrouped: s.ungrouped.Load(),
		FailedWrites: s.failedWrites.Load(), SegmentRollbacks: s.rolledBack.Load(), WriterBusy: time.Duration(s.busy.Load()),
		WriterWaited: time.Duration(s.lingered.Load()), WALSyncs: s.walSyncs()}
}
