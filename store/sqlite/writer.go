package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Request states: the writer and a canceled caller race to move a queued request on.
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// errAborted stands for a function that panicked or called runtime.Goexit.
var errAborted = errors.New("sqlite: update function did not return")

// request is one Update call travelling through the writer.
type request struct {
	fn    func(tx omnichannel.Tx) error
	state atomic.Int32
	// turn hands the caller its Tx: the savepoint is open and fn may run.
	turn chan *txn
	// done carries fn's outcome back to the writer.
	done chan error
	// result carries the final answer to the caller: fn's error, the commit's, or ErrClosed.
	result chan error
}

func newRequest(fn func(tx omnichannel.Tx) error) *request {
	return &request{fn: fn, turn: make(chan *txn, 1), done: make(chan error, 1), result: make(chan error, 1)}
}

// take is the writer's claim on r; false when the caller gave up first.
func (r *request) take() bool { return r.state.CompareAndSwap(stateQueued, stateTaken) }

// wait blocks until it is r's turn, runs fn, and returns the outcome. A cancellation of ctx is
// honoured while r is still queued.
func (r *request) wait(ctx context.Context) error {
	select {
	case tx := <-r.turn:
		return r.run(tx)
	case err := <-r.result:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
			return ctx.Err()
		}
	}
	// The writer took r before the cancellation: fn runs and its outcome is reported truthfully.
	select {
	case tx := <-r.turn:
		return r.run(tx)
	case err := <-r.result:
		return err
	}
}

// run calls fn on the caller's goroutine. When fn panics or calls runtime.Goexit, the deferred
// function tells the writer, which rolls fn's savepoint back before the panic goes on.
func (r *request) run(tx *txn) error {
	returned := false
	defer func() {
		tx.done.Store(true)
		if !returned {
			r.done <- errAborted
			<-r.result
		}
	}()
	err := r.fn(tx)
	returned = true
	tx.done.Store(true)
	r.done <- err
	return <-r.result
}

// writeLoop is the writer goroutine: it turns queued requests into batches until the queue is
// closed and drained.
func (s *Store) writeLoop() {
	defer close(s.writerDone)
	for r := range s.queue {
		if r.take() {
			s.runBatch(r)
		}
	}
}

// next returns the next queued request without waiting, nil when there is none.
func (s *Store) next() *request {
	for {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return nil
			}
			if r.take() {
				return r
			}
		default:
			return nil
		}
	}
}

// writerPragmas tune the writer connection for group commit (per connection, not stored in the
// file):
//   - temp_store MEMORY keeps each Update's SAVEPOINT sub-journal in memory. By default SQLite
//     spills a sub-journal past 64 KiB to a temporary file, and an ingest that touches the
//     conversation's list indexes dirties more pages than that: one file created, written and
//     deleted per Update, a quarter of the writer's CPU time in the ingest benchmark.
//   - cache_size keeps the hot pages of the tables and indexes that every ingest touches in the
//     writer's page cache (the default is 2 MiB).
//   - wal_autocheckpoint leaves checkpoints to the background checkpointer (checkpoint.go) unless
//     the WAL grows past writerCheckpointPages.
var writerPragmas = []string{
	"PRAGMA temp_store = MEMORY",
	"PRAGMA cache_size = -65536", // KiB: 64 MiB
	fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages),
}

// tuneWriter applies writerPragmas to the writer connection.
func (s *Store) tuneWriter(ctx context.Context) error {
	for _, p := range writerPragmas {
		if _, err := s.writer.conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("sqlite: %s: %w", p, err)
		}
	}
	return nil
}

// bg is the context of the writer's statements: a caller's cancellation must not interrupt the
// shared connection in the middle of another caller's work.
var bg = context.Background()

// runBatch runs first and whatever else is queued, up to MaxBatchSize requests or MaxBatchDuration,
// in one transaction, and answers every caller once the outcome is known.
func (s *Store) runBatch(first *request) {
	s.batches.Add(1)
	start := time.Now()
	if _, err := s.writer.exec("BEGIN IMMEDIATE"); err != nil {
		err = unavailable(fmt.Errorf("sqlite: begin: %w", err))
		s.noteWriteError(err)
		first.result <- err
		return
	}
	var committed []*request
	fail := func(err error) {
		err = unavailable(err)
		s.noteWriteError(err)
		_, _ = s.writer.exec("ROLLBACK")
		for _, r := range committed {
			r.result <- err
		}
	}
	for r, n := first, 1; r != nil; r, n = s.next(), n+1 {
		ok, fatal := s.runOne(r)
		if fatal != nil {
			fail(fatal)
			return
		}
		if ok {
			committed = append(committed, r)
		}
		if n >= s.cfg.MaxBatchSize || time.Since(start) >= s.cfg.MaxBatchDuration {
			break
		}
	}
	if _, err := s.writer.exec("COMMIT"); err != nil {
		fail(fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	for _, r := range committed {
		r.result <- nil
	}
}

// runOne gives r its turn inside a savepoint. ok reports that fn succeeded and its writes wait for
// the commit; when fn failed, r has been answered already. fatal is an error that broke the whole
// transaction (r is answered with it too).
func (s *Store) runOne(r *request) (ok bool, fatal error) {
	s.updates.Add(1)
	if _, err := s.writer.exec("SAVEPOINT fn"); err != nil {
		fatal = unavailable(fmt.Errorf("sqlite: savepoint: %w", err))
		r.result <- fatal
		return false, fatal
	}
	r.turn <- &txn{q: s.writer, writable: true, keys: s.cfg.Keyring}
	fnErr := <-r.done
	if fnErr == nil {
		if _, err := s.writer.exec("RELEASE fn"); err != nil {
			fatal = fmt.Errorf("sqlite: release savepoint: %w", err)
			r.result <- fatal
			return false, fatal
		}
		return true, nil
	}
	if _, err := s.writer.exec("ROLLBACK TO fn"); err != nil {
		fatal = fmt.Errorf("sqlite: rollback to savepoint: %w", err)
	} else if _, err := s.writer.exec("RELEASE fn"); err != nil {
		fatal = fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	if fnErr == errAborted {
		r.result <- nil // the caller only waits for the rollback; its panic goes on
	} else {
		fnErr = unavailable(fnErr)
		s.noteWriteError(fnErr)
		r.result <- fnErr
	}
	return false, fatal
}
