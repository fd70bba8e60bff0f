package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lazyTx is a transaction whose BEGIN is not sent on its own: it travels to the server in one batch
// with the transaction's first statement (pgx's Batch.BeginTx), which saves a round trip per
// transaction. A transaction that sends nothing never begins; its Commit and Rollback do nothing.
//
// The first batch is also where a pooled connection that the server closed while it sat idle (a
// restart, an idle timeout) shows up. Nothing of the transaction can have taken effect on a
// connection that fails before its BEGIN is answered (the server rolls back what a dropped
// connection left open), so lazyTx moves to another connection and sends the batch again.
type lazyTx struct {
	ctx  context.Context
	pool *pool
	conn *pgx.Conn // nil only when no connection could be had after a dead one
	opts pgx.TxOptions
	tx   pgx.Tx // nil until the first statement was sent
	// autocommit, in a grouped update, runs each statement on its own, outside a transaction,
	// until the update needs one (see group.go).
	autocommit bool
	// before, when set, is called with each statement's SQL before it is sent.
	before func(sql string) error
}

// prepare calls the before hook with sql, then reports whether the statement runs outside the
// transaction (see prepareBatch).
func (l *lazyTx) prepare(sql string) (outside bool, err error) {
	if l.before != nil {
		if err := l.before(sql); err != nil {
			return false, err
		}
	}
	return l.outside()
}

// outside reports whether statements run on their own, outside the transaction (autocommit), and
// then makes sure there is a live connection for them.
func (l *lazyTx) outside() (bool, error) {
	if !l.autocommit {
		return false, nil
	}
	if l.conn != nil && l.conn.IsClosed() {
		l.pool.release(l.conn)
		l.conn = nil
	}
	if l.conn == nil {
		c, err := l.pool.acquire(l.ctx)
		if err != nil {
			return false, fmt.Errorf("connecting: %w", err)
		}
		l.conn = c
	}
	return true, nil
}

// send sends b inside the transaction, beginning it first when it has not begun. The caller reads
// b's results and closes the returned BatchResults; on error there is nothing to close.
func (l *lazyTx) send(b *pgx.Batch) (pgx.BatchResults, error) {
	if l.tx != nil {
		return l.tx.SendBatch(l.ctx, b), nil
	}
	for tries := 0; ; tries++ {
		if l.conn == nil {
			c, err := l.pool.acquire(l.ctx)
			if err != nil {
				return nil, fmt.Errorf("connecting: %w", err)
			}
			l.conn = c
		}
		first := &pgx.Batch{}
		first.BeginTx(l.opts)
		for _, q := range b.QueuedQueries {
			// Copies: pgx records prepared-statement state in a QueuedQuery, which belongs to the
			// connection the batch went to.
			first.QueuedQueries = append(first.QueuedQueries, &pgx.QueuedQuery{SQL: q.SQL, Arguments: q.Arguments})
		}
		br := l.conn.SendBatch(l.ctx, first)
		_, err := br.Exec()
		if err == nil {
			l.tx = br.Tx()
			return br, nil
		}
		_ = br.Close()
		if !l.conn.IsClosed() || tries >= l.pool.size() || l.ctx.Err() != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		l.pool.release(l.conn)
		l.conn = nil
	}
}

// begun begins the transaction now, alone, when it has not begun: for statements a batch cannot
// carry (those with a pgx.QueryExecMode argument).
func (l *lazyTx) begun() error {
	if l.tx != nil {
		return nil
	}
	br, err := l.send(&pgx.Batch{})
	if err != nil {
		return err
	}
	return br.Close()
}

// batchable reports whether args can be queued in a pgx.Batch (which takes no QueryExecMode).
func batchable(args []any) bool {
	if len(args) == 0 {
		return true
	}
	_, mode := args[0].(pgx.QueryExecMode)
	return !mode
}

// first reports whether sql must go as the transaction's first batch (with its BEGIN).
func (l *lazyTx) first(args []any) bool { return l.tx == nil && batchable(args) }

