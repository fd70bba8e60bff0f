package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dakenh/dakenh/model"
)

// BatchReader is the one way the engine reads several things at once: it describes each lookup as
// a Read and hands them over together, so a networked store can answer them in one round trip
// (store/postgres sends them as one pipelined batch) and an in-process store simply runs them in
// turn. Every Tx has it; a store without a faster way implements it with ReadSequentially.
type BatchReader interface {
	// ReadBatch performs every read of reads within the transaction and fills in their results. A
	// store may perform them in any order and at once; what one read finds never depends on
	// another's. A row that does not exist is a nil (or empty) result, not an error; an error is a
	// failure of the store, after which the results are undefined. A store answers the kinds it
	// knows natively and any other Read with its Sequential method.
	ReadBatch(ctx context.Context, reads ...Read) error
}

// Read is one lookup of a batch: its fields say what to read, and its result fields are filled in
// by ReadBatch. The kinds in this package are those the engine uses.
type Read interface {
	// Sequential performs the read with tx's single-row methods: the default any store may use.
	Sequential(ctx context.Context, tx Tx) error
}

// ReadSequentially performs reads one after the other through their Sequential methods: the
// default implementation of BatchReader.ReadBatch.
func ReadSequentially(ctx context.Context, tx Tx, reads []Read) error {
	for _, r := range reads {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.Sequential(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// IgnoreNotFound turns an error wrapping model.ErrNotFound into a nil result and no error: how a
// Read reports a row that does not exist.
func IgnoreNotFound[T any](v *T, err error) (*T, error) {
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// UserRead reads one user; User is nil when the workspace has no such user.
type UserRead struct {
	WorkspaceID, UserID string
	User                *model.User
}

// Sequential implements Read with Tx.GetUser.
func (r *UserRead) Sequential(_ context.Context, tx Tx) (err error) {
	r.User, err = IgnoreNotFound(tx.GetUser(r.WorkspaceID, r.UserID))
	return err
}

// UsersRead reads several users of a workspace: Users holds those that exist, in the order of
// UserIDs, each once.
type UsersRead struct {
	WorkspaceID string
	UserIDs     []string
	Users       []*model.User
}

// Sequential implements Read with Tx.GetUser for each id.
func (r *UsersRead) Sequential(_ context.Context, tx Tx) error {
	r.Users = nil
	seen := make(map[string]bool, len(r.UserIDs))
	for _, id := range r.UserIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		u, err := IgnoreNotFound(tx.GetUser(r.WorkspaceID, id))
		if err != nil {
			return err
		}
		if u != nil {
			r.Users = append(r.Users, u)
		}
	}
	return nil
}

// InIDOrder returns users in the order of ids, each once, leaving out the ids no user has: how a
// store that reads UsersRead in one query orders its result.
func InIDOrder(users []*model.User, ids []string) []*model.User {
	byID := make(map[string]*model.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]*model.User, 0, len(users))
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out = append(out, u)
			delete(byID, id)
		}
	}
	return out
}

// ConnectionsRead reads every connection of a workspace, ordered by id. A store may leave their
// Credentials empty: the engine reads them this way for visibility and authorization only, never
// to call a provider.
type ConnectionsRead struct {
	WorkspaceID string
	Connections []*model.Connection
}

// Sequential implements Read with Tx.ListConnections.
func (r *ConnectionsRead) Sequential(_ context.Context, tx Tx) (err error) {
	r.Connections, err = tx.ListConnections(r.WorkspaceID)
	return err
}

// ConversationContextRead reads a conversation together with what governs it: its connection and,
// when it has one, its rule. Conversation is nil when there is no such conversation (and then so
// are the others); Connection or Rule is nil when its row is missing or, for Rule, when the
// conversation has no RuleID. A store may leave the connection's Credentials empty (a claim or an
// authorization check never uses them).
type ConversationContextRead struct {
	WorkspaceID, ConversationID string
	Conversation                *model.Conversation
	Connection                  *model.Connection
	Rule                        *model.Rule
}

