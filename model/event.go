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

// Event tells subscribers that something changed. It carries ids and a snapshot taken at commit;
// receivers that need the newest state re-read it.
type Event struct {
	Kind           EventKind
	WorkspaceID    string
	ConversationID string
	MessageID      string
	ConnectionID   string
	// UserID is the user concerned (the reader for EventReadUpdated), "" otherwise.
	UserID string
	// RecordID is the id of the configuration record an administration event is about (a team,
	// template, category, …), "" for other events.
	RecordID     string
	Conversation *Conversation
	Message      *Message
	At           time.Time
}
