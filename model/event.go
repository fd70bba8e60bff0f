package model

import "time"

// EventKind names an engine event.
type EventKind string

// Engine event kinds, published after the change commits.
const (
	EventConversationOpened  EventKind = "conversation.opened"
	EventConversationUpdated EventKind = "conversation.updated"
	EventMessageCreated      EventKind = "message.created"
	EventMessageUpdated      EventKind = "message.updated"
	EventConnectionUpdated   EventKind = "connection.updated"
	EventReadUpdated         EventKind = "read.updated"
	// EventConversationDeleted: the conversation (ConversationID) and its messages were deleted
	// (Engine.DeleteConversation, or with its contact). Conversation and Message are nil.
	EventConversationDeleted EventKind = "conversation.deleted"
	// EventContactDeleted: the contact (ContactID), its identities and conversations were deleted
	// (each conversation has its own EventConversationDeleted).
	EventContactDeleted EventKind = "contact.deleted"
	// EventWorkspaceDeleted: everything of the workspace was deleted (Engine.DeleteWorkspace); no
	// per-conversation event precedes it.
	EventWorkspaceDeleted EventKind = "workspace.deleted"
	// Administration events (Engine's admin API): the record's id is in Event.RecordID, the
	// user's in UserID too for user events.
	EventUserSaved           EventKind = "user.saved"
	EventUserDeactivated     EventKind = "user.deactivated"
	EventUserRemoved         EventKind = "user.removed"
	EventTeamSaved           EventKind = "team.saved"
	EventTeamDeleted         EventKind = "team.deleted"
	EventRuleSaved           EventKind = "rule.saved"
	EventRuleDeleted         EventKind = "rule.deleted"
	EventTemplateSaved       EventKind = "template.saved"
	EventTemplateDeleted     EventKind = "template.deleted"
	EventCategorySaved       EventKind = "category.saved"
	EventClassificationSaved EventKind = "classification.saved"
	EventWorkspaceSaved      EventKind = "workspace.saved"
	EventWorkspaceSuspended  EventKind = "workspace.suspended"
	EventWorkspaceResumed    EventKind = "workspace.resumed"
)

// EventKinds returns every event kind the engine emits, in a fresh slice (what an outgoing
// webhook endpoint may filter on). A kind added to this package is added here.
func EventKinds() []EventKind {
	return []EventKind{EventConversationOpened, EventConversationUpdated, EventMessageCreated, EventMessageUpdated,
		EventConnectionUpdated, EventReadUpdated, EventConversationDeleted, EventContactDeleted, EventWorkspaceDeleted,
		EventUserSaved, EventUserDeactivated, EventUserRemoved, EventTeamSaved, EventTeamDeleted, EventRuleSaved,
		EventRuleDeleted, EventTemplateSaved, EventTemplateDeleted, EventCategorySaved, EventClassificationSaved,
		EventWorkspaceSaved, EventWorkspaceSuspended, EventWorkspaceResumed, EventWebhookEndpointDisabled}
}

// Deletion reports whether k is the kind of a deletion event, whose subject no longer exists
// (receivers must not re-read it).
func (k EventKind) Deletion() bool {
	return k == EventConversationDeleted || k == EventContactDeleted || k == EventWorkspaceDeleted
}

// Event tells subscribers that something changed. It carries ids and a snapshot taken at commit;
// receivers that need the newest state re-read it.
type Event struct {
	Kind           EventKind
	WorkspaceID    string
	ConversationID string
	MessageID      string
	ConnectionID   string
	// ContactID is the deleted contact of EventContactDeleted, "" otherwise.
	ContactID string
	// UserID is the user concerned (the reader for EventReadUpdated, the acting user for the
	// deletion events), "" otherwise.
	UserID string
	// RecordID is the id of the configuration record an administration event is about (a team,
	// template, category, …), "" for other events.
	RecordID     string
	Conversation *Conversation
	Message      *Message
	At           time.Time
	// EndpointID and Failures describe an outgoing webhook endpoint for
	// EventWebhookEndpointDisabled: the endpoint and how many deliveries failed in a row.
	EndpointID string
	Failures   int
}
