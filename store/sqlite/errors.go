package sqlite

import (
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dakenh/dakenh/omnichannel"
)

// Errors specific to the SQLite store.
var (
	// ErrClosed is returned by Update and View after Close.
	ErrClosed = errors.New("sqlite: store closed")
	// ErrReadOnly is returned by a write method called inside View.
	ErrReadOnly = errors.New("sqlite: write in a read-only transaction")
	// ErrTxDone is returned by a Tx method called after the transaction's function returned.
	ErrTxDone = errors.New("sqlite: transaction already finished")
)

func notFound(what, id string) error {
	return fmt.Errorf("sqlite: %s %q: %w", what, id, omnichannel.ErrNotFound)
}

func duplicate(what, detail string) error {
	return fmt.Errorf("sqlite: %s %s: %w", what, detail, omnichannel.ErrDuplicate)
}

func conflict(what, id string, have int64) error {
	return fmt.Errorf("sqlite: %s %q: version %d is stale: %w", what, id, have, omnichannel.ErrConflict)
}

// sqliteCode returns the extended result code of err, 0 when err is not a SQLite error.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// writeError translates a failed write of what: uniqueness violations become ErrDuplicate, a
// reference to a missing row ErrNotFound; anything else is wrapped as is. The failed statement
// changed nothing (SQLite undoes a failed statement alone), so the transaction goes on.
func writeError(what string, err error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("sqlite: %s: %w (%v)", what, omnichannel.ErrDuplicate, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("sqlite: %s refers to a missing connection, contact, identity or conversation: %w",
			what, omnichannel.ErrNotFound)
	}
	return unavailable(fmt.Errorf("sqlite: %s: %w", what, err))
}

// unavailable marks err as omnichannel.ErrUnavailable when SQLite could not write the file: the
// disk is full (SQLITE_FULL) or a write or sync of the file failed (SQLITE_IOERR). Nothing of the
// failed transaction is stored; the caller may try again later (a webhook answers 503). Other
// errors are returned as they are.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return fmt.Errorf("%w: %w", omnichannel.ErrUnavailable, err)
	}
	return err
}
