package memory

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.BulkLoader = (*Store)(nil)

// BulkLoad imports b under the write lock without the per-call undo log of Update: it first checks
// every record against the store and against the rest of b, then stores copies of all of them. It
// is all or nothing: a record whose id or unique key (identity (ConnectionID, ExternalUserID),
// conversation (ConnectionID, IdentityID), message provider id or idempotency key) already exists
// returns an error wrapping omnichannel.ErrDuplicate and stores nothing. Read states replace the
// stored ones, as PutReadState does. Unread counts need no maintenance: the memory store computes
// them when asked.
func (s *Store) BulkLoad(ctx context.Context, b *omnichannel.Bulk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.checkBulk(b); err != nil {
		return err
	}
	s.applyBulk(b)
	return nil
}

// bulkKeys holds the unique keys a Bulk claims, per workspace, while it is checked.
type bulkKeys struct {
	identities, conversations, messages map[wsKey]bool
	identityByUser, threads             map[wsPair]bool
	msgByProvider, msgByKey             map[wsPair]bool
}

type wsKey struct{ ws, id string }

type wsPair struct {
	ws string
	p  pair
}

// checkBulk reports the first record of b that would break a unique key, nil when none does.
func (s *Store) checkBulk(b *omnichannel.Bulk) error {
	k := bulkKeys{identities: map[wsKey]bool{}, conversations: map[wsKey]bool{}, messages: map[wsKey]bool{},
		identityByUser: map[wsPair]bool{}, threads: map[wsPair]bool{}, msgByProvider: map[wsPair]bool{},
		msgByKey: map[wsPair]bool{}}
	w := func(id string) *workspace {
		if ws, ok := s.d.workspaces[id]; ok {
			return ws
		}
		return emptyWorkspace
	}
	// claim reports whether key is already taken (in the store or earlier in b) and takes it.
	claim := func(seen map[wsPair]bool, stored map[pair]string, ws string, key pair) bool {
		_, inStore := stored[key]
		k := wsPair{ws, key}
		taken := inStore || seen[k]
		seen[k] = true
		return taken
	}
	claimID := func(seen map[wsKey]bool, inStore bool, ws, id string) bool {
		k := wsKey{ws, id}
		taken := inStore || seen[k]
		seen[k] = true
		return taken
	}
	for _, i := range b.Identities {
		r := w(i.WorkspaceID)
		_, had := r.identities[i.ID]
		if claimID(k.identities, had, i.WorkspaceID, i.ID) {
			return duplicate("identity", fmt.Sprintf("id %q", i.ID))
		}
		if claim(k.identityByUser, r.identityByUser, i.WorkspaceID, pair{i.ConnectionID, i.ExternalUserID}) {
			return duplicate("identity", fmt.Sprintf("for user %q on connection %q", i.ExternalUserID, i.ConnectionID))
		}
	}
	for _, c := range b.Conversations {
		r := w(c.WorkspaceID)
		_, had := r.conversations[c.ID]
		if claimID(k.conversations, had, c.WorkspaceID, c.ID) {
			return duplicate("conversation", fmt.Sprintf("id %q", c.ID))
		}
		if claim(k.threads, r.threads, c.WorkspaceID, pair{c.ConnectionID, c.IdentityID}) {
			return duplicate("conversation", fmt.Sprintf("for identity %q on connection %q", c.IdentityID, c.ConnectionID))
		}
	}
	for _, m := range b.Messages {
		r := w(m.WorkspaceID)
		_, had := r.messages[m.ID]
		if claimID(k.messages, had, m.WorkspaceID, m.ID) {
			return duplicate("message", fmt.Sprintf("id %q", m.ID))
		}
		if pk := providerKey(m); pk != (pair{}) && claim(k.msgByProvider, r.msgByProvider, m.WorkspaceID, pk) {
			return duplicate("message", fmt.Sprintf("provider id %q on connection %q", m.ProviderMessageID, m.ConnectionID))
		}
		if ik := idempotencyKey(m); ik != (pair{}) && claim(k.msgByKey, r.msgByKey, m.WorkspaceID, ik) {
			return duplicate("message", fmt.Sprintf("idempotency key %q in conversation %q", m.IdempotencyKey, m.ConversationID))
		}
	}
	return nil
}

// applyBulk stores copies of b's records and their index entries; checkBulk has passed.
func (s *Store) applyBulk(b *omnichannel.Bulk) {
	ws := func(id string) *workspace {
		w, ok := s.d.workspaces[id]
		if !ok {
			w = newWorkspace()
			s.d.workspaces[id] = w
		}
		return w
	}
	for _, c := range b.Contacts {
		ws(c.WorkspaceID).contacts[c.ID] = cloneContact(c)
	}
	for _, i := range b.Identities {
		w := ws(i.WorkspaceID)
		w.identities[i.ID] = cloneIdentity(i)
		w.identityByUser[pair{i.ConnectionID, i.ExternalUserID}] = i.ID
	}
	for _, c := range b.Conversations {
		w := ws(c.WorkspaceID)
		w.conversations[c.ID] = c.Clone()
		w.threads[pair{c.ConnectionID, c.IdentityID}] = c.ID
	}
	for _, m := range b.Messages {
		w := ws(m.WorkspaceID)
		w.messages[m.ID] = m.Clone()
		if pk := providerKey(m); pk != (pair{}) {
			w.msgByProvider[pk] = m.ID
		}
		if ik := idempotencyKey(m); ik != (pair{}) {
			w.msgByKey[ik] = m.ID
		}
	}
	for _, r := range b.ReadStates {
		ws(r.WorkspaceID).readStates[pair{r.UserID, r.ConversationID}] = cloneReadState(r)
	}
}
