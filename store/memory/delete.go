package memory

import (
	"slices"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// DeleteConversation removes the conversation, its messages, read states and jobs, and returns
// its messages' blob keys; ErrNotFound when absent.
func (t *txn) DeleteConversation(workspaceID, id string) ([]string, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	if _, ok := t.ws(workspaceID).conversations[id]; !ok {
		return nil, notFound("conversation", id)
	}
	return t.deleteConversation(t.ws(workspaceID), workspaceID, id), nil
}

// deleteConversation removes conversation id of w (which holds it) and what hangs off it.
func (t *txn) deleteConversation(w *workspace, workspaceID, id string) []string {
	c := w.conversations[id]
	var keys []string
	for mid, m := range w.messages {
		if m.ConversationID != id {
			continue
		}
		keys = append(keys, blobKeys(m)...)
		del(t, w.msgByProvider, providerKey(m))
		del(t, w.msgByKey, idempotencyKey(m))
		del(t, w.messages, mid)
	}
	for k := range w.readStates {
		if k.b == id {
			del(t, w.readStates, k)
		}
	}
	t.deleteJobs(func(j *omnichannel.Job) bool { return j.WorkspaceID == workspaceID && j.ConversationID == id })
	del(t, w.threads, pair{c.ConnectionID, c.IdentityID})
	del(t, w.conversations, id)
	slices.Sort(keys)
	return keys
}

// deleteJobs removes the jobs that match.
func (t *txn) deleteJobs(match func(j *omnichannel.Job) bool) {
	for id, j := range t.s.d.jobs {
		if match(j) {
			del(t, t.s.d.jobs, id)
		}
	}
}

// blobKeys returns the non-empty blob keys of m's attachments.
func blobKeys(m *omnichannel.Message) []string {
	var keys []string
	for _, a := range m.Attachments {
		if a.BlobKey != "" {
			keys = append(keys, a.BlobKey)
		}
	}
	return keys
}

// DeleteContact removes the contact, its identities, their conversations and the jobs about them.
func (t *txn) DeleteContact(workspaceID, id string) ([]string, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	w := t.ws(workspaceID)
	if _, ok := w.contacts[id]; !ok {
		return nil, notFound("contact", id)
	}
	identities := map[string]bool{}
	for iid, i := range w.identities {
		if i.ContactID == id {
			identities[iid] = true
		}
	}
	var keys []string
	for cid, c := range w.conversations {
		if c.ContactID == id || identities[c.IdentityID] {
			keys = append(keys, t.deleteConversation(w, workspaceID, cid)...)
		}
	}
	t.deleteJobs(func(j *omnichannel.Job) bool {
		return j.WorkspaceID == workspaceID && (j.Payload["contact"] == id || identities[j.Payload["identity"]])
	})
	for iid := range identities {
		i := w.identities[iid]
		del(t, w.identityByUser, pair{i.ConnectionID, i.ExternalUserID})
		del(t, w.identities, iid)
	}
	del(t, w.contacts, id)
	slices.Sort(keys)
	return keys, nil
}

// DeleteWorkspaceData removes up to limit conversations, then the rest of the workspace.
func (t *txn) DeleteWorkspaceData(workspaceID string, limit int) ([]string, bool, error) {
	if err := t.writing(); err != nil {
		return nil, false, err
	}
	w := t.ws(workspaceID)
	ids := make([]string, 0, len(w.conversations))
	for id := range w.conversations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var keys []string
	for _, id := range ids[:min(len(ids), max(limit, 1))] {
		keys = append(keys, t.deleteConversation(w, workspaceID, id)...)
	}
	if len(ids) > max(limit, 1) {
		return keys, false, nil
	}
	conns := map[string]bool{}
	for id, c := range t.s.d.connections {
		if c.WorkspaceID == workspaceID {
			conns[id] = true
			del(t, t.s.d.connections, id)
		}
	}
	for key := range t.s.d.leases {
		if _, connID, ok := strings.Cut(key, ":"); (ok && conns[connID]) || strings.HasPrefix(key, "webhook:"+workspaceID+"/") {
			del(t, t.s.d.leases, key)
		}
	}
	t.deleteJobs(func(j *omnichannel.Job) bool { return j.WorkspaceID == workspaceID })
	for state, s := range t.s.d.oauth {
		if s.WorkspaceID == workspaceID {
			del(t, t.s.d.oauth, state)
		}
	}
	del(t, t.s.d.workspaces, workspaceID)
	del(t, t.s.d.records, workspaceID)
	return keys, true, nil
}
