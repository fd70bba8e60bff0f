package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// txn is the omnichannel.Tx of a Store: a savepoint of the writer's batch (Update) or a read
// transaction of the read pool (View).
type txn struct {
	q        *runner
	writable bool
	// keys seals provider secrets (Config.Keyring); nil keeps them plain.
	keys *seal.Keyring
	// done is set when fn returns; atomic because a misbehaving caller may keep tx and use it from
	// another goroutine afterwards.
	done atomic.Bool
	// seen holds the conversations as read or written in a writable txn, by key, for partial
	// updates (conversation_update.go).
	seen map[conversationKey]omnichannel.Conversation
	// group is set in a grouped update (group_commit.go): reads run on a read connection and
	// writes are recorded for the writer.
	group *grouping
}

var _ omnichannel.Tx = (*txn)(nil)

func (t *txn) readable() error {
	if t.done.Load() {
		return ErrTxDone
	}
	return nil
}

// writing checks that t may run a write now. In a grouped update, which records only some writes
// (writingRecorded), it gives the grouping up: the update runs again as an Update.
func (t *txn) writing() error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	if t.group != nil {
		return t.group.giveUp()
	}
	return nil
}

// writingRecorded checks that t may write, for the write methods that a grouped update records
// (txn.write).
func (t *txn) writingRecorded() error {
	if err := t.readable(); err != nil {
		return err
	}
	if !t.writable {
		return ErrReadOnly
	}
	return nil
}

// write runs a write statement and passes its outcome to check, which turns it into the write
// method's result. In a grouped update it records them instead (group_commit.go): the writer runs
// the statement and check later, in its own transaction, and write returns nil.
func (t *txn) write(tables writeTables, query string, args []any, check func(w *txn, res sql.Result, err error) error) error {
	if g := t.group; g != nil {
		return g.record(tables, func(w *txn) error {
			res, err := w.q.exec(query, args...)
			return check(w, res, err)
		})
	}
	res, err := t.q.exec(query, args...)
	return check(t, res, err)
}

// runner runs the statements of a txn on one connection, with a cache of prepared statements for
// static SQL; dynamic SQL (the list filters) is prepared per call. A runner is used by one goroutine
// at a time: the writer's by the goroutine whose turn it is, a reader's by its View.
type runner struct {
	ctx   context.Context
	conn  *sql.Conn
	cache map[string]*sql.Stmt
	// group is the grouped update whose reads the runner runs, if any: a read of what its recorded
	// writes change gives the grouping up (grouping.before).
	group *grouping
}

func (r *runner) stmt(query string) (*sql.Stmt, error) {
	if r.group != nil {
		if err := r.group.before(query); err != nil {
			return nil, err
		}
	}
	if st, ok := r.cache[query]; ok {
		return st, nil
	}
	st, err := r.conn.PrepareContext(r.ctx, query)
	if err != nil {
		return nil, err
	}
	r.cache[query] = st
	return st, nil
}

func (r *runner) exec(query string, args ...any) (sql.Result, error) {
	st, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(r.ctx, args...)
}

func (r *runner) query(query string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(r.ctx, args...)
}

func (r *runner) queryRow(query string, args ...any) *sql.Row {
	st, err := r.stmt(query)
	if errors.Is(err, errRegroup) {
		// Scan reports an error (the grouped update runs again as an Update).
		return r.conn.QueryRowContext(givenUp, query, args...)
	}
	if err != nil {
		// Scan reports the error: the connection prepares the query again and fails the same way.
		return r.conn.QueryRowContext(r.ctx, query, args...)
	}
	return st.QueryRowContext(r.ctx, args...)
}

// maxDynamicStmts bounds how many dynamic statements a connection keeps prepared; the list filters
// have a bounded number of shapes in practice, and past the bound a query is prepared per call.
const maxDynamicStmts = 256

func (r *runner) queryDynamic(query string, args ...any) (*sql.Rows, error) {
	if _, ok := r.cache[query]; ok || len(r.cache) < maxDynamicStmts {
		return r.query(query, args...)
	}
	if r.group != nil {
		if err := r.group.before(query); err != nil {
			return nil, err
		}
	}
	return r.conn.QueryContext(r.ctx, query, args...)
}

// close closes the cached statements.
func (r *runner) close() error {
	var errs []error
	for _, st := range r.cache {
		errs = append(errs, st.Close())
	}
	clear(r.cache)
	return errors.Join(errs...)
}

// Value codecs: times are microseconds since the Unix epoch in UTC (the zero time included, as a
// large negative number, so that it round-trips); booleans 0/1; composite values JSON.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// jsonText encodes v; nil maps and slices become "null" and come back nil. The nil values the
// write path meets on every message and conversation (no attachments, no category) skip the
// encoder.
func jsonText(v any) (string, error) {
	switch v := v.(type) {
	case []omnichannel.Attachment:
		if v == nil {
			return "null", nil
		}
	case []string:
		if v == nil {
			return "null", nil
		}
	case map[string]string:
		if v == nil {
			return "null", nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode %T: %w", v, err)
	}
	return string(b), nil
}

// fromJSON decodes text into v, which must point to its zero value; "null" leaves it so without
// running the decoder.
func fromJSON(text string, v any) error {
	if text == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("sqlite: decode %T: %w", v, err)
	}
	return nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// getOne runs a single-row query and decodes it with scan; no row is ErrNotFound for what/id.
func getOne[T any](t *txn, scan func(scanner) (*T, error), what, id, query string, args ...any) (*T, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	v, err := scan(t.q.queryRow(query, args...))
	if err == sql.ErrNoRows {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s: %w", what, err)
	}
	return v, nil
}

// getAll runs a query and decodes every row with scan; an empty result is an empty list.
func getAll[T any](t *txn, scan func(scanner) (*T, error), what, query string, args ...any) ([]*T, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	rows, err := t.q.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	return collect(rows, scan, what)
}

func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error), what string) ([]*T, error) {
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	return out, nil
}

// execChecked is a write's check (txn.write) that only translates a failure (writeError).
func execChecked(what string) func(w *txn, res sql.Result, err error) error {
	return func(_ *txn, _ sql.Result, err error) error {
		if err != nil {
			return writeError(what, err)
		}
		return nil
	}
}

// deleteOne deletes by key; no row is ErrNotFound.
func deleteOne(t *txn, what, id, query string, args ...any) error {
	if err := t.writing(); err != nil {
		return err
	}
	res, err := t.q.exec(query, args...)
	if err != nil {
		return writeError("delete "+what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(what, id)
	}
	return nil
}
