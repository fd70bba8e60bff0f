package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// ingestReaderTests check the reads of an inbound message (store.ProviderMessageRead and
// store.CustomerThreadRead in one Tx.ReadBatch, as the engine sends them): the snapshot must hold
// exactly the rows the one-by-one reads return.
func ingestReaderTests() []test {
	return []test{{"CustomerThread", testReadForIngest}}
}

// ingestView is what the ingest of a customer message reads before it writes.
type ingestView struct {
	Duplicate    bool
	Identity     *model.Identity
	Conversation *model.Conversation
}

// ingestSnapshot reads what an inbound message needs in one batch.
func ingestSnapshot(tx store.Tx, ws, conn, providerID, user string) (*ingestView, error) {
	known := &store.ProviderMessageRead{WorkspaceID: ws, ConnectionID: conn, ProviderMessageID: providerID}
	thread := &store.CustomerThreadRead{WorkspaceID: ws, ConnectionID: conn, ExternalUserID: user}
	if err := tx.ReadBatch(context.Background(), known, thread); err != nil {
		return nil, err
	}
	return &ingestView{Duplicate: known.Exists, Identity: thread.Identity, Conversation: thread.Conversation}, nil
}

// singleReads is the snapshot made of FindMessageByProviderID, FindIdentity and FindConversation.
func singleReads(tx store.Tx, ws, conn, providerID, user string) (*ingestView, error) {
	s := &ingestView{}
	absent := func(err error) error {
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		return err
	}
	if providerID != "" {
		_, err := tx.FindMessageByProviderID(ws, conn, providerID)
		s.Duplicate = err == nil
		if err = absent(err); err != nil {
			return nil, err
		}
	}
	i, err := tx.FindIdentity(ws, conn, user)
	if err = absent(err); err != nil || i == nil {
		return s, err
	}
	s.Identity = i
	c, err := tx.FindConversation(ws, conn, i.ID)
	if err = absent(err); err != nil {
		return nil, err
	}
	s.Conversation = c
	return s, nil
}

func testReadForIngest(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "c-1")
	twin := fullConversation(ws2, "c-1") // the same ids in another workspace, on its own connection
	insertConversations(t, s, c, twin)
	m := fullMessage(c, "m-1", 1)
	insertMessages(t, s, m)
	update(t, s, func(tx store.Tx) error {
		return tx.InsertIdentity(fullIdentity(ws1, "idn-lonely", c.ContactID, c.ConnectionID))
	})
	customer := fullIdentity(ws1, c.IdentityID, c.ContactID, c.ConnectionID).ExternalUserID
	lonely := fullIdentity(ws1, "idn-lonely", c.ContactID, c.ConnectionID).ExternalUserID

	cases := []struct {
		name                       string
		ws, conn, providerID, user string
		duplicate                  bool
		identityID, conversationID string
	}{
		{"KnownCustomerDuplicate", ws1, c.ConnectionID, m.ProviderMessageID, customer, true, c.IdentityID, c.ID},
		{"KnownCustomerNewMessage", ws1, c.ConnectionID, "pm-new", customer, false, c.IdentityID, c.ID},
		{"IdentityWithoutConversation", ws1, c.ConnectionID, "pm-new", lonely, false, "idn-lonely", ""},
		{"NewCustomer", ws1, c.ConnectionID, "pm-new", "nobody", false, "", ""},
		{"EmptyProviderID", ws1, c.ConnectionID, "", customer, false, c.IdentityID, c.ID},
		{"OtherConnection", ws1, twin.ConnectionID, m.ProviderMessageID, customer, false, "", ""},
		{"OtherWorkspace", ws2, c.ConnectionID, m.ProviderMessageID, customer, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// In a read-write transaction, as the engine reads (and once read-only).
			for _, run := range []func(fn func(tx store.Tx) error) error{
				func(fn func(tx store.Tx) error) error { return s.Update(t.Context(), fn) },
				func(fn func(tx store.Tx) error) error { return s.View(t.Context(), fn) },
			} {
				require.NoError(t, run(func(tx store.Tx) error {
					got, err := ingestSnapshot(tx, tc.ws, tc.conn, tc.providerID, tc.user)
					require.NoError(t, err)
					want, err := singleReads(tx, tc.ws, tc.conn, tc.providerID, tc.user)
					require.NoError(t, err)
					assert.Equal(t, want, got, "the snapshot holds what the single reads return")
					assert.Equal(t, tc.duplicate, got.Duplicate, "duplicate")
					if tc.identityID == "" {
						assert.Nil(t, got.Identity)
					} else if assert.NotNil(t, got.Identity) {
						assert.Equal(t, tc.identityID, got.Identity.ID)
						assert.Equal(t, tc.ws, got.Identity.WorkspaceID)
					}
					if tc.conversationID == "" {
						assert.Nil(t, got.Conversation)
					} else if assert.NotNil(t, got.Conversation) {
						assert.Equal(t, tc.conversationID, got.Conversation.ID)
						assert.Equal(t, tc.ws, got.Conversation.WorkspaceID)
					}
					return nil
				}))
			}
		})
	}
}
