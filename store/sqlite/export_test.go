package sqlite

import "github.com/dakenh/dakenh/omnichannel"

// QueueLen reports how many Update calls wait for the writer (tests only).
func QueueLen(s *Store) int { return len(s.queue) }

// HoldBatches makes the writer wait, before it runs the first request of each batch, until hold is
// closed (tests: requests queue meanwhile and form one batch with it). Call it when no request is
// queued.
func HoldBatches(s *Store, hold chan struct{}) { s.hold = hold }

// Held reports whether the writer waits for HoldBatches's channel with a batch's first request.
func Held(s *Store) bool { return s.held.Load() }

// ExecInTx runs raw SQL in tx (tests only: to set up situations the Tx methods cannot make).
func ExecInTx(tx omnichannel.Tx, query string, args ...any) error {
	t := tx.(*txn)
	t.forgetConversations() // raw SQL may change rows behind the snapshots
	_, err := t.q.exec(query, args...)
	return err
}

// QueryInTx runs a single-value query in tx (tests only: to read the connection's settings).
func QueryInTx(tx omnichannel.Tx, query string) (string, error) {
	var v string
	err := tx.(*txn).q.queryRow(query).Scan(&v)
	return v, err
}
