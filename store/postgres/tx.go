package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dakenh/dakenh/omnichannel"
)

// txn is the omnichannel.Tx of a Store: a pgx transaction plus the bookkeeping of the contract.
type txn struct {
	ctx      context.Context
	tx       *lazyTx
	writable bool
	sealer   *sealer
	store    *Store // for what runs outside the transaction (NextRotation)
	// done is set when fn returns; atomic because a misbehaving caller may keep tx in a goroutine.
	done atomic.Bool
	// retryable is set when a statement failed with a serialization failure or deadlock: the
	// transaction is aborted and Update runs fn again, whatever fn returned.
	retryable bool
	// group is set in a grouped update (group.go).
	group *grouping
}

var _ omnichannel.Tx = (*txn)(nil)

func (t *txn) readable() error {
	if t.done.Load() {
		return ErrTxDone
	}
	return nil
}

// writing checks that t may write; in a grouped update it ends the grouping (the write methods
// that a grouped update records call writingRecorded instead).
func (t *txn) writing() error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	if t.group != nil && t.group.active && !t.group.recording {
		return t.ungroup()
	}
	return nil
}

// writingRecorded checks that t may write, leaving a grouped update grouped.
func (t *txn) writingRecorded() error {
	if err := t.readable(); err != nil {
		return err
	}
	if !t.writable {
		return ErrReadOnly
	}
	return nil
}

// fail wraps a database error of op, noting serialization failures and deadlocks.
func (t *txn) fail(op string, err error) error {
	if isRetryable(err) {
		t.retryable = true
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func (t *txn) exec(op, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.record(sql, args) {
		return recordedTag, nil
	}
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	if err != nil {
		return tag, t.fail(op, err)
	}
	return tag, nil
}

// get runs a query expected to return at most one row and scans it with scan; no row is
// ErrNotFound naming what.
func get[T any](t *txn, op, what, key, sql string, scan func(pgx.Row) (*T, error), args ...any) (*T, error) {
	v, err := scan(t.tx.QueryRow(t.ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(what, key)
	}
	if err != nil {
		return nil, t.fail(op, err)
	}
	return v, nil
}

// list runs a query and scans every row with scan.
func list[T any](t *txn, op, sql string, scan func(pgx.Row) (*T, error), args ...any) ([]*T, error) {
	rows, err := t.tx.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.fail(op, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.fail(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(op, err)
	}
	return out, nil
}

// guarded runs sql inside a savepoint (one round trip, see lazyTx.execGuarded). A unique
// violation rolls back to the savepoint, leaving the transaction usable, and is returned as
// ErrDuplicate with detail; other errors are returned wrapped.
func (t *txn) guarded(op, what, detail, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.record(sql, args) {
		return recordedTag, nil
	}
	tag, err := t.tx.execGuarded(t.ctx, sql, args...)
	if err != nil {
		if isUniqueViolation(err) {
			return tag, duplicate(what, detail)
		}
		return tag, t.fail(op, err)
	}
	return tag, nil
}

// recordedTag is what a recorded statement reports: the one row it must change when it runs.
var recordedTag = pgconn.NewCommandTag("INSERT 0 1")

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func notFound(what, id string) error {
	return fmt.Errorf("postgres: %s %q: %w", what, id, omnichannel.ErrNotFound)
}

func duplicate(what, detail string) error {
	return fmt.Errorf("postgres: %s %s: %w", what, detail, omnichannel.ErrDuplicate)
}

func conflict(what, id string, have, stored int64) error {
	return fmt.Errorf("postgres: %s %q has version %d, stored %d: %w", what, id, have, stored, omnichannel.ErrConflict)
}

// jsonArg encodes v for a jsonb parameter (nil maps and slices become JSON null).
func jsonArg(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: encoding %T: %w", v, err)
	}
	return b, nil
}

// fromJSON decodes a jsonb column into v; an empty or SQL NULL value leaves v unchanged.
func fromJSON(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// textArray is s for a text[] parameter of a NOT NULL column (nil would be SQL NULL).
func textArray[S ~string](s []S) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}
