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

// request is one Update call travelling through the writer, or the recorded writes of a grouped
// update (replays).
type request struct {
	fn func(tx omnichannel.Tx) error
	// replays, when set instead of fn, run on the writer goroutine itself (no hand-off to the
	// caller), one write statement each: the recorded writes of a grouped update (group_commit.go).
	// They may run again when their batch's segment is rolled back (runReplays).
	replays []func(w *txn) error
	// failed is the error of replays that failed (errWritesFailed), answered with the batch: after
	// its commit, so that the grouped update, running again, reads the writes that made it fail.
	failed error
	state  atomic.Int32
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

// outcome is r's answer when its batch's commit (and fsync) ended with err.
func (r *request) outcome(err error) error {
	if r.failed != nil {
		return r.failed
	}
	return err
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
	defer s.stopSyncer()
	for r := range s.queue {
		if s.hold != nil {
			s.held.Store(true)
			<-s.hold
			s.held.Store(false)
		}
		if r.take() {
			s.runBatch(r)
		}
	}
}

// next returns the next queued request without waiting, nil when there is none.
func (s *Store) next() *request { return s.receive(nil, nil) }

// receive returns the next queued request that the writer takes. When none is queued it waits for
// one until idle or deadline is ready, then looks once more; with both nil it returns nil at once.
// It returns nil when the queue is closed.
func (s *Store) receive(idle <-chan struct{}, deadline <-chan time.Time) *request {
	for {
		var r *request
		ok := true
		select {
		case r, ok = <-s.queue:
		default:
			if idle == nil && deadline == nil {
				return nil
			}
			select {
			case r, ok = <-s.queue:
			case <-idle:
				idle, deadline = nil, nil
				continue
			case <-deadline:
				idle, deadline = nil, nil
				continue
			}
		}
		if !ok {
			return nil
		}
		if r.take() {
			return r
		}
	}
}

// nextWhileSyncing is next, except that while the WAL syncer is busy with the fsync of earlier
// batches it waits for a request (until the syncer is done or the batch's MaxBatchDuration): a
// COMMIT now would wait for the next fsync anyway, and a batch that takes in more requests writes
// fewer pages per request (the requests of a batch share the pages of the list indexes' newest
// entries). Without the syncer (SyncNormal) it does not wait.
func (s *Store) nextWhileSyncing(start time.Time) *request {
	if r := s.next(); r != nil || s.syncer == nil || !s.syncer.busy() {
		return r
	}
	left := s.cfg.MaxBatchDuration - time.Since(start)
	if left <= 0 {
		return nil
	}
	waitStart := time.Now()
	defer func() { s.lingered.Add(int64(time.Since(waitStart))) }()
	timer := time.NewTimer(left)
	defer timer.Stop()
	return s.receive(s.syncer.idle, timer.C)
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
	lingered := s.lingered.Load()
	defer func() { s.busy.Add(int64(time.Since(start)) - (s.lingered.Load() - lingered)) }()
	if _, err := s.writer.exec("BEGIN IMMEDIATE"); err != nil {
		err = unavailable(fmt.Errorf("sqlite: begin: %w", err))
		s.noteWriteError(err)
		first.result <- err
		return
	}
	// committed are the requests answered with the batch: those whose writes succeeded and the
	// replays that failed (request.failed).
	var committed []*request
	fail := func(err error) {
		err = unavailable(err)
		s.noteWriteError(err)
		_, _ = s.writer.exec("ROLLBACK")
		for _, r := range committed {
			r.result <- r.outcome(err)
		}
	}
	seg := segment{bare: true}
	for r, n := first, 1; r != nil; r, n = s.nextWhileSyncing(start), n+1 {
		var ok bool
		var fatal error
		if r.replays != nil {
			ok, fatal = s.runReplays(r, &seg)
		} else {
			if fatal = s.endSegment(&seg); fatal == nil {
				ok, fatal = s.runOne(r)
			} else {
				r.result <- fatal
			}
		}
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
	if s.syncer != nil {
		s.syncer.hand(committed)
		return
	}
	for _, r := range committed {
		r.result <- r.outcome(nil)
	}
}

// A segment is a run of replay requests in a batch under one savepoint, instead of a savepoint per
// request as an Update function gets: SQLite copies each page a statement changes under an open
// savepoint into the savepoint's journal first, once per savepoint, so that one savepoint per
// request copied the pages of the list indexes' newest entries again for every request, and each
// RELEASE cost more than the request's message insert. A replay request whose first statement
// fails changed nothing (SQLite undoes a failed statement alone); one that fails later is undone
// with the whole segment (ROLLBACK TO), after which the segment's other requests run again, in
// the same order on the same rows, so with the same outcome. The segment's savepoint is opened by
// the first request with more than one statement and released before an Update function's turn
// and after maxSegment requests, which bounds what a failure runs again.
//
// A batch's first segment, until an Update function's turn, has no savepoint at all (bare): the
// savepoint's copies cost the writer about a sixth of its time per message, and a replay request
// fails after a first write only when its update raced another one for the same rows that is not a
// grouped update of the same customer (grouping.lockThread serializes those), which is rare. Such a
// failure rolls the whole transaction back and runs the segment's requests again.
type segment struct {
	bare bool
	open bool
	// applied are the requests of the open (or bare) segment whose writes succeeded, in order.
	applied []*request
}

// maxSegment is how many requests a segment holds at most.
const maxSegment = 16

// endSegment releases the open segment's savepoint, or ends the bare segment.
func (s *Store) endSegment(seg *segment) error {
	if !seg.open {
		*seg = segment{}
		return nil
	}
	*seg = segment{}
	if _, err := s.writer.exec("RELEASE seg"); err != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return nil
}

// rollBackSegment undoes what the segment wrote: back to its savepoint, or the whole transaction,
// begun again, for the bare segment.
func (s *Store) rollBackSegment(seg *segment) error {
	if !seg.bare {
		if _, err := s.writer.exec("ROLLBACK TO seg"); err != nil {
			return fmt.Errorf("sqlite: rollback to savepoint: %w", err)
		}
		return nil
	}
	if _, err := s.writer.exec("ROLLBACK"); err != nil {
		return fmt.Errorf("sqlite: rollback: %w", err)
	}
	if _, err := s.writer.exec("BEGIN IMMEDIATE"); err != nil {
		return unavailable(fmt.Errorf("sqlite: begin: %w", err))
	}
	return nil
}

// replay runs r's statements; failedAt is the index of the one that failed.
func (s *Store) replay(r *request) (failedAt int, err error) {
	w := &txn{q: s.writer, writable: true, keys: s.cfg.Keyring}
	defer w.done.Store(true)
	for i, rp := range r.replays {
		if err := rp(w); err != nil {
			return i, err
		}
	}
	return 0, nil
}

// runReplays runs the recorded writes of r in seg, with runOne's results, except that r is answered
// with its batch when they fail too (ok, with r.failed set: errWritesFailed and the failure).
func (s *Store) runReplays(r *request, seg *segment) (ok bool, fatal error) {
	s.updates.Add(1)
	if len(seg.applied) >= maxSegment && !seg.bare {
		if fatal = s.endSegment(seg); fatal != nil {
			r.result <- fatal
			return false, fatal
		}
	}
	if len(r.replays) > 1 && !seg.open && !seg.bare {
		if _, err := s.writer.exec("SAVEPOINT seg"); err != nil {
			fatal = unavailable(fmt.Errorf("sqlite: savepoint: %w", err))
			r.result <- fatal
			return false, fatal
		}
		seg.open = true
	}
	at, err := s.replay(r)
	if err == nil {
		if seg.open || seg.bare {
			seg.applied = append(seg.applied, r)
		}
		return true, nil
	}
	if at > 0 {
		s.rolledBack.Add(1)
		// Undo r's first statements with the segment, then apply the segment's requests again.
		if fatal = s.rollBackSegment(seg); fatal != nil {
			r.result <- fatal
			return false, fatal
		}
		for _, done := range seg.applied {
			if _, rerr := s.replay(done); rerr != nil {
				fatal = fmt.Errorf("sqlite: writes that succeeded failed when run again: %w", rerr)
				r.result <- fatal
				return false, fatal
			}
		}
	}
	err = unavailable(err)
	s.noteWriteError(err)
	r.failed = fmt.Errorf("%w: %w", errWritesFailed, err)
	return true, nil
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
