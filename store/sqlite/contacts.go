package sqlite

import (
	"github.com/dakenh/dakenh/omnichannel"
)

const contactColumns = `workspace_id, id, name, phone, email, avatar_url, attributes, crm_ref, created_at, updated_at`

func scanContact(sc scanner) (*omnichannel.Contact, error) {
	var c omnichannel.Contact
	var attrs string
	var created, updated int64
	if err := sc.Scan(&c.WorkspaceID, &c.ID, &c.Name, &c.Phone, &c.Email, &c.AvatarURL, &attrs, &c.CRMCustomerID,
		&created, &updated); err != nil {
		return nil, err
	}
	if err := fromJSON(attrs, &c.Attributes); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// PutContact inserts or replaces the contact with c.ID.
func (t *txn) PutContact(c *omnichannel.Contact) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	attrs, err := jsonText(c.Attributes)
	if err != nil {
		return err
	}
	return t.write(contactsWrite, `INSERT INTO contacts (`+contactColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
			email = excluded.email, avatar_url = excluded.avatar_url, attributes = excluded.attributes,
			crm_ref = excluded.crm_ref, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		[]any{c.WorkspaceID, c.ID, c.Name, c.Phone, c.Email, c.AvatarURL, attrs, c.CRMCustomerID, micros(c.CreatedAt), micros(c.UpdatedAt)},
		execChecked("put contact"))
}

func (t *txn) GetContact(workspaceID, id string) (*omnichannel.Contact, error) {
	return getOne(t, scanContact, "contact", id,
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const identityColumns = `workspace_id, id, contact_id, connection_id, channel_kind, external_user_id, display_name,
	avatar_url, phone, follower, created_at, updated_at, anonymous, provider_conversation_id`

func scanIdentity(sc scanner) (*omnichannel.Identity, error) {
	var i omnichannel.Identity
	var follower, anonymous bool
	var created, updated int64
	if err := sc.Scan(&i.WorkspaceID, &i.ID, &i.ContactID, &i.ConnectionID, &i.ChannelKind, &i.ExternalUserID,
		&i.DisplayName, &i.AvatarURL, &i.Phone, &follower, &created, &updated, &anonymous,
		&i.ProviderConversationID); err != nil {
		return nil, err
	}
	i.Follower, i.Anonymous = follower, anonymous
	i.CreatedAt, i.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &i, nil
}

func identityArgs(i *omnichannel.Identity) []any {
	return []any{i.WorkspaceID, i.ID, i.ContactID, i.ConnectionID, string(i.ChannelKind), i.ExternalUserID,
		i.DisplayName, i.AvatarURL, i.Phone, boolInt(i.Follower), micros(i.CreatedAt), micros(i.UpdatedAt),
		boolInt(i.Anonymous), i.ProviderConversationID}
}

// InsertIdentity refuses an existing id or an existing (ConnectionID, ExternalUserID) with
// ErrDuplicate; the contact and the connection must exist (ErrNotFound otherwise).
func (t *txn) InsertIdentity(i *omnichannel.Identity) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	return t.write(identitiesWrite, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		identityArgs(i), execChecked("insert identity"))
}

// PutIdentity inserts or replaces the identity with i.ID; (ConnectionID, ExternalUserID) held by
// another identity is refused with ErrDuplicate.
func (t *txn) PutIdentity(i *omnichannel.Identity) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	return t.write(identitiesWrite, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET contact_id = excluded.contact_id,
			connection_id = excluded.connection_id, channel_kind = excluded.channel_kind,
			external_user_id = excluded.external_user_id, display_name = excluded.display_name,
			avatar_url = excluded.avatar_url, phone = excluded.phone, follower = excluded.follower,
			created_at = excluded.created_at, updated_at = excluded.updated_at, anonymous = excluded.anonymous,
			provider_conversation_id = excluded.provider_conversation_id`, identityArgs(i), execChecked("put identity"))
}

func (t *txn) GetIdentity(workspaceID, id string) (*omnichannel.Identity, error) {
	return getOne(t, scanIdentity, "identity", id,
		`SELECT `+identityColumns+` FROM identities WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (t *txn) FindIdentity(workspaceID, connectionID, externalUserID string) (*omnichannel.Identity, error) {
	if err := t.lockCustomer(workspaceID, connectionID, externalUserID); err != nil {
		return nil, err
	}
	return getOne(t, scanIdentity, "identity", connectionID+"/"+externalUserID,
		`SELECT `+identityColumns+` FROM identities
		WHERE workspace_id = ? AND connection_id = ? AND external_user_id = ?`, workspaceID, connectionID, externalUserID)
}

// ListIdentities returns the contact's identities ordered by id.
func (t *txn) ListIdentities(workspaceID, contactID string) ([]*omnichannel.Identity, error) {
	return getAll(t, scanIdentity, "identities",
		`SELECT `+identityColumns+` FROM identities WHERE workspace_id = ? AND contact_id = ? ORDER BY id`,
		workspaceID, contactID)
}

// ListContactsByCRMCustomer returns the workspace's contacts linked to the CRM customer crmRef, ordered by
// id; none for an empty crmRef.
func (t *txn) ListContactsByCRMCustomer(workspaceID, crmRef string) ([]*omnichannel.Contact, error) {
	if crmRef == "" {
		return nil, nil
	}
	return getAll(t, scanContact, "contacts",
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND crm_ref = ? AND crm_ref <> '' ORDER BY id`,
		workspaceID, crmRef)
}
