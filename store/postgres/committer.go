package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// groupCommitters is how many groups may be in flight at once: one being written while the next
// one forms. Groups in flight never share a row (grouping.keys), so they never wait for each other.
const groupCommitters = 2

// maxGroupUpdates caps the grouped updates applied in one transaction.
const maxGroupUpdates = 128

// pendingUpdate is a grouped update whose function returned: its recorded writes wait for a group.
type pendingUpdate struct {
	ctx        context.Context
	statements []recordedStatement
	replays    []func(*txn) error
	keys       []string
	// thread is the customer thread the update holds until its writes are committed or failed.
	thread string
	done   chan error
}

// groupCommitter applies the writes of concurrent grouped updates: a dispatcher forms groups of
// pending updates that share no key with each other or with a group in flight, and up to
// groupCommitters appliers each write one group in one transaction.
type groupCommitter struct {
	s *Store

	mu      sync.Mutex
	running bool // the dispatcher runs (started on first use)
	closed  bool
	arrive  chan *pendingUpdate
	quit    chan struct{}
	stopped sync.WaitGroup

	stats groupStats
	// types are the SQL types of the conversations columns (columnTypes).
	types map[string]string
	// hold, when set (tests), keeps the dispatcher from forming groups until it is closed.
	hold chan struct{}
}

// groupStats count what grouped updates did (GroupStats).
type groupStats struct {
	grouped, ungrouped, groups, fallbacks, folded, arrived atomic.Int64
}

// GroupStats are counters of the grouped updates of a Store since Open.
type GroupStats struct {
	// Grouped counts the grouped updates whose writes were applied in a group; Ungrouped those
	// that ran as an Update because a read needed their writes or they wrote something else.
	Grouped, Ungrouped int64
	// Groups counts the transactions that applied groups; Fallbacks those rolled back because a
	// write failed, after which each update of the group ran on its own.
	Groups, Fallbacks int64
	// Folded counts the statements saved by folding statements of one shape into one.
	Folded int64
}

// GroupStats returns the counters of the store's grouped updates (UpdateGrouped).
func (s *Store) GroupStats() GroupStats {
	st := &s.committer.stats
	return GroupStats{Grouped: st.grouped.Load(), Ungrouped: st.ungrouped.Load(), Groups: st.groups.Load(),
		Fallbacks: st.fallbacks.Load(), Folded: st.folded.Load()}
}

// submit hands p to the committer (started on first use) and waits for its result.
func (c *groupCommitter) submit(p *pendingUpdate) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.running {
		c.running = true
		c.arrive, c.quit = make(chan *pendingUpdate), make(chan struct{})
		c.stopped.Add(1)
		go c.dispatch()
	}
	arrive, quit := c.arrive, c.quit
	c.mu.Unlock()
	select {
	case arrive <- p:
	case <-quit:
		return ErrClosed
	}
	return <-p.done
}

// stop ends the dispatcher after the groups in flight; updates still waiting get ErrClosed.
func (c *groupCommitter) stop() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	running := c.running
	c.mu.Unlock()
	if running {
		close(c.quit)
		c.stopped.Wait()
	}
}

// dispatch forms the groups and hands them to the appliers, in arrival order except that an update
// sharing a key with a group in flight waits for that group.
func (c *groupCommitter) dispatch() {
	defer c.stopped.Done()
	var waiting []*pendingUpdate
	inFlight := map[string]bool{}
	finished := make(chan []*pendingUpdate, groupCommitters)
	busy := 0
	c.mu.Lock()
	hold := c.hold
	c.mu.Unlock()
	for {
		if hold != nil {
			select {
			case <-hold:
				hold = nil
			default:
			}
		}
		for hold == nil && busy < groupCommitters && len(waiting) > 0 {
			group, rest := formGroup(waiting, inFlight)
			if len(group) == 0 {
				break
			}
			waiting = rest
			busy++
			go func() { c.apply(group); finished <- group }()
		}
		select {
		case <-hold: // nil (never ready) when not holding
			hold = nil
		case p := <-c.arrive:
			c.stats.arrived.Add(1)
			waiting = append(waiting, p)
			// Take whatever else has arrived meanwhile before forming a group.
			for more := true; more && len(waiting) < maxGroupUpdates; {
				select {
				case p := <-c.arrive:
					c.stats.arrived.Add(1)
					waiting = append(waiting, p)
				default:
					more = false
				}
			}
		case group := <-finished:
			busy--
			for _, p := range group {
				for _, k := range p.keys {
					delete(inFlight, k)
				}
			}
		case <-c.quit:
			for ; busy > 0; busy-- {
				<-finished
			}
			for _, p := range waiting {
				p.done <- ErrClosed
			}
			return
		}
	}
}

