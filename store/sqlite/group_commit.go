package sqlite

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.GroupCommitter = (*Store)(nil)

// A grouped update (Store.UpdateGrouped) runs its function on the caller's goroutine with a
// connection of the read pool, in parallel with the writer and with other grouped updates: each
// read sees the last commit when it runs. Its writes are not run but recorded (txn.write): the
// statement, its arguments and the check that turns the statement's outcome into the write
// method's result, all computed on the caller's goroutine. When the function returns, the writer
// runs the recorded statements of the update in its group-commit transaction, without handing the
// connection to the caller (writer.go: a segment's savepoint undoes an update whose later write
// fails). The writes computed from reads of another commit are safe because the recorded ones are
// guarded: unique keys for inserts and the version compare-and-set for conversation updates. When
// a write fails (a concurrent update stored the same message or changed the conversation since the
// function read it), none of the update's writes is kept and, once the batch holding the other
// update is committed, the function runs again and reads it (a duplicate delivery then finds its
// message and writes nothing); after maxGroupedAttempts it runs as an Update, whose reads are the
// writer's, so that concurrent deliveries to one conversation cannot fail each other for ever.
//
// What the recording cannot serve makes the function run again as an Update (the grouping is
// "given up"): a write method that records nothing (the writes of the ingest are recorded:
// contacts, identities, conversations, messages, jobs and feed entries), or a read of a table that a recorded
// write changes (the function must see its own writes). A rotation position (NextRotation) is taken
// by the writer at once, outside the update, as the Tx contract allows.

// errRegroup is what a grouped update's Tx returns once the grouping was given up; the function's
// result is then ignored and it runs again as an Update.
var errRegroup = errors.New("sqlite: the grouped update runs again as an update")

// givenUp is a canceled context: a row read through it reports an error (runner.queryRow).
var givenUp = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errRegroup)
	return ctx
}()

// writeTables are the tables a recorded write changes, its triggers included.
type writeTables []string

var (
	messagesWrite      = writeTables{"messages"}
	conversationsWrite = writeTables{"conversations", "conversation_counts", "read_counts", "conversations_search", "read_states"}
	contactsWrite      = writeTables{"contacts"}
	identitiesWrite    = writeTables{"identities"}
	jobsWrite          = writeTables{"jobs"}
	feedWrite          = writeTables{"feed_entries"}
)

// tableNames finds the names of the tables that recorded writes change in a statement.
var tableNames = regexp.MustCompile(`\b(messages|conversations|conversation_counts|read_counts|conversations_search|read_states|contacts|identities|jobs|feed_entries)\b`)

// statementTables caches tableNames per statement text (bounded: see maxStatementTables).
var statementTables sync.Map // string → []string

var statementTablesCount atomic.Int64

const maxStatementTables = 1024

// tablesOf returns the tables of tableNames that query names.
func tablesOf(query string) []string {
	if v, ok := statementTables.Load(query); ok {
		return v.([]string)
	}
	names := tableNames.FindAllString(query, -1)
	if statementTablesCount.Load() < maxStatementTables {
		if _, loaded := statementTables.LoadOrStore(query, names); !loaded {
			statementTablesCount.Add(1)
		}
	}
	return names
}

// grouping is the state of a grouped update's Tx. It is used by the caller's goroutine only.
type grouping struct {
	store *Store
	ctx   context.Context
	// replays run the recorded writes on the writer's Tx, in order.
	replays []func(w *txn) error
	// changed holds the tables the recorded writes change.
	changed map[string]bool
	// undo puts back what the recorded writes changed in their arguments (a conversation's
	// Version), for when fn runs again as an Update: it must see its arguments as Update would.
	undo []func()
	// threads are the customer threads the update holds (lockThread).
	threads []string
	// given is set once the grouping was given up.
	given bool
}

// giveUp gives the grouping up: the function runs again as an Update.
func (g *grouping) giveUp() error {
	g.given = true
	return errRegroup
}

// record keeps a write for the writer.
func (g *grouping) record(tables writeTables, replay func(w *txn) error) error {
	if g.given {
		return errRegroup
	}
	g.replays = append(g.replays, replay)
	for _, name := range tables {
		g.changed[name] = true
	}
	return nil
}

// before is called with each statement a grouped update reads with: one that names a table that a
// recorded write changes gives the grouping up.
func (g *grouping) before(query string) error {
	if g.given {
		return errRegroup
	}
	if len(g.changed) == 0 {
		return nil
	}
	for _, name := range tablesOf(query) {
		if g.changed[name] {
			return g.giveUp()
		}
	}
	return nil
}

// UpdateGrouped runs fn as Update does, except that fn runs on a read connection, in parallel with
// the writer, and its writes are applied after fn returns, by the writer, in the group-commit
// transaction of concurrent Updates and grouped updates (omnichannel.GroupCommitter): each read of
// fn sees the last commit when it runs, a write method of tx records its write and returns nil,
// and UpdateGrouped returns nil once every write of fn was committed. When a write fails
// (ErrDuplicate, ErrConflict, ErrNotFound), none of fn's writes is applied and fn runs again once
// the writes that made it fail are committed (Stats.FailedWrites), at last as an Update, whose
// result is returned. When fn reads a table its writes change,
// or makes a write other than those of a contact, an identity, a conversation, a message or a job,
// fn runs again, as an Update (Stats.Ungrouped). fn must not depend on a write's nil error meaning
// "applied". fn's error is returned unchanged.
func (s *Store) UpdateGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.full.Load() {
		return errDiskFull
	}
	for attempt := 1; ; attempt++ {
		g, err := s.recordGrouped(ctx, fn)
		if g.given {
			g.unlockThreads()
			s.ungrouped.Add(1)
			g.undoArguments()
			return s.Update(ctx, fn)
		}
		if err != nil || len(g.replays) == 0 {
			g.unlockThreads()
			return err
		}
		s.grouped.Add(1)
		r := &request{replays: g.replays, result: make(chan error, 1)}
		if err = s.enqueue(ctx, r); err == nil {
			err = r.wait(ctx)
		}
		g.unlockThreads()
		if !errors.Is(err, errWritesFailed) {
			return err
		}
		// A concurrent update, committed now, made the writes stale or duplicate: fn runs again and
		// reads it, grouped, and at last as an Update (whose reads are the writer's).
		s.failedWrites.Add(1)
		g.undoArguments()
		if attempt == maxGroupedAttempts {
			return s.Update(ctx, fn)
		}
	}
}

