package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.ClaimReader = (*txn)(nil)

// ReadForClaim implements omnichannel.ClaimReader: the four reads go to the server as one pipelined
// batch (one round trip). The connection comes without its Credentials, which a claim never uses. The connection and the rule's membership are found through the conversation's row, so
// all four belong to workspaceID.
func (t *txn) ReadForClaim(workspaceID, userID, conversationID string) (*omnichannel.ClaimSnapshot, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT doc FROM users WHERE workspace_id = $1 AND id = $2`, workspaceID, userID)
	b.Queue(`SELECT `+conversationColumns+` FROM conversations WHERE workspace_id = $1 AND id = $2`,
		workspaceID, conversationID)
	b.Queue(`SELECT `+claimConnectionColumns+` FROM connections WHERE workspace_id = $1 AND id =
		(SELECT connection_id FROM conversations WHERE workspace_id = $1 AND id = $2)`, workspaceID, conversationID)
	// The rule's document is not decoded (its user list may be long): the server checks membership.
	b.Queue(`SELECT coalesce(doc->'UserIDs' ? $3, false) FROM rules WHERE workspace_id = $1 AND id =
		(SELECT rule_id FROM conversations WHERE workspace_id = $1 AND id = $2)`, workspaceID, conversationID, userID)
	br := t.tx.SendBatch(t.ctx, b)
	s := &omnichannel.ClaimSnapshot{}
	var err error
	if s.User, err = optional(scanDoc[omnichannel.User](br.QueryRow())); err == nil {
		if s.Conversation, err = optional(scanConversation(br.QueryRow())); err == nil {
			if s.Connection, err = optional(scanClaimConnection(br.QueryRow())); err == nil {
				err = br.QueryRow().Scan(&s.InRule)
				s.RuleFound = err == nil
				if errors.Is(err, pgx.ErrNoRows) {
					err = nil
				}
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, t.fail("read for claim", err)
	}
	return s, nil
}

// claimConnectionColumns are connectionColumns but the credentials: a claim does not need the
// provider's secrets, so they are neither read nor opened.
const claimConnectionColumns = `workspace_id, id, kind, external_id, display_name, avatar_url, status, status_reason,
	owner_id, permission, rule_id, settings, created_at, updated_at, version`

// scanClaimConnection reads a row of claimConnectionColumns; Credentials stay empty.
func scanClaimConnection(r pgx.Row) (*omnichannel.Connection, error) {
	var c omnichannel.Connection
	var settings []byte
	err := r.Scan(&c.WorkspaceID, &c.ID, &c.Kind, &c.ExternalID, &c.DisplayName, &c.AvatarURL, &c.Status,
		&c.StatusReason, &c.OwnerID, &c.Permission, &c.RuleID, &settings, &c.CreatedAt, &c.UpdatedAt, &c.Version)
	if err != nil {
		return nil, err
	}
	if err := fromJSON(settings, &c.Settings); err != nil {
		return nil, err
	}
	return &c, nil
}

// optional turns "no row" into a nil value without error.
func optional[T any](v *T, err error) (*T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}