// formGroup takes from waiting, in order, the updates that share no key with inFlight or with each
// other (up to maxGroupUpdates), marks their keys in flight and returns them and the rest.
func formGroup(waiting []*pendingUpdate, inFlight map[string]bool) (group, rest []*pendingUpdate) {
	taken := map[string]bool{}
	for _, p := range waiting {
		free := len(group) < maxGroupUpdates
		for _, k := range p.keys {
			if inFlight[k] || taken[k] {
				free = false
			}
		}
		// An update whose key a skipped earlier update holds waits too, so that two updates of one
		// row are applied in their arrival order.
		for _, k := range p.keys {
			taken[k] = true
		}
		if free {
			group = append(group, p)
		} else {
			rest = append(rest, p)
		}
	}
	for _, p := range group {
		for _, k := range p.keys {
			inFlight[k] = true
		}
	}
	return group, rest
}

// apply writes a group in one transaction (applyTogether). An update whose conversation changed
// since it read it is left out of the group and runs alone, to get its own result (ErrConflict,
// then the engine reads again). When anything else fails, the transaction is rolled back and each
// update of the group runs alone.
func (c *groupCommitter) apply(group []*pendingUpdate) {
	ctx := context.Background() // each update's caller waits for its result whatever its context
	stale, err := c.applyTogether(ctx, group)
	c.stats.groups.Add(1)
	c.stats.grouped.Add(int64(len(group)))
	if err != nil {
		c.stats.fallbacks.Add(1)
		stale = nil
	}
	// The updates that run alone share no row: they run at once, and the group's keys stay in
	// flight until all are done.
	var alone sync.WaitGroup
	for i, p := range group {
		if err == nil && !stale[i] {
			p.done <- nil
			continue
		}
		alone.Add(1)
		go func() {
			defer alone.Done()
			p.done <- c.s.run(p.ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, true, func(tx omnichannel.Tx) error {
				t := tx.(*txn)
				for _, replay := range p.replays {
					if err := replay(t); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	alone.Wait()
}

// columnTypes returns the SQL types of the conversations columns, read once (nil when they could
// not be read: conversation updates are then sent one by one).
func (c *groupCommitter) columnTypes(ctx context.Context, conn *pgx.Conn) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.types == nil {
		if types, err := conversationTypes(ctx, conn); err == nil {
			c.types = types
		}
	}
	return c.types
}

// errGroupRow is applyTogether's answer when a statement did not change the rows it had to.
var errGroupRow = errors.New("a grouped statement did not change its rows")

// applyTogether writes group in one transaction, in three round trips: BEGIN and the conversation
// updates (compare-and-set on the version) folded into multi-row statements (one per chunk, see
// chunks) that say which rows they changed; then the other statements of the updates whose conversation matched; then COMMIT. It
// returns the updates left out because their conversation had changed (stale). On any other
// failure the transaction is rolled back and the error returned. A group in which one update
// changes two conversations is written as recorded, in one round trip before the COMMIT, and any
// failure is an error.
func (c *groupCommitter) applyTogether(ctx context.Context, group []*pendingUpdate) (stale map[int]bool, err error) {
	conn, err := c.s.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.s.pool.release(conn)
	types := c.columnTypes(ctx, conn)
	rest, cas := splitUpdates(group)
	begun := false
	fail := func(err error) (map[int]bool, error) {
		if begun {
			if _, rerr := conn.Exec(ctx, `ROLLBACK`); rerr != nil {
				_ = conn.Close(ctx) // release drops it
			}
		}
		return nil, err
	}
	if cas != nil && types != nil && len(cas.rows) > 0 {
		matched, err := c.applyUpdates(ctx, conn, cas, types)
		begun = true
		if err != nil {
			return fail(err)
		}
		stale = map[int]bool{}
		for key, set := range cas.rows {
			if !matched[key] {
				stale[set] = true
			}
		}
	} else {
		rest = group // no folding of updates: every statement in its order
	}
	kept := make([]*pendingUpdate, 0, len(rest))
	for i, p := range rest {
		if !stale[i] {
			kept = append(kept, p)
		}
	}
	statements := foldGroup(kept, types)
	sent, recorded := len(statements), 0
	if begun {
		sent += len(chunks(len(cas.args))) // the folded conversation updates
	}
	for i, p := range group {
		if !stale[i] {
			recorded += len(p.statements)
		}
	}
	c.stats.folded.Add(int64(recorded - sent))
	b := &pgx.Batch{}
	if !begun {
		queueGroupBegin(b)
	}
	for _, st := range statements {
		b.Queue(st.sql, st.args...)
	}
	br := conn.SendBatch(ctx, b)
	begun = true
	var first error
	skip := len(b.QueuedQueries) - len(statements) // the BEGIN statements, when they went here
	for i := range b.QueuedQueries {
		tag, err := br.Exec()
		switch {
		case err != nil && first == nil:
			first = err
		case err == nil && first == nil && i >= skip && tag.RowsAffected() != statements[i-skip].want:
			first = errGroupRow
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = err
	}
	if first != nil {
		return fail(first)
	}
	if _, err := conn.Exec(ctx, `COMMIT`); err != nil {
		// The outcome of a COMMIT whose answer was lost is unknown; the callers are told it
		// failed, and their writes' keys (a message's provider id) make a retry safe.
		return nil, fmt.Errorf("postgres: commit of a group: %w", err)
	}
	return stale, nil
}

// groupBeginStatements is how many statements queueGroupBegin queues.
const groupBeginStatements = 2

// queueGroupBegin queues the start of a group's transaction. Its statements run with generic plans:
// a group's writes are keyed inserts and updates by primary key, whose plan does not depend on the
// values, and each statement text (a shape and a chunk size) is then planned once per connection
// instead of at each of its first executions (measured: 374 plans for 1,258 folded updates with
// the default plan_cache_mode).
func queueGroupBegin(b *pgx.Batch) {
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
}

// casUpdates are the conversation updates of a group, one per update at most.
type casUpdates struct {
	// rows maps a conversation's key (workspace, id) to the index of its update in the group.
	rows map[string]int
	// args are the updates' arguments, in group order.
	args [][]any
}

// splitUpdates takes the conversation updates (conversationUpdateWhere) out of group's statements:
// rest holds every update with its other statements. cas is nil when an update changes more than
// one conversation (then nothing is taken out).
func splitUpdates(group []*pendingUpdate) (rest []*pendingUpdate, cas *casUpdates) {
	cas = &casUpdates{rows: map[string]int{}}
	rest = make([]*pendingUpdate, len(group))
	for i, p := range group {
		cp := *p
		cp.statements = nil
		found := 0
		for _, st := range p.statements {
			if st.sql == conversationUpdateWhere && len(st.args) > 1 {
				found++
				cas.rows[fmt.Sprint(st.args[0], "\x00", st.args[1])] = i
				cas.args = append(cas.args, st.args)
				continue
			}
			cp.statements = append(cp.statements, st)
		}
		if found > 1 {
			return group, nil
		}
		rest[i] = &cp
	}
	return rest, cas
}

// applyUpdates sends BEGIN and the group's conversation updates as UPDATEs that return the rows
// they changed (one per chunk, all in one round trip), and reports the keys of those rows.
func (c *groupCommitter) applyUpdates(ctx context.Context, conn *pgx.Conn, cas *casUpdates, types map[string]string) (map[string]bool, error) {
	f := newFolder(conversationUpdateWhere, len(cas.args[0]), types)
	if f == nil {
		return nil, errors.New("postgres: the conversation update cannot be folded")
	}
	for _, a := range cas.args {
		f.add(a)
	}
	b := &pgx.Batch{}
	queueGroupBegin(b)
	from := 0
	for _, size := range chunks(f.rows()) {
		sql, args := f.statement(from, from+size)
		b.Queue(sql+` RETURNING c.workspace_id, c.id`, args...)
		from += size
	}
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	for range groupBeginStatements {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
	}
	matched := map[string]bool{}
	for range len(b.QueuedQueries) - groupBeginStatements {
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ws, id string
			if err := rows.Scan(&ws, &id); err != nil {
				rows.Close()
				return nil, err
			}
			matched[ws+"\x00"+id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return matched, br.Close()
}

// UpdateGrouped runs fn as Update does, except that its writes may be applied after fn returns,
// in one transaction with those of concurrent UpdateGrouped calls (omnichannel.GroupCommitter):
// fn's reads run outside any transaction (each sees what was committed when it ran), a write
// method of tx records its statement and returns nil, and UpdateGrouped returns what the writes
// return when they run: nil when all of them were committed, otherwise the first error, exactly as
// Update would have returned it (ErrDuplicate, ErrConflict, ErrNotFound), and none of fn's writes
// applied. A read that may see a recorded write runs the writes first, in a transaction the rest of
// fn then uses as in Update. Writes other than messages, conversations, contacts, identities and
// jobs do the same. fn must not depend on a write's nil error meaning "applied".
func (s *Store) UpdateGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.closed.Load() {
			return ErrClosed
		}
		p, err, retry := s.attemptGrouped(ctx, fn)
		if p != nil {
			err := s.committer.submit(p)
			if p.thread != "" {
				s.threads.Unlock(p.thread)
			}
			return err
		}
		if !retry || attempt >= s.cfg.MaxRetries {
			return err
		}
	}
}

// attemptGrouped runs fn once. It returns the pending update when fn's writes are recorded and
// wait for a group; otherwise fn ran as in attempt (err and retry as there).
func (s *Store) attemptGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) (p *pendingUpdate, err error, retry bool) {
	ltx := &lazyTx{ctx: ctx, pool: s.pool, opts: pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, autocommit: true}
	defer func() {
		if ltx.conn != nil {
			s.pool.release(ltx.conn)
		}
	}()
	g := &grouping{active: true, changed: map[string]bool{}}
	defer func() {
		// A pending update keeps its customer's thread until its writes are committed or failed.
		if p == nil && g.thread != "" {
			s.threads.Unlock(g.thread)
		}
	}()
	t := &txn{ctx: ctx, tx: ltx, writable: true, sealer: s.sealer, store: s, group: g}
	ltx.before = t.beforeStatement
	committed := false
	defer func() {
		t.done.Store(true)
		if !committed {
			_ = ltx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(t); err != nil {
		return nil, err, t.retryable || isRetryable(err)
	}
	if t.retryable {
		return nil, fmt.Errorf("postgres: transaction aborted by a serialization failure"), true
	}
	if g.active {
		committed = true // nothing began
		if len(g.statements) == 0 {
			return nil, nil, false
		}
		return &pendingUpdate{ctx: ctx, statements: g.statements, replays: g.replays, keys: g.keys, thread: g.thread,
			done: make(chan error, 1)}, nil, false
	}
	s.committer.stats.ungrouped.Add(1)
	if err := ltx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: commit: %w", err), isRetryable(err)
	}
	committed = true
	return nil, nil, false
}
