package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.IngestReader = (*txn)(nil)

// ReadForIngest implements omnichannel.IngestReader: the duplicate check, the identity and its
// conversation go to the server as one pipelined batch (with the transaction's BEGIN when they are
// its first reads). The conversation is found through the identity on the server.
func (t *txn) ReadForIngest(workspaceID, connectionID, providerMessageID, externalUserID string) (*omnichannel.IngestSnapshot, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	if providerMessageID != "" {
		b.Queue(`SELECT EXISTS (SELECT 1 FROM messages WHERE workspace_id = $1 AND connection_id = $2
			AND provider_message_id = $3 AND provider_message_id <> '')`, workspaceID, connectionID, providerMessageID)
	}
	b.Queue(`SELECT `+identityColumns+` FROM identities
		WHERE workspace_id = $1 AND connection_id = $2 AND external_user_id = $3`, workspaceID, connectionID, externalUserID)
	b.Queue(`SELECT `+conversationColumns+` FROM conversations
		WHERE workspace_id = $1 AND connection_id = $2 AND identity_id = (SELECT id FROM identities
			WHERE workspace_id = $1 AND connection_id = $2 AND external_user_id = $3)`,
		workspaceID, connectionID, externalUserID)
	br := t.tx.SendBatch(t.ctx, b)
	s := &omnichannel.IngestSnapshot{}
	var err error
	if providerMessageID != "" {
		err = br.QueryRow().Scan(&s.Duplicate)
	}
	if err == nil {
		if s.Identity, err = optional(scanIdentity(br.QueryRow())); err == nil {
			s.Conversation, err = optional(scanConversation(br.QueryRow()))
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, t.fail("read for ingest", err)
	}
	return s, nil
}

var _ omnichannel.UsersReader = (*txn)(nil)

// GetUsers implements omnichannel.UsersReader in one query.
func (t *txn) GetUsers(workspaceID string, ids []string) ([]*omnichannel.User, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := list(t, "get users", `SELECT doc FROM users WHERE workspace_id = $1 AND id = ANY($2)`,
		scanDoc[omnichannel.User], workspaceID, ids)
	if err != nil {
		return nil, err
	}
	return omnichannel.UsersInIDOrder(found, ids), nil
}