// sendOne sends sql as a batch of its own (behind the BEGIN: see first).
func (l *lazyTx) sendOne(sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	return l.send(b)
}

// Exec runs sql in the transaction.
func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if outside, err := l.prepare(sql); err != nil || outside {
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		return l.conn.Exec(ctx, sql, args...)
	}
	if l.first(args) {
		br, err := l.sendOne(sql, args)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		tag, err := br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return tag, err
	}
	if err := l.begun(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return l.tx.Exec(ctx, sql, args...)
}

// Query runs sql in the transaction. The rows must be closed (or read to the end) before the next
// statement.
func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if outside, err := l.prepare(sql); err != nil || outside {
		if err != nil {
			return nil, err
		}
		return l.conn.Query(ctx, sql, args...)
	}
	if l.first(args) {
		br, err := l.sendOne(sql, args)
		if err != nil {
			return nil, err
		}
		rows, err := br.Query()
		if err != nil {
			_ = br.Close()
			return nil, err
		}
		return &batchRows{Rows: rows, br: br}, nil
	}
	if err := l.begun(); err != nil {
		return nil, err
	}
	return l.tx.Query(ctx, sql, args...)
}

// QueryRow runs sql in the transaction; the row's Scan reports every error, pgx.ErrNoRows included.
func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if outside, err := l.prepare(sql); err != nil || outside {
		if err != nil {
			return errRow{err}
		}
		return l.conn.QueryRow(ctx, sql, args...)
	}
	if l.first(args) {
		br, err := l.sendOne(sql, args)
		if err != nil {
			return errRow{err}
		}
		return batchRow{br}
	}
	if err := l.begun(); err != nil {
		return errRow{err}
	}
	return l.tx.QueryRow(ctx, sql, args...)
}

// SendBatch sends b in the transaction (with the BEGIN in front when it has not begun).
func (l *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if l.before != nil {
		for _, q := range b.QueuedQueries {
			if err := l.before(q.SQL); err != nil {
				return pgx.FailedBatchResults(b, err)
			}
		}
	}
	if outside, err := l.outside(); err != nil {
		return pgx.FailedBatchResults(b, err)
	} else if outside {
		return l.conn.SendBatch(ctx, b)
	}
	br, err := l.send(b)
	if err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return br
}

// guardName is the savepoint of execGuarded (which never nests).
const guardName = "dakenh_guard"

// execGuarded runs sql inside a savepoint, sending SAVEPOINT, the statement and RELEASE as one
// batch. When the statement fails, the transaction is rolled back to the savepoint (so it stays
// usable) and the statement's error is returned.
func (l *lazyTx) execGuarded(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.before != nil {
		if err := l.before(sql); err != nil {
			return pgconn.CommandTag{}, err
		}
	}
	if l.autocommit { // a write outside a recorded method never runs grouped (txn.writing ends it)
		return pgconn.CommandTag{}, errors.New("a guarded statement outside a transaction")
	}
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT ` + guardName)
	b.Queue(sql, args...)
	b.Queue(`RELEASE SAVEPOINT ` + guardName)
	br, err := l.send(b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	_, spErr := br.Exec()
	tag, err := br.Exec()
	_, relErr := br.Exec()
	cerr := br.Close()
	switch {
	case spErr != nil:
		return tag, spErr
	case err != nil:
		if _, rerr := l.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+guardName); rerr != nil {
			return tag, fmt.Errorf("%w (and rolling back to the savepoint: %v)", err, rerr)
		}
		return tag, err
	case relErr != nil:
		return tag, relErr
	}
	return tag, cerr
}

// Commit commits the transaction; one that never began has nothing to commit.
func (l *lazyTx) Commit(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Commit(ctx)
}

// Rollback ends the transaction without its changes; one that never began has nothing to undo.
func (l *lazyTx) Rollback(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Rollback(ctx)
}

// batchRows are the rows of a batch's only query; they close the batch when they end.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error // of closing the batch
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.br.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// batchRow is the row of a batch's only query; Scan closes the batch.
type batchRow struct{ br pgx.BatchResults }

func (r batchRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a row whose Scan reports err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
