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
// runs the recorded statements of the update in its group-commit transaction, in a savepoint of
// their own, without handing the connection to the caller; a write that fails (a duplicate key, a
// stale version, a missing row) rolls the savepoint back and is the update's error, as Update
// would have returned it. The writes computed from reads of another commit are safe because the
// recorded ones are guarded: unique keys for inserts and the version compare-and-set for
// conversation updates.
//
// What the recording cannot serve makes the function run again as an Update (the grouping is
// "given up"): a write method that records nothing (the writes of the ingest are recorded:
// contacts, identities, conversations, messages and jobs), or a read of a table that a recorded
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
)

// tableNames finds the names of the tables that recorded writes change in a statement.
var tableNames = regexp.MustCompile(`\b(messages|conversations|conversation_counts|read_counts|conversations_search|read_states|contacts|identities|jobs)\b`)

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
// and UpdateGrouped returns nil once every write of fn was committed, or the first error of a
// write (ErrDuplicate, ErrConflict, ErrNotFound), as Update would have returned it, with none of
// fn's writes applied; such an error is returned after the writes that caused it were committed.
// When fn reads a table its writes change, or makes a write other than those of a contact, an
// identity, a conversation, a message or a job, fn runs again, as an Update (Stats.Ungrouped):
// fn must not depend on a write's nil error meaning "applied". fn's error is returned unchanged.
func (s *Store) UpdateGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.full.Load() {
		return errDiskFull
	}
	replays, err, given := s.recordGrouped(ctx, fn)
	if given {
		s.ungrouped.Add(1)
		return s.Update(ctx, fn)
	}
	if err != nil || len(replays) == 0 {
		return err
	}
	s.grouped.Add(1)
	r := &request{replays: replays, late: true, result: make(chan error, 1)}
	if err := s.enqueue(ctx, r); err != nil {
		return err
	}
	return r.wait(ctx)
}

// recordGrouped runs fn with a grouped Tx and returns its recorded writes, or fn's error, or given
// when the grouping was given up.
func (s *Store) recordGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) (replays []func(w *txn) error, err error, given bool) {
	g := &grouping{store: s, ctx: ctx, changed: map[string]bool{}}
	r, err := s.takeReader(ctx)
	if err != nil {
		return nil, err, false
	}
	tx := &txn{q: r, writable: true, keys: s.cfg.Keyring, group: g}
	r.group = g
	defer func() {
		tx.done.Store(true)
		if tx.q != nil {
			s.giveReader(tx.q)
		}
	}()
	err = fn(tx)
	if g.given {
		return nil, nil, true
	}
	return g.replays, err, false
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
