package memory

import (
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

// InsertConversation refuses an existing id or an existing (ConnectionID, IdentityID) thread with
// ErrDuplicate.
func (t *txn) InsertConversation(c *omnichannel.Conversation) error {
	if err := t.writing(); err != nil {
		return err
	}
	r := t.ws(c.WorkspaceID)
	if _, ok := r.conversations[c.ID]; ok {
		return duplicate("conversation", fmt.Sprintf("id %q", c.ID))
	}
	key := pair{c.ConnectionID, c.IdentityID}
	if _, ok := r.threads[key]; ok {
		return duplicate("conversation", fmt.Sprintf("for identity %q on connection %q", c.IdentityID, c.ConnectionID))
	}
	w := t.wsw(c.WorkspaceID)
	set(t, w.threads, key, c.ID)
	set(t, w.conversations, c.ID, c.Clone())
	return nil
}

func (t *txn) GetConversation(workspaceID, id string) (*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).conversations, "conversation", id, (*omnichannel.Conversation).Clone)
}

func (t *txn) FindConversation(workspaceID, connectionID, identityID string) (*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	w := t.ws(workspaceID)
	id, ok := w.threads[pair{connectionID, identityID}]
	if !ok {
		return nil, notFound("conversation", connectionID+"/"+identityID)
	}
	return w.conversations[id].Clone(), nil
}

// UpdateConversation replaces the conversation when its stored Version equals c.Version, then
// increments Version in the store and in c. A missing conversation is ErrNotFound, a version mismatch
// ErrConflict, and moving it onto another conversation's (ConnectionID, IdentityID) ErrDuplicate.
func (t *txn) UpdateConversation(c *omnichannel.Conversation) error {
	if err := t.writing(); err != nil {
		return err
	}
	r := t.ws(c.WorkspaceID)
	old, ok := r.conversations[c.ID]
	if !ok {
		return notFound("conversation", c.ID)
	}
	if old.Version != c.Version {
		return conflict("conversation", c.ID, c.Version, old.Version)
	}
	key := pair{c.ConnectionID, c.IdentityID}
	if holder, ok := r.threads[key]; ok && holder != c.ID {
		return duplicate("conversation", fmt.Sprintf("for identity %q on connection %q", c.IdentityID, c.ConnectionID))
	}
	w := t.wsw(c.WorkspaceID)
	del(t, w.threads, pair{old.ConnectionID, old.IdentityID})
	set(t, w.threads, key, c.ID)
	n := c.Clone()
	n.Version++
	set(t, w.conversations, c.ID, n)
	c.Version++
	return nil
}

// CountOpenAssigned returns a count for every user in userIDs (zero included).
func (t *txn) CountOpenAssigned(workspaceID string, userIDs []string) (map[string]int, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(userIDs))
	for _, id := range userIDs {
		counts[id] = 0
	}
	for _, c := range t.ws(workspaceID).conversations {
		if c.Status != omnichannel.StatusOpen || c.AssigneeID == "" {
			continue
		}
		if _, ok := counts[c.AssigneeID]; ok {
			counts[c.AssigneeID]++
		}
	}
	return counts, nil
}

func (t *txn) GetReadState(workspaceID, userID, conversationID string) (*omnichannel.ReadState, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	r, ok := t.ws(workspaceID).readStates[pair{userID, conversationID}]
	if !ok {
		return nil, notFound("read state", userID+"/"+conversationID)
	}
	return cloneReadState(r), nil
}

// PutReadState inserts or replaces the read state of (UserID, ConversationID).
func (t *txn) PutReadState(r *omnichannel.ReadState) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(r.WorkspaceID).readStates, pair{r.UserID, r.ConversationID}, cloneReadState(r))
	return nil
}