// maxGroupedAttempts is how many times a grouped update whose writes failed runs grouped before it
// runs as an Update.
const maxGroupedAttempts = 3

// errWritesFailed marks the writer's answer to a grouped update whose recorded writes failed.
var errWritesFailed = errors.New("sqlite: the recorded writes failed")

// recordGrouped runs fn with a grouped Tx and returns the grouping (its recorded writes, whether
// it was given up) and fn's error.
func (s *Store) recordGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) (*grouping, error) {
	g := &grouping{store: s, ctx: ctx, changed: map[string]bool{}}
	// Close waits for the functions in flight before it closes the read connections: one may give
	// its connection back for a while (nextRotation, lockThread) and take one again.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return g, ErrClosed
	}
	s.recording.Add(1)
	s.mu.RUnlock()
	defer s.recording.Done()
	r, err := s.takeReader(ctx)
	if err != nil {
		return g, err
	}
	tx := &txn{q: r, writable: true, keys: s.cfg.Keyring, group: g}
	r.group = g
	returned := false
	defer func() {
		tx.done.Store(true)
		if tx.q != nil {
			s.giveReader(tx.q)
		}
		if !returned { // fn panicked: its threads go with it
			g.unlockThreads()
		}
	}()
	err = fn(tx)
	returned = true
	return g, err
}

// undoArguments runs the undo functions, last first.
func (g *grouping) undoArguments() {
	for i := len(g.undo) - 1; i >= 0; i-- {
		g.undo[i]()
	}
}

// takeReader takes a connection of the read pool for ctx.
func (s *Store) takeReader(ctx context.Context) (*runner, error) {
	select {
	case <-s.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-s.readers:
		r.ctx = ctx
		return r, nil
	}
}

// giveReader returns r to the read pool.
func (s *Store) giveReader(r *runner) {
	r.ctx, r.group = bg, nil
	s.readers <- r
}

// enqueue queues r for the writer, honouring ctx while the queue is full.
func (s *Store) enqueue(ctx context.Context, r *request) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nextRotation takes a rotation position for a grouped update: the writer runs the increment at
// once, in its current transaction, and the position is returned as soon as it is known, without
// waiting for the commit (the Tx contract lets a store take it outside the calling transaction). The
// update's read connection goes back to the pool meanwhile.
func (g *grouping) nextRotation(t *txn, workspaceID, key string) (int64, error) {
	if g.given {
		return 0, errRegroup
	}
	s := g.store
	s.giveReader(t.q)
	t.q = nil
	var n int64
	got := make(chan struct{})
	delivered := false // on the writer's goroutine: a segment rolled back may run the replay again
	r := &request{replays: []func(w *txn) error{func(w *txn) error {
		v, err := w.NextRotation(workspaceID, key)
		if err == nil && !delivered {
			n, delivered = v, true
			close(got)
		}
		return err
	}}, result: make(chan error, 1)}
	err := s.enqueue(g.ctx, r)
	if err == nil {
		select {
		case <-got:
		case err = <-r.result:
			if err == nil {
				<-got
			}
		case <-g.ctx.Done():
			if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
				err = g.ctx.Err()
			} else {
				select {
				case <-got:
				case err = <-r.result:
				}
			}
		}
	}
	// Not s.takeReader: the update's statements need a connection; the pool's come back (Close
	// too waits for them).
	q := <-s.readers
	q.ctx, q.group = g.ctx, g
	t.q = q
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Threads. Two grouped updates for one customer (two webhooks of one conversation at once) would
// read the same conversation version, and the second's writes would fail and run again. So a
// grouped update that looks a customer up (FindIdentity) first waits for a grouped update of the
// same customer still in flight, until its writes are committed or failed: their reads and writes
// then follow each other. It waits with its read connection given back, and only for its first
// customer (one that holds a thread never waits for another, so no two wait for each other).

// lockThread makes t's grouped update hold the thread key, waiting for its holder first; while it
// waits, its read connection goes back to the pool.
func (g *grouping) lockThread(t *txn, key string) error {
	if g.given || len(g.threads) > 0 {
		return nil
	}
	gave := false
	err := g.store.threads.Lock(g.ctx, key, func() {
		if !gave {
			g.store.giveReader(t.q)
			t.q, gave = nil, true
		}
	})
	if gave {
		q := <-g.store.readers
		q.ctx, q.group = g.ctx, g
		t.q = q
	}
	if err != nil {
		return err
	}
	g.threads = append(g.threads, key)
	return nil
}

// lockCustomer makes a grouped update hold the thread of a provider's user on a connection
// (lockThread); outside a grouped update it does nothing.
func (t *txn) lockCustomer(workspaceID, connectionID, externalUserID string) error {
	if t.group == nil || t.done.Load() {
		return nil
	}
	return t.group.lockThread(t, workspaceID+"\x00"+connectionID+"\x00"+externalUserID)
}

// unlockThreads releases the threads g holds.
func (g *grouping) unlockThreads() {
	g.store.threads.Unlock(g.threads...)
	g.threads = nil
}
