package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func contactTests() []test {
	return append(kit[model.Contact]{
		full: fullContact,
		put:  func(tx store.Tx, v *model.Contact) error { return tx.PutContact(v) },
		get:  func(tx store.Tx, ws, id string) (*model.Contact, error) { return tx.GetContact(ws, id) },
		change: func(v *model.Contact) {
			v.Name, v.Phone, v.Email, v.AvatarURL = "Lê Minh", "+84900000000", "le@example.com", ""
			v.Attributes, v.CRMCustomerID, v.CreatedAt, v.UpdatedAt = map[string]string{"tier": "gold"}, "crm-9", at(-time.Hour), at(time.Hour)
		},
		scribble: func(v *model.Contact) { v.Name = "scribbled"; v.Attributes["status"] = "scribbled" },
	}.tests(), test{"ListByCRMRef", testContactListByCRMRef})
}

// testContactListByCRMRef: the contacts linked to one CRM customer, in id order, only in their
// workspace; an unlinked contact (CRMRef "") is never listed, not even for an empty ref.
func testContactListByCRMRef(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for _, c := range []struct{ ws, id, ref string }{
			{ws1, "ct-3", "crm-001"}, {ws1, "ct-1", "crm-001"}, {ws1, "ct-2", "crm-002"}, {ws1, "ct-4", ""},
			{ws2, "ct-5", "crm-001"},
		} {
			v := fullContact(c.ws, c.id)
			v.CRMCustomerID = c.ref
			if err := tx.PutContact(v); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(ws, ref string) []string {
		got := read(t, s, func(tx store.Tx) ([]*model.Contact, error) { return tx.ListContactsByCRMCustomer(ws, ref) })
		var out []string
		for _, c := range got {
			assert.Equal(t, ref, c.CRMCustomerID)
			out = append(out, c.ID)
		}
		return out
	}
	assert.Equal(t, []string{"ct-1", "ct-3"}, ids(ws1, "crm-001"))
	assert.Equal(t, []string{"ct-2"}, ids(ws1, "crm-002"))
	assert.Equal(t, []string{"ct-5"}, ids(ws2, "crm-001"))
	assert.Empty(t, ids(ws1, ""))
	assert.Empty(t, ids(ws1, "crm-404"))
	// A contact unlinked later leaves the list.
	update(t, s, func(tx store.Tx) error {
		c, err := tx.GetContact(ws1, "ct-3")
		if err != nil {
			return err
		}
		c.CRMCustomerID = ""
		return tx.PutContact(c)
	})
	assert.Equal(t, []string{"ct-1"}, ids(ws1, "crm-001"))
}

// identityKit stores identities of contact "ct-1" on the workspace's default connection.
func identityKit() kit[model.Identity] {
	return kit[model.Identity]{
		full: func(ws, id string) *model.Identity { return fullIdentity(ws, id, "ct-1", connectionOf(ws)) },
		prepare: func(tx store.Tx, ws string) error {
			if err := tx.PutConnection(fullConnection(ws, connectionOf(ws))); err != nil {
				return err
			}
			return tx.PutContact(fullContact(ws, "ct-1"))
		},
		put: func(tx store.Tx, v *model.Identity) error { return tx.PutIdentity(v) },
		get: func(tx store.Tx, ws, id string) (*model.Identity, error) { return tx.GetIdentity(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.Identity, error) {
			return tx.ListIdentities(ws, "ct-1")
		},
		change: func(v *model.Identity) {
			v.ChannelKind, v.ExternalUserID, v.DisplayName, v.AvatarURL = kindTikTok, "ext-changed", "Renamed", ""
			v.Phone, v.Follower, v.CreatedAt, v.UpdatedAt = "", false, at(-time.Hour), at(time.Hour)
			v.Anonymous, v.ProviderConversationID = false, ""
		},
		scribble: func(v *model.Identity) { v.DisplayName = "scribbled" },
	}
}

func identityTests() []test {
	return append(identityKit().tests(),
		test{"InsertAndFind", testIdentityInsertAndFind},
		test{"Duplicate", testIdentityDuplicate},
		test{"ListByContact", testIdentityListByContact},
		test{"PutMovesUniqueKey", testIdentityPutMovesKey},
	)
}

// seedIdentityParents puts the connections and contacts the identity checks refer to.
func seedIdentityParents(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, id := range []string{"conn-a", "conn-b"} {
			if err := tx.PutConnection(fullConnection(ws1, id)); err != nil {
				return err
			}
		}
		for _, id := range []string{"ct-1", "ct-2"} {
			if err := tx.PutContact(fullContact(ws1, id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func findIdentity(t *testing.T, s store.Store, conn, ext string) (*model.Identity, error) {
	t.Helper()
	return readErr(t, s, func(tx store.Tx) (*model.Identity, error) {
		return tx.FindIdentity(ws1, conn, ext)
	})
}

func testIdentityInsertAndFind(t *testing.T, s store.Store) {
	seedIdentityParents(t, s)
	i := fullIdentity(ws1, "idn-1", "ct-1", "conn-a")
	update(t, s, func(tx store.Tx) error { return tx.InsertIdentity(i) })

	same(t, i, read(t, s, func(tx store.Tx) (*model.Identity, error) { return tx.GetIdentity(ws1, "idn-1") }))
	got, err := findIdentity(t, s, "conn-a", i.ExternalUserID)
	require.NoError(t, err)
	same(t, i, got)

	_, err = findIdentity(t, s, "conn-b", i.ExternalUserID)
	require.ErrorIs(t, err, model.ErrNotFound, "the key includes the connection")
	_, err = findIdentity(t, s, "conn-a", "someone-else")
	require.ErrorIs(t, err, model.ErrNotFound)
	_, err = readErr(t, s, func(tx store.Tx) (*model.Identity, error) {
		return tx.FindIdentity(ws2, "conn-a", i.ExternalUserID)
	})
	require.ErrorIs(t, err, model.ErrNotFound)
}

func testIdentityDuplicate(t *testing.T, s store.Store) {
	seedIdentityParents(t, s)
	orig := fullIdentity(ws1, "idn-1", "ct-1", "conn-a")
	update(t, s, func(tx store.Tx) error { return tx.InsertIdentity(orig) })

	sameUser := fullIdentity(ws1, "idn-2", "ct-2", "conn-a")
	sameUser.ExternalUserID = orig.ExternalUserID
	err := write(t, s, func(tx store.Tx) error { return tx.InsertIdentity(sameUser) })
	require.ErrorIs(t, err, model.ErrDuplicate, "(ConnectionID, ExternalUserID) is unique")
	err = write(t, s, func(tx store.Tx) error { return tx.PutIdentity(sameUser) })
	require.ErrorIs(t, err, model.ErrDuplicate, "PutIdentity must keep (ConnectionID, ExternalUserID) unique")

	sameID := fullIdentity(ws1, "idn-1", "ct-2", "conn-b")
	err = write(t, s, func(tx store.Tx) error { return tx.InsertIdentity(sameID) })
	require.ErrorIs(t, err, model.ErrDuplicate, "InsertIdentity with an existing id")

	got, err := findIdentity(t, s, "conn-a", orig.ExternalUserID)
	require.NoError(t, err)
	same(t, orig, got, "refused inserts must not change the stored identity")
	_, err = readErr(t, s, func(tx store.Tx) (*model.Identity, error) { return tx.GetIdentity(ws1, "idn-2") })
	require.ErrorIs(t, err, model.ErrNotFound)

	otherConn := fullIdentity(ws1, "idn-3", "ct-1", "conn-b")
	otherConn.ExternalUserID = orig.ExternalUserID
	update(t, s, func(tx store.Tx) error { return tx.InsertIdentity(otherConn) })
	got, err = findIdentity(t, s, "conn-b", orig.ExternalUserID)
	require.NoError(t, err)
	same(t, otherConn, got)
}

func testIdentityListByContact(t *testing.T, s store.Store) {
	seedIdentityParents(t, s)
	a := fullIdentity(ws1, "idn-a", "ct-1", "conn-a")
	b := fullIdentity(ws1, "idn-b", "ct-1", "conn-b")
	c := fullIdentity(ws1, "idn-c", "ct-2", "conn-a")
	update(t, s, func(tx store.Tx) error {
		for _, i := range []*model.Identity{a, b, c} {
			if err := tx.InsertIdentity(i); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(contact string) []*model.Identity {
		return read(t, s, func(tx store.Tx) ([]*model.Identity, error) {
			return tx.ListIdentities(ws1, contact)
		})
	}
	sameRows(t, []*model.Identity{a, b}, list("ct-1"))
	sameRows(t, []*model.Identity{c}, list("ct-2"))
	assert.Empty(t, list("ct-none"))
}

func testIdentityPutMovesKey(t *testing.T, s store.Store) {
	seedIdentityParents(t, s)
	i := fullIdentity(ws1, "idn-1", "ct-1", "conn-a")
	update(t, s, func(tx store.Tx) error { return tx.InsertIdentity(i) })
	oldExt := i.ExternalUserID

	moved := *i
	moved.ExternalUserID, moved.UpdatedAt = "ext-renumbered", at(time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.PutIdentity(&moved) })

	_, err := findIdentity(t, s, "conn-a", oldExt)
	require.ErrorIs(t, err, model.ErrNotFound, "the old key must be released")
	got, err := findIdentity(t, s, "conn-a", "ext-renumbered")
	require.NoError(t, err)
	same(t, &moved, got)

	taker := fullIdentity(ws1, "idn-2", "ct-2", "conn-a")
	taker.ExternalUserID = oldExt
	update(t, s, func(tx store.Tx) error { return tx.InsertIdentity(taker) })
	got, err = findIdentity(t, s, "conn-a", oldExt)
	require.NoError(t, err)
	same(t, taker, got)
}
