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
	UserID       string
	Conversation *Conversation
	Message      *Message
	At           time.Time
	// EndpointID and Failures describe an outgoing webhook endpoint for
	// EventWebhookEndpointDisabled: the endpoint and how many deliveries failed in a row.
	EndpointID string
	Failures   int
}
