package store

// DeleteTx removes customer data (data-protection requests) and whole workspaces. Each method
// removes the rows it names and everything the store derives from them (unread counters, list
// counts, search entries), so that counts and lists stay exact afterwards, and returns the
// BlobKeys of the attachments of the messages it removed: the caller deletes those blobs once the
// transaction has committed. Nothing outside the workspace is touched.
type DeleteTx interface {
	// DeleteConversation removes the conversation, its messages and activity entries, every
	// user's read state of it, and the jobs whose ConversationID is it. ErrNotFound when absent.
	DeleteConversation(workspaceID, id string) (blobKeys []string, err error)
	// DeleteContact removes the contact, its identities, every conversation of the contact or of
	// its identities (as DeleteConversation), and the jobs about the contact or its identities
	// (Payload "contact" or "identity"). ErrNotFound when the contact is absent.
	DeleteContact(workspaceID, id string) (blobKeys []string, err error)
	// DeleteWorkspaceData removes up to limit (≥ 1) conversations of the workspace (as
	// DeleteConversation), so that a large workspace is removed over many short transactions.
	// Once no conversation is left, the same call removes everything else of the workspace:
	// connections (with their credentials), contacts, identities, users, teams, rules, templates,
	// categories, classifications, rotation counters, list and unread counters, jobs, OAuth states
	// and the leases named after its connections, and reports done. Calling it again after done
	// finds nothing and reports done: a delete interrupted at any point resumes by calling it
	// until done.
	DeleteWorkspaceData(workspaceID string, limit int) (blobKeys []string, done bool, err error)
}
