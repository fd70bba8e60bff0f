package omnichannel

import (
	"context"

	"github.com/dakenh/dakenh/store"
)

// WorkspaceReader reads the records of one workspace inside one read transaction (ReadWorkspace,
// ReadAs). It cannot write, and cannot reach another workspace: every method is scoped to the
// workspace it was opened on. It must not be used after the function it was given to returns.
// Get-style methods return an error wrapping ErrNotFound when nothing matches.
type WorkspaceReader struct {
	ctx context.Context
	tx  Tx
	ws  string
}

// ReadWorkspace runs fn with a reader of workspaceID's records, in one read transaction. It checks
// nobody's rights: it serves hosts and interfaces that decide what to show themselves (inboxapi
// uses ReadAs for requests, ReadWorkspace for the event streams' shared work).
func (e *Engine) ReadWorkspace(ctx context.Context, workspaceID string, fn func(r *WorkspaceReader) error) error {
	return e.view(ctx, func(tx Tx) error {
		return fn(&WorkspaceReader{ctx: ctx, tx: tx, ws: workspaceID})
	})
}

// ReadAs is ReadWorkspace for a signed-in user: it first checks that userID is an active user of
// the workspace and that the workspace is not suspended (a ForbiddenError with code
// DenyUnknownUser, DenyUserInactive or DenyWorkspaceSuspended otherwise), the check every agent
// request starts with.
func (e *Engine) ReadAs(ctx context.Context, workspaceID, userID string, fn func(r *WorkspaceReader) error) error {
	return e.view(ctx, func(tx Tx) error {
		u, err := tx.GetUser(workspaceID, userID)
		if isNotFound(err) {
			return &ForbiddenError{Action: ActionView, UserID: userID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
		}
		if err != nil {
			return err
		}
		if !u.Active {
			return &ForbiddenError{Action: ActionView, UserID: userID, Code: DenyUserInactive, Reason: "the user is deactivated"}
		}
		if err := checkNotSuspended(tx, workspaceID, ActionView, userID); err != nil {
			return err
		}
		return fn(&WorkspaceReader{ctx: ctx, tx: tx, ws: workspaceID})
	})
}

// WorkspaceID is the workspace the reader reads.
func (r *WorkspaceReader) WorkspaceID() string { return r.ws }

// User returns a user, with TeamIDs derived from the teams' members.
func (r *WorkspaceReader) User(id string) (*User, error) {
	u, err := r.tx.GetUser(r.ws, id)
	if err != nil {
		return nil, err
	}
	teams, err := r.tx.ListTeams(r.ws)
	if err != nil {
		return nil, err
	}
	withTeams([]*User{u}, teams)
	return u, nil
}

// Users returns the workspace's users ordered by id, each with TeamIDs derived from the teams'
// members (Team.MemberIDs is the one source of membership).
func (r *WorkspaceReader) Users() ([]*User, error) {
	users, err := r.tx.ListUsers(r.ws)
	if err != nil {
		return nil, err
	}
	teams, err := r.tx.ListTeams(r.ws)
	if err != nil {
		return nil, err
	}
	withTeams(users, teams)
	return users, nil
}

// withTeams sets each user's TeamIDs to the ids of the teams listing her, in the teams' order.
func withTeams(users []*User, teams []*Team) {
	for _, u := range users {
		u.TeamIDs = nil
		for _, t := range teams {
			if contains(t.MemberIDs, u.ID) {
				u.TeamIDs = append(u.TeamIDs, t.ID)
			}
		}
	}
}

// Team returns a team.
func (r *WorkspaceReader) Team(id string) (*Team, error) { return r.tx.GetTeam(r.ws, id) }

// Teams returns the workspace's teams ordered by id.
func (r *WorkspaceReader) Teams() ([]*Team, error) { return r.tx.ListTeams(r.ws) }

// Rule returns an assignment rule.
func (r *WorkspaceReader) Rule(id string) (*Rule, error) { return r.tx.GetRule(r.ws, id) }

// Rules returns the workspace's assignment rules ordered by id.
func (r *WorkspaceReader) Rules() ([]*Rule, error) { return r.tx.ListRules(r.ws) }

// Templates returns the workspace's stored templates ordered by id.
func (r *WorkspaceReader) Templates() ([]*Template, error) { return r.tx.ListTemplates(r.ws) }

// Template returns a stored template.
func (r *WorkspaceReader) Template(id string) (*Template, error) { return r.tx.GetTemplate(r.ws, id) }

// Categories returns the workspace's category nodes ordered by id.
func (r *WorkspaceReader) Categories() ([]*Category, error) { return r.tx.ListCategories(r.ws) }

// Category returns a category node.
func (r *WorkspaceReader) Category(id string) (*Category, error) { return r.tx.GetCategory(r.ws, id) }

// Classification returns a conversation class.
func (r *WorkspaceReader) Classification(id string) (*Classification, error) {
	return r.tx.GetClassification(r.ws, id)
}

// Classifications returns the workspace's classes ordered by id.
func (r *WorkspaceReader) Classifications() ([]*Classification, error) {
	return r.tx.ListClassifications(r.ws)
}

// Connection returns a connection of the workspace.
func (r *WorkspaceReader) Connection(id string) (*Connection, error) {
	return r.tx.GetConnection(r.ws, id)
}

// Conversation returns a conversation, whoever may see it (the caller decides: Engine.Visible).
func (r *WorkspaceReader) Conversation(id string) (*Conversation, error) {
	return r.tx.GetConversation(r.ws, id)
}

// Message returns a message or activity entry.
func (r *WorkspaceReader) Message(id string) (*Message, error) { return r.tx.GetMessage(r.ws, id) }

// MessageByProviderID returns the message the provider knows by providerMessageID on a connection.
func (r *WorkspaceReader) MessageByProviderID(connectionID, providerMessageID string) (*Message, error) {
	return r.tx.FindMessageByProviderID(r.ws, connectionID, providerMessageID)
}

// Identity returns a customer identity.
func (r *WorkspaceReader) Identity(id string) (*Identity, error) { return r.tx.GetIdentity(r.ws, id) }

// Contact returns a customer.
func (r *WorkspaceReader) Contact(id string) (*Contact, error) { return r.tx.GetContact(r.ws, id) }

// ReadState returns how far userID has read a conversation.
func (r *WorkspaceReader) ReadState(userID, conversationID string) (*ReadState, error) {
	return r.tx.GetReadState(r.ws, userID, conversationID)
}

// ReadPositions returns the users' positions in a conversation (its InboundCount at their last
// read; 0 for a user who never read it), read in one batch.
func (r *WorkspaceReader) ReadPositions(conversationID string, userIDs []string) (map[string]int64, error) {
	rp := &store.ReadPositionsRead{WorkspaceID: r.ws, UserIDs: userIDs, ConversationIDs: []string{conversationID}}
	if err := r.tx.ReadBatch(r.ctx, rp); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(userIDs))
	for _, id := range userIDs {
		out[id] = rp.Positions[store.ReadPosition{UserID: id, ConversationID: conversationID}]
	}
	return out, nil
}
