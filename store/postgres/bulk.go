package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.BulkLoader = (*Store)(nil)

// BulkLoad imports b in one transaction with COPY (pgx CopyFrom), table by table in the order Bulk
// documents. The unread counters are maintained by the tables' statement-level triggers, which run
// once per COPY; the search and list indexes are updated as rows arrive. A record whose key is
// already stored fails the whole call with an error wrapping omnichannel.ErrDuplicate and stores
// nothing of b. Contacts are stored as given; credentials are not part of a Bulk.
//
// Statistics: after a large import run ANALYZE (autovacuum does it too, later) so that the planner
// knows the new sizes.
func (s *Store) BulkLoad(ctx context.Context, b *omnichannel.Bulk) error {
	conn, release, err := s.ownConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, step := range []struct {
			table   string
			columns []string
			rows    func() ([][]any, error)
		}{
			{"contacts", []string{"workspace_id", "id", "doc"}, func() ([][]any, error) { return docRows(b.Contacts) }},
			{"identities", columnList(identityColumns), func() ([][]any, error) {
				return copyRows(b.Identities, func(i *omnichannel.Identity) ([]any, error) { return identityArgs(i), nil })
			}},
			{"conversations", append(columnList(conversationColumns), "contact_name_folded"), func() ([][]any, error) {
				return copyRows(b.Conversations, func(c *omnichannel.Conversation) ([]any, error) { return conversationArgs(c), nil })
			}},
			{"messages", columnList(messageColumns), func() ([][]any, error) { return copyRows(b.Messages, messageArgs) }},
			{"read_states", columnList(readStateColumns), func() ([][]any, error) {
				return copyRows(b.ReadStates, func(r *omnichannel.ReadState) ([]any, error) {
					return []any{r.WorkspaceID, r.UserID, r.ConversationID, r.InboundCount, r.Seq, r.ReadAt}, nil
				})
			}},
		} {
			rows, err := step.rows()
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{step.table}, step.columns, pgx.CopyFromRows(rows)); err != nil {
				if isUniqueViolation(err) {
					return duplicate(step.table[:len(step.table)-1], "in the bulk already stored")
				}
				return fmt.Errorf("postgres: bulk load of %s: %w", step.table, err)
			}
		}
		return nil
	})
	return err
}

// docRows are the (workspace_id, id, doc) rows of contacts.
func docRows(contacts []*omnichannel.Contact) ([][]any, error) {
	return copyRows(contacts, func(c *omnichannel.Contact) ([]any, error) {
		doc, err := jsonArg(c)
		if err != nil {
			return nil, err
		}
		return []any{c.WorkspaceID, c.ID, doc}, nil
	})
}

func copyRows[T any](records []T, args func(T) ([]any, error)) ([][]any, error) {
	out := make([][]any, 0, len(records))
	for _, r := range records {
		a, err := args(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// columnList splits a column list constant into names.
func columnList(columns string) []string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c)
	}
	return cols
}
