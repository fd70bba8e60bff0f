package postgres

import (
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

func (t *txn) PutContact(c *omnichannel.Contact) error {
	cp := *c
	cp.Attributes = maps.Clone(c.Attributes)
	defer t.recordWrite("contacts", func(r *txn) error { return r.PutContact(&cp) }, c.WorkspaceID+"\x00"+c.ID)()
	return putDoc(t, "contacts", c.WorkspaceID, c.ID, c)
}

func (t *txn) GetContact(workspaceID, id string) (*omnichannel.Contact, error) {
	return getDoc[omnichannel.Contact](t, "contacts", "contact", workspaceID, id)
}

// ListContactsByCRMCustomer returns the workspace's contacts linked to the CRM customer crmRef, ordered by
// id; none for an empty crmRef (index contacts_crm_ref, migration 4).
func (t *txn) ListContactsByCRMCustomer(workspaceID, crmRef string) ([]*omnichannel.Contact, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if crmRef == "" {
		return nil, nil
	}
	return list(t, "list contacts by CRM ref", `SELECT doc FROM contacts
		WHERE workspace_id = $1 AND doc->>'CRMRef' = $2 AND doc->>'CRMRef' <> '' ORDER BY id`,
		scanDoc[omnichannel.Contact], workspaceID, crmRef)
}

const identityColumns = `workspace_id, id, contact_id, connection_id, channel_kind, external_user_id,
	display_name, avatar_url, phone, follower, created_at, updated_at, anonymous, provider_conversation_id`

func scanIdentity(r pgx.Row) (*omnichannel.Identity, error) {
	var i omnichannel.Identity
	err := r.Scan(&i.WorkspaceID, &i.ID, &i.ContactID, &i.ConnectionID, &i.ChannelKind, &i.ExternalUserID,
		&i.DisplayName, &i.AvatarURL, &i.Phone, &i.Follower, &i.CreatedAt, &i.UpdatedAt, &i.Anonymous,
		&i.ProviderConversationID)
	if err != nil {
		return nil, err
	}
	return &i, nil
}

func identityArgs(i *omnichannel.Identity) []any {
	return []any{i.WorkspaceID, i.ID, i.ContactID, i.ConnectionID, i.ChannelKind, i.ExternalUserID,
		i.DisplayName, i.AvatarURL, i.Phone, i.Follower, i.CreatedAt, i.UpdatedAt, i.Anonymous, i.ProviderConversationID}
}

// InsertIdentity refuses an existing id or an existing (ConnectionID, ExternalUserID) with
// ErrDuplicate (ON CONFLICT DO NOTHING: the transaction stays usable).
func (t *txn) InsertIdentity(i *omnichannel.Identity) error {
	cp := *i
	defer t.recordWrite("identities", func(r *txn) error { return r.InsertIdentity(&cp) }, identityKey(i))()
	if err := t.writing(); err != nil {
		return err
	}
	tag, err := t.exec("insert identity", `INSERT INTO identities (`+identityColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`, identityArgs(i)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("identity", fmt.Sprintf("id %q or user %q on connection %q", i.ID, i.ExternalUserID, i.ConnectionID))
	}
	return nil
}

// PutIdentity inserts or replaces the identity with i.ID; (ConnectionID, ExternalUserID) held by
// another identity is refused with ErrDuplicate.
func (t *txn) PutIdentity(i *omnichannel.Identity) error {
	cp := *i
	defer t.recordWrite("identities", func(r *txn) error { return r.PutIdentity(&cp) }, identityKey(i))()
	if err := t.writing(); err != nil {
		return err
	}
	_, err := t.guarded("put identity", "identity",
		fmt.Sprintf("for user %q on connection %q", i.ExternalUserID, i.ConnectionID), `INSERT INTO identities (`+identityColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (workspace_id, id) DO UPDATE SET contact_id = EXCLUDED.contact_id,
				connection_id = EXCLUDED.connection_id, channel_kind = EXCLUDED.channel_kind,
				external_user_id = EXCLUDED.external_user_id, display_name = EXCLUDED.display_name,
				avatar_url = EXCLUDED.avatar_url, phone = EXCLUDED.phone, follower = EXCLUDED.follower,
				created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, anonymous = EXCLUDED.anonymous,
				provider_conversation_id = EXCLUDED.provider_conversation_id`, identityArgs(i)...)
	return err
}

func (t *txn) GetIdentity(workspaceID, id string) (*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get identity", "identity", id,
		`SELECT `+identityColumns+` FROM identities WHERE workspace_id = $1 AND id = $2`, scanIdentity, workspaceID, id)
}

func (t *txn) FindIdentity(workspaceID, connectionID, externalUserID string) (*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "find identity", "identity", connectionID+"/"+externalUserID,
		`SELECT `+identityColumns+` FROM identities
		WHERE workspace_id = $1 AND connection_id = $2 AND external_user_id = $3`,
		scanIdentity, workspaceID, connectionID, externalUserID)
}

// ListIdentities returns the contact's identities ordered by id.
func (t *txn) ListIdentities(workspaceID, contactID string) ([]*omnichannel.Identity, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list identities", `SELECT `+identityColumns+` FROM identities
		WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id`, scanIdentity, workspaceID, contactID)
}
