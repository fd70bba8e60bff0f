package omnichannel

import "fmt"

// IngestSnapshot is what the ingest of a customer message reads before it writes.
type IngestSnapshot struct {
	// Duplicate reports that the connection already has a message with the provider message id.
	Duplicate bool
	// Identity is the customer's identity on the connection; nil when there is none.
	Identity *Identity
	// Conversation is that identity's conversation on the connection; nil when there is none.
	Conversation *Conversation
}

// IngestReader is an optional capability of a Tx: ReadForIngest reads, within the transaction and
// all of workspaceID, whether connectionID has a message with providerMessageID (never when it is
// ""), the identity of externalUserID on connectionID, and that identity's conversation on
// connectionID, at once (one round trip on a networked store) instead of three reads. Rows that do
// not exist are nil fields, not errors; an error is a failure of the store. The engine uses it for
// every inbound message when the store's Tx has it and reads the rows one by one otherwise.
type IngestReader interface {
	ReadForIngest(workspaceID, connectionID, providerMessageID, externalUserID string) (*IngestSnapshot, error)
}

// ingestLookups carries what an IngestReader read into the steps of an inbound message, which
// would otherwise read it themselves. known is false when nothing was read (or what was read may
// be out of date): the steps then read from tx.
type ingestLookups struct {
	known        bool
	identity     *Identity
	conversation *Conversation
}

// preRead returns the row an IngestReader read when known (an ErrNotFound naming what when there
// was none), and reads it with read otherwise.
func preRead[T any](known bool, v *T, what string, read func() (*T, error)) (*T, error) {
	switch {
	case !known:
		return read()
	case v == nil:
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return v, nil
}

// readForIngest reads through tx's IngestReader when it has one; ok is false without one.
func readForIngest(tx Tx, workspaceID, connectionID, providerMessageID, externalUserID string) (s *IngestSnapshot, ok bool, err error) {
	if w, isWatch := tx.(connWatchTx); isWatch {
		tx = w.Tx
	}
	r, ok := tx.(IngestReader)
	if !ok {
		return nil, false, nil
	}
	s, err = r.ReadForIngest(workspaceID, connectionID, providerMessageID, externalUserID)
	return s, true, err
}
