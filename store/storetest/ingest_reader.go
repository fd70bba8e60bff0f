package storetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// ingestReaderTests check the reads of an inbound message: through the store's IngestReader when
// its Tx has one (the engine's fast path), one by one otherwise (the engine's fallback). Either
// way the snapshot must hold exactly the rows the one-by-one reads return.
func ingestReaderTests() []test {
	return []test{{"ReadForIngest", testReadForIngest}}
}

// ingestSnapshot reads through tx's IngestReader, or assembles the snapshot from the single reads.
func ingestSnapshot(tx omnichannel.Tx, ws, conn, providerID, user string) (*omnichannel.IngestSnapshot, error) {
	if r, ok := tx.(omnichannel.IngestReader); ok {
		return r.ReadForIngest(ws, conn, providerID, user)
	}
	return singleReads(tx, ws, conn, providerID, user)
}

// singleReads is the snapshot made of FindMessageByProviderID, FindIdentity and FindConversation.
func singleReads(tx omnichannel.Tx, ws, conn, providerID, user string) (*omnichannel.IngestSnapshot, error) {
	s := &omnichannel.IngestSnapshot{}
	absent := func(err error) error {
		if errors.Is(err, omnichannel.ErrNotFound) {
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

func testReadForIngest(t *testing.T, s omnichannel.Store) {
	c := fullConversation(ws1, "c-1")
	twin := fullConversation(ws2, "c-1") // the same ids in another workspace, on its own connection
	insertConversations(t, s, c, twin)
	m := fullMessage(c, "m-1", 1)
	insertMessages(t, s, m)
	update(t, s, func(tx omnichannel.Tx) error {
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
			for _, run := range []func(fn func(tx omnichannel.Tx) error) error{
				func(fn func(tx omnichannel.Tx) error) error { return s.Update(t.Context(), fn) },
				func(fn func(tx omnichannel.Tx) error) error { return s.View(t.Context(), fn) },
			} {
				require.NoError(t, run(func(tx omnichannel.Tx) error {
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
