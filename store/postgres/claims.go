package postgres

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.ClaimReader = (*txn)(nil)

// ReadForClaim implements omnichannel.ClaimReader in one statement (sent together with the
// transaction's BEGIN): the conversation, joined to its connection and its rule, with the user read
// by a scalar subquery. The connection comes without its Credentials, which a claim never uses. The
// connection and the rule are found through the conversation's row and the rule's membership is
// checked by the server, so all of it belongs to workspaceID. Only when the conversation does not
// exist is the user read on its own.
func (t *txn) ReadForClaim(workspaceID, userID, conversationID string) (*omnichannel.ClaimSnapshot, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	s := &omnichannel.ClaimSnapshot{}
	var userDoc []byte
	conv := &omnichannel.Conversation{}
	conn := &omnichannel.Connection{}
	var connFound bool
	var settings []byte
	dest := append([]any{&userDoc}, conversationDest(conv)...)
	dest = append(dest, &connFound)
	dest = append(dest, claimConnectionDest(conn, &settings)...)
	dest = append(dest, &s.RuleFound, &s.InRule)
	err := t.tx.QueryRow(t.ctx, readForClaimSQL, workspaceID, conversationID, userID).Scan(dest...)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		s.User, err = optional(scanDoc[omnichannel.User](t.tx.QueryRow(t.ctx,
			`SELECT doc FROM users WHERE workspace_id = $1 AND id = $2`, workspaceID, userID)))
		if err != nil {
			return nil, t.fail("read for claim", err)
		}
		return s, nil
	case err != nil:
		return nil, t.fail("read for claim", err)
	}
	s.Conversation = conv
	if userDoc != nil {
		if s.User, err = decodeDoc[omnichannel.User](userDoc); err != nil {
			return nil, t.fail("read for claim", err)
		}
	}
	if connFound {
		if err := fromJSON(settings, &conn.Settings); err != nil {
			return nil, t.fail("read for claim", err)
		}
		s.Connection = conn
	}
	return s, nil
}

// readForClaimSQL is ReadForClaim's statement: $1 workspace, $2 conversation, $3 user. The
// connection's columns are coalesced to zero values when it does not exist (a flag tells).
var readForClaimSQL = `SELECT (SELECT doc FROM users WHERE workspace_id = $1 AND id = $3), ` +
	prefixColumns("c.", conversationColumns) + `,
	k.id IS NOT NULL, coalesce(k.workspace_id, ''), coalesce(k.id, ''), coalesce(k.kind, ''),
	coalesce(k.external_id, ''), coalesce(k.display_name, ''), coalesce(k.avatar_url, ''),
	coalesce(k.status, ''), coalesce(k.status_reason, ''), coalesce(k.owner_id, ''),
	coalesce(k.permission, ''), coalesce(k.rule_id, ''), k.settings, coalesce(k.created_at, 'epoch'),
	coalesce(k.updated_at, 'epoch'), coalesce(k.version, 0),
	r.id IS NOT NULL, coalesce(r.doc->'UserIDs' ? $3, false)
	FROM conversations c
	LEFT JOIN connections k ON k.workspace_id = $1 AND k.id = c.connection_id
	LEFT JOIN rules r ON r.workspace_id = $1 AND r.id = c.rule_id
	WHERE c.workspace_id = $1 AND c.id = $2`

// prefixColumns qualifies each column of a comma-separated list with prefix.
func prefixColumns(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// claimConnectionColumns are connectionColumns but the credentials: a claim does not need the
// provider's secrets, so they are neither read nor opened.
const claimConnectionColumns = `workspace_id, id, kind, external_id, display_name, avatar_url, status, status_reason,
	owner_id, permission, rule_id, settings, created_at, updated_at, version`

// scanClaimConnection reads a row of claimConnectionColumns; Credentials stay empty.
func scanClaimConnection(r pgx.Row) (*omnichannel.Connection, error) {
	var c omnichannel.Connection
	var settings []byte
	if err := r.Scan(claimConnectionDest(&c, &settings)...); err != nil {
		return nil, err
	}
	if err := fromJSON(settings, &c.Settings); err != nil {
		return nil, err
	}
	return &c, nil
}

// claimConnectionDest are the scan destinations of claimConnectionColumns in c; the settings
// document goes to settings, to be decoded by the caller.
func claimConnectionDest(c *omnichannel.Connection, settings *[]byte) []any {
	return []any{&c.WorkspaceID, &c.ID, &c.Kind, &c.ExternalID, &c.DisplayName, &c.AvatarURL, &c.Status,
		&c.StatusReason, &c.OwnerID, &c.Permission, &c.RuleID, settings, &c.CreatedAt, &c.UpdatedAt, &c.Version}
}

// optional turns "no row" into a nil value without error.
func optional[T any](v *T, err error) (*T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}
