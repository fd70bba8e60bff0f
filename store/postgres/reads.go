package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// nativeRead is a store.Read as PostgreSQL answers it: the statements it queues on a batch and the
// scan of their results, in the same order.
type nativeRead struct {
	queue func(b *pgx.Batch)
	scan  func(br pgx.BatchResults) error
}

// ReadBatch implements store.BatchReader: every read of a kind this store knows is queued on one
// pgx batch and sent in one round trip (in a grouped update, outside the transaction, as the other
// reads); other kinds run after it through their Sequential method.
func (t *txn) ReadBatch(ctx context.Context, reads ...store.Read) error {
	if err := t.readable(); err != nil {
		return err
	}
	if err := t.lockCustomerThread(reads); err != nil {
		return err
	}
	b := &pgx.Batch{}
	var natives []nativeRead
	var rest []store.Read
	for _, r := range reads {
		n, ok := nativeOf(r)
		if !ok {
			rest = append(rest, r)
			continue
		}
		if n.queue != nil {
			n.queue(b)
		}
		natives = append(natives, n)
	}
	var br pgx.BatchResults // nil when no read needs a statement
	if b.Len() > 0 {
		br = t.tx.SendBatch(ctx, b)
	}
	var err error
	for _, n := range natives {
		if err = n.scan(br); err != nil {
			break
		}
	}
	if br != nil {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return t.fail("read batch", err)
	}
	return store.ReadSequentially(ctx, t, rest)
}

// nativeOf returns how PostgreSQL answers r, when it knows r's kind. A read that needs no statement
// (an empty id list) has no queue and a scan that ignores its argument.
func nativeOf(r store.Read) (nativeRead, bool) {
	switch r := r.(type) {
	case *store.UserRead:
		return one(`SELECT doc FROM users WHERE workspace_id = $1 AND id = $2`,
			[]any{r.WorkspaceID, r.UserID}, func(row pgx.Row) (err error) {
				r.User, err = optional(scanDoc[omnichannel.User](row))
				return err
			}), true
	case *store.UsersRead:
		if len(r.UserIDs) == 0 {
			return nativeRead{scan: func(pgx.BatchResults) error { r.Users = nil; return nil }}, true
		}
		return many(`SELECT doc FROM users WHERE workspace_id = $1 AND id = ANY($2)`,
			[]any{r.WorkspaceID, r.UserIDs}, scanDoc[omnichannel.User], func(found []*omnichannel.User) {
				r.Users = store.InIDOrder(found, r.UserIDs)
			}), true
	case *store.ConnectionsRead:
		return many(`SELECT `+claimConnectionColumns+` FROM connections WHERE workspace_id = $1 ORDER BY id`,
			[]any{r.WorkspaceID}, scanClaimConnection, func(c []*omnichannel.Connection) { r.Connections = c }), true
	case *store.ConversationContextRead:
		return one(conversationContextSQL, []any{r.WorkspaceID, r.ConversationID}, func(row pgx.Row) error {
			return scanConversationContext(row, r)
		}), true
	case *store.CustomerThreadRead:
		return customerThread(r), true
	case *store.ProviderMessageRead:
		if r.ProviderMessageID == "" {
			return nativeRead{scan: func(pgx.BatchResults) error { r.Exists = false; return nil }}, true
		}
		// The predicate on '' lets the planner use the partial unique index messages_provider_id.
		return one(`SELECT EXISTS (SELECT 1 FROM messages WHERE workspace_id = $1 AND connection_id = $2
			AND provider_message_id = $3 AND provider_message_id <> '')`, []any{r.WorkspaceID, r.ConnectionID, r.ProviderMessageID},
			func(row pgx.Row) error { return row.Scan(&r.Exists) }), true
	case *store.UnreadByConnectionRead:
		return nativeRead{
			queue: func(b *pgx.Batch) {
				b.Queue(`SELECT connection_id, sum(CASE WHEN user_id = '' THEN n ELSE -n END) FROM unread_counters
					WHERE workspace_id = $1 AND user_id IN ('', $2) GROUP BY connection_id`, r.WorkspaceID, r.UserID)
			},
			scan: func(br pgx.BatchResults) (err error) {
				r.Counts, err = scanCounts(br)
				return err
			},
		}, true
	case *store.ReadPositionsRead:
		if len(r.UserIDs) == 0 || len(r.ConversationIDs) == 0 {
			return nativeRead{scan: func(pgx.BatchResults) error { r.Positions = map[store.ReadPosition]int64{}; return nil }}, true
		}
		return many(`SELECT `+readStateColumns+` FROM read_states WHERE workspace_id = $1
			AND conversation_id = ANY($2) AND user_id = ANY($3)`, []any{r.WorkspaceID, r.ConversationIDs, r.UserIDs},
			scanReadState, func(states []*omnichannel.ReadState) {
				r.Positions = make(map[store.ReadPosition]int64, len(states))
				for _, rs := range states {
					r.Positions[store.ReadPosition{UserID: rs.UserID, ConversationID: rs.ConversationID}] = rs.InboundCount
				}
			}), true
	}
	return nativeRead{}, false
}