// Sequential implements Read with Tx.GetConversation, Tx.GetConnection and Tx.GetRule.
func (r *ConversationContextRead) Sequential(_ context.Context, tx Tx) (err error) {
	r.Conversation, r.Connection, r.Rule = nil, nil, nil
	if r.Conversation, err = IgnoreNotFound(tx.GetConversation(r.WorkspaceID, r.ConversationID)); err != nil || r.Conversation == nil {
		return err
	}
	if r.Connection, err = IgnoreNotFound(tx.GetConnection(r.WorkspaceID, r.Conversation.ConnectionID)); err != nil {
		return err
	}
	if r.Conversation.RuleID != "" {
		r.Rule, err = IgnoreNotFound(tx.GetRule(r.WorkspaceID, r.Conversation.RuleID))
	}
	return err
}

// CustomerThreadRead reads the identity of a provider's user on a connection and that identity's
// conversation on the connection: what an inbound message needs to find its thread. Identity is nil
// when the user is new to the connection; Conversation is nil when the identity has no conversation
// there.
type CustomerThreadRead struct {
	WorkspaceID, ConnectionID, ExternalUserID string
	Identity                                  *model.Identity
	Conversation                              *model.Conversation
}

// Sequential implements Read with Tx.FindIdentity and Tx.FindConversation.
func (r *CustomerThreadRead) Sequential(_ context.Context, tx Tx) (err error) {
	r.Conversation = nil
	if r.Identity, err = IgnoreNotFound(tx.FindIdentity(r.WorkspaceID, r.ConnectionID, r.ExternalUserID)); err != nil || r.Identity == nil {
		return err
	}
	r.Conversation, err = IgnoreNotFound(tx.FindConversation(r.WorkspaceID, r.ConnectionID, r.Identity.ID))
	return err
}

// ProviderMessageRead reports whether a connection already holds the message with a provider's
// message id (a redelivered webhook). An empty ProviderMessageID is never found.
type ProviderMessageRead struct {
	WorkspaceID, ConnectionID, ProviderMessageID string
	Exists                                       bool
}

// Sequential implements Read with Tx.FindMessageByProviderID.
func (r *ProviderMessageRead) Sequential(_ context.Context, tx Tx) error {
	r.Exists = false
	if r.ProviderMessageID == "" {
		return nil
	}
	m, err := IgnoreNotFound(tx.FindMessageByProviderID(r.WorkspaceID, r.ConnectionID, r.ProviderMessageID))
	r.Exists = m != nil
	return err
}

// UnreadByConnectionRead counts, for each connection of the workspace, the conversations whose
// customer messages the user has not all read: the inbox badge of a list that filters by
// connection only. Counts has an entry for every connection with a count above 0 (a store that
// keeps counters may also list connections deleted since).
type UnreadByConnectionRead struct {
	WorkspaceID, UserID string
	Counts              map[string]int
}

// Sequential implements Read with Tx.ListConnections and one Tx.CountUnread per connection.
func (r *UnreadByConnectionRead) Sequential(_ context.Context, tx Tx) error {
	r.Counts = map[string]int{}
	conns, err := tx.ListConnections(r.WorkspaceID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		n, err := tx.CountUnread(model.ConversationQuery{WorkspaceID: r.WorkspaceID, ViewerID: r.UserID,
			ConnectionIDs: []string{c.ID}})
		if err != nil {
			return fmt.Errorf("unread of connection %s: %w", c.ID, err)
		}
		if n > 0 {
			r.Counts[c.ID] = n
		}
	}
	return nil
}

// ReadPosition names one user's read state of one conversation.
type ReadPosition struct {
	UserID, ConversationID string
}

// ReadPositionsRead reads how far each of UserIDs has read each of ConversationIDs (every pair):
// Positions maps a pair to ReadState.InboundCount, and has no entry for a pair without a read state
// (a user who never read the conversation, whose position is 0). The list of one viewer's page and
// the event stream of many viewers of one conversation read this way.
type ReadPositionsRead struct {
	WorkspaceID     string
	UserIDs         []string
	ConversationIDs []string
	Positions       map[ReadPosition]int64
}

// Sequential implements Read with one Tx.GetReadState per pair.
func (r *ReadPositionsRead) Sequential(_ context.Context, tx Tx) error {
	r.Positions = make(map[ReadPosition]int64, len(r.UserIDs)*len(r.ConversationIDs))
	for _, u := range r.UserIDs {
		for _, c := range r.ConversationIDs {
			rs, err := IgnoreNotFound(tx.GetReadState(r.WorkspaceID, u, c))
			if err != nil {
				return err
			}
			if rs != nil {
				r.Positions[ReadPosition{UserID: u, ConversationID: c}] = rs.InboundCount
			}
		}
	}
	return nil
}
