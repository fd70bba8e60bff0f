package model

import (
	"encoding/json"
	"time"
)

// FeedEntry is one event of the durable event feed (store.FeedTx): what a committed change did,
// recorded in the same transaction as the change, so that an entry exists if and only if its
// change committed. Entries of a store are numbered by Position in commit order: a reader that has
// seen every entry up to position N never later finds a new entry at a position ≤ N. Positions
// are unique in a store, increase, and may have gaps (a rolled-back transaction's, a pruned or
// deleted entry's).
type FeedEntry struct {
	// Position is the entry's place in the store's feed, assigned by the store (0 before).
	Position    int64
	WorkspaceID string
	Kind        EventKind
	// ConversationID, MessageID, ConnectionID and UserID are the ids the event names ("" when it
	// names none), as in Event.
	ConversationID string
	MessageID      string
	ConnectionID   string
	UserID         string
	// At is when the engine made the change (its Config.Now).
	At time.Time
	// Data is a compact JSON snapshot of the change, a FeedData object, or nil. It never holds
	// message text, names or secrets.
	Data json.RawMessage
}

// FeedData is the JSON snapshot of a FeedEntry's Data: enough for a host to update its own
// records without re-reading the inbox in the common cases. Fields that do not apply to the
// entry's kind are left out.
type FeedData struct {
	// Conversation events (conversation.opened, conversation.updated).
	Status     ConversationStatus `json:"status,omitempty"`
	AssigneeID string             `json:"assignee_id,omitempty"`
	TeamID     string             `json:"team_id,omitempty"`
	ContactID  string             `json:"contact_id,omitempty"`
	Channel    Kind               `json:"channel,omitempty"`
	// Message events (message.created, message.updated).
	Direction     Direction     `json:"direction,omitempty"`
	MessageType   MessageType   `json:"type,omitempty"`
	MessageStatus MessageStatus `json:"message_status,omitempty"`
	// Seq is the message's place in its conversation.
	Seq int64 `json:"seq,omitempty"`
	// TextLength is the message text's length in characters (the text itself is not copied).
	TextLength  int `json:"text_length,omitempty"`
	Attachments int `json:"attachments,omitempty"`
	// Webhook endpoint events (webhook_endpoint.disabled).
	EndpointID string `json:"endpoint_id,omitempty"`
	Failures   int    `json:"failures,omitempty"`
	// RecordID is the configuration record an administration event is about (the team, rule,
	// template, category, classification, user or workspace; Event.RecordID). ContactID above is
	// also the deleted contact of contact.deleted.
	RecordID string `json:"record_id,omitempty"`
}
