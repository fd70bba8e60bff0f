package memory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

func (t *txn) PutContact(c *omnichannel.Contact) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(c.WorkspaceID).contacts, c.ID, cloneContact(c))
	return nil
}

func (t *txn) GetContact(workspaceID, id string) (*omnichannel.Contact, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).contacts, "contact", id, cloneContact)
}

// InsertIdentity refuses an existing id or an existing (ConnectionID, ExternalUserID) with
// ErrDuplicate.
func (t *txn) InsertIdentity(i *omnichannel.Identity) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, ok := t.ws(i.WorkspaceID).identities[i.ID]; ok {
		return duplicate("identity", fmt.Sprintf("id %q", i.ID))
	}
	return t.PutIdentity(i)
}

// PutIdentity inserts or replaces the identity with i.ID; (ConnectionID, ExternalUserID) held by
// another identity is refused with ErrDuplicate.
func (t *txn) PutIdentity(i *omnichannel.Identity) error {
	if err := t.writing(); err != nil {
		return err
	}
	key := pair{i.ConnectionID, i.ExternalUserID}
	if holder, ok := t.ws(i.WorkspaceID).identityByUser[key]; ok && holder != i.ID {
		return duplicate("identity", fmt.Sprintf("for user %q on connection %q", i.ExternalUserID, i.ConnectionID))
	}
	w := t.wsw(i.WorkspaceID)
	if old, ok := w.identities[i.ID]; ok {
		del(t, w.identityByUser, pair{old.ConnectionID, old.ExternalUserID})
	}
	set(t, w.identityByUser, key, i.ID)
	set(t, w.identities, i.ID, cloneIdentity(i))
	return nil
}

func (t *txn) GetIdentity(workspaceID, id string) (*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).identities, "identity", id, cloneIdentity)
}

func (t *txn) FindIdentity(workspaceID, connectionID, externalUserID string) (*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	w := t.ws(workspaceID)
	id, ok := w.identityByUser[pair{connectionID, externalUserID}]
	if !ok {
		return nil, notFound("identity", connectionID+"/"+externalUserID)
	}
	return cloneIdentity(w.identities[id]), nil
}

// ListIdentities returns the contact's identities ordered by id.
func (t *txn) ListIdentities(workspaceID, contactID string) ([]*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var out []*omnichannel.Identity
	for _, i := range t.ws(workspaceID).identities {
		if i.ContactID == contactID {
			out = append(out, cloneIdentity(i))
		}
	}
	slices.SortFunc(out, func(a, b *omnichannel.Identity) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ListContactsByCRMCustomer returns the workspace's contacts linked to the CRM customer crmRef, ordered by
// id; none for an empty crmRef.
func (t *txn) ListContactsByCRMCustomer(workspaceID, crmRef string) ([]*omnichannel.Contact, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if crmRef == "" {
		return nil, nil
	}
	var out []*omnichannel.Contact
	for _, c := range t.ws(workspaceID).contacts {
		if c.CRMCustomerID == crmRef {
			out = append(out, cloneContact(c))
		}
	}
	slices.SortFunc(out, func(a, b *omnichannel.Contact) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
