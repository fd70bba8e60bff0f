package omnichannel

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/store"
)

// ingestLookups carries what the ingest of a customer message read in one batch into the steps that
// would otherwise read it themselves. known is false when nothing was read (or what was read may be
// out of date): the steps then read from tx.
type ingestLookups struct {
	known        bool
	duplicate    bool
	identity     *Identity
	conversation *Conversation
}

// readIngestLookups reads, in one batch, whether the connection already has the message and, when
// the event names its customer, the customer's identity on the connection and its conversation
// there (known is false without a customer: nothing of it was read). A redelivery is recognised by
// its provider message id alone.
func readIngestLookups(ctx context.Context, tx Tx, conn *Connection, ev InboundEvent) (ingestLookups, error) {
	known := &store.ProviderMessageRead{WorkspaceID: conn.WorkspaceID, ConnectionID: conn.ID,
		ProviderMessageID: ev.ProviderMessageID}
	reads := []store.Read{known}
	thread := &store.CustomerThreadRead{WorkspaceID: conn.WorkspaceID, ConnectionID: conn.ID,
		ExternalUserID: ev.ExternalUserID}
	if ev.ExternalUserID != "" {
		reads = append(reads, thread)
	}
	if err := tx.ReadBatch(ctx, reads...); err != nil {
		return ingestLookups{}, err
	}
	return ingestLookups{known: ev.ExternalUserID != "", duplicate: known.Exists, identity: thread.Identity,
		conversation: thread.Conversation}, nil
}

// preRead returns the row read in the batch when known (an ErrNotFound naming what when there
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
