package inboxapi

import (
	"net/http"

	"github.com/dakenh/dakenh/omnichannel"
)

// deleteConversation serves DELETE /conversations/{id}: the conversation, its messages and blobs
// are deleted for good (supervisors; omnichannel.Engine.DeleteConversation).
func (h *handler) deleteConversation(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeleteConversation(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

// deleteContact serves DELETE /contacts/{id}: the customer, their identities and conversations
// are deleted for good (supervisors; omnichannel.Engine.DeleteContact).
func (h *handler) deleteContact(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeleteContact(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

// deleteWorkspace serves DELETE /workspace: everything of the user's workspace is deleted for
// good, the user included (supervisors; omnichannel.Engine.DeleteWorkspace).
func (h *handler) deleteWorkspace(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeleteWorkspace(r.Context(), u.WorkspaceID, u.ID))
}