// one is a read of at most one row.
func one(sql string, args []any, scan func(pgx.Row) error) nativeRead {
	return nativeRead{
		queue: func(b *pgx.Batch) { b.Queue(sql, args...) },
		scan:  func(br pgx.BatchResults) error { return scan(br.QueryRow()) },
	}
}

// many is a read of any number of rows, each scanned with scan and handed over together to set.
func many[T any](sql string, args []any, scan func(pgx.Row) (*T, error), set func([]*T)) nativeRead {
	return nativeRead{
		queue: func(b *pgx.Batch) { b.Queue(sql, args...) },
		scan: func(br pgx.BatchResults) error {
			all, err := scanAll(br, scan)
			if err == nil {
				set(all)
			}
			return err
		},
	}
}

// customerThread reads the identity and, in a second statement of the same batch, its
// conversation (found through the identity in SQL, so the two need no round trip between them).
func customerThread(r *store.CustomerThreadRead) nativeRead {
	return nativeRead{
		queue: func(b *pgx.Batch) {
			b.Queue(`SELECT `+identityColumns+` FROM identities
				WHERE workspace_id = $1 AND connection_id = $2 AND external_user_id = $3`,
				r.WorkspaceID, r.ConnectionID, r.ExternalUserID)
			b.Queue(`SELECT `+conversationColumns+` FROM conversations
				WHERE workspace_id = $1 AND connection_id = $2 AND identity_id = (SELECT id FROM identities
					WHERE workspace_id = $1 AND connection_id = $2 AND external_user_id = $3)`,
				r.WorkspaceID, r.ConnectionID, r.ExternalUserID)
		},
		scan: func(br pgx.BatchResults) (err error) {
			if r.Identity, err = optional(scanIdentity(br.QueryRow())); err != nil {
				return err
			}
			r.Conversation, err = optional(scanConversation(br.QueryRow()))
			return err
		},
	}
}

// conversationContextSQL reads a conversation, its connection (without credentials) and its rule
// in one statement.
var conversationContextSQL = `SELECT ` + prefixColumns("c.", conversationColumns) + `,
	k.id IS NOT NULL, coalesce(k.workspace_id, ''), coalesce(k.id, ''), coalesce(k.kind, ''),
	coalesce(k.external_id, ''), coalesce(k.display_name, ''), coalesce(k.avatar_url, ''),
	coalesce(k.status, ''), coalesce(k.status_reason, ''), coalesce(k.owner_id, ''),
	coalesce(k.permission, ''), coalesce(k.rule_id, ''), k.settings, coalesce(k.created_at, 'epoch'),
	coalesce(k.updated_at, 'epoch'), coalesce(k.version, 0), r.doc
	FROM conversations c
	LEFT JOIN connections k ON k.workspace_id = $1 AND k.id = c.connection_id
	LEFT JOIN rules r ON r.workspace_id = $1 AND r.id = c.rule_id AND c.rule_id <> ''
	WHERE c.workspace_id = $1 AND c.id = $2`

func scanConversationContext(row pgx.Row, r *store.ConversationContextRead) error {
	r.Conversation, r.Connection, r.Rule = nil, nil, nil
	conv := &omnichannel.Conversation{}
	conn := &omnichannel.Connection{}
	var connFound bool
	var settings, ruleDoc []byte
	dest := append(conversationDest(conv), &connFound)
	dest = append(dest, claimConnectionDest(conn, &settings)...)
	dest = append(dest, &ruleDoc)
	err := row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	r.Conversation = conv
	if connFound {
		if err := fromJSON(settings, &conn.Settings); err != nil {
			return err
		}
		r.Connection = conn
	}
	if ruleDoc != nil {
		if r.Rule, err = decodeDoc[omnichannel.Rule](ruleDoc); err != nil {
			return err
		}
	}
	return nil
}

func prefixColumns(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// claimConnectionColumns are a connection's columns without its credentials: what visibility and
// authorization read.
const claimConnectionColumns = `workspace_id, id, kind, external_id, display_name, avatar_url, status, status_reason,
	owner_id, permission, rule_id, settings, created_at, updated_at, version`

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

func claimConnectionDest(c *omnichannel.Connection, settings *[]byte) []any {
	return []any{&c.WorkspaceID, &c.ID, &c.Kind, &c.ExternalID, &c.DisplayName, &c.AvatarURL, &c.Status,
		&c.StatusReason, &c.OwnerID, &c.Permission, &c.RuleID, settings, &c.CreatedAt, &c.UpdatedAt, &c.Version}
}

func optional[T any](v *T, err error) (*T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func scanAll[T any](br pgx.BatchResults, scan func(pgx.Row) (*T, error)) ([]*T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanCounts(br pgx.BatchResults) (map[string]int, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		counts[id] = n
	}
	return counts, rows.Err()
}
