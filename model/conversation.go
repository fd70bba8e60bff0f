package model

import "time"

// ConversationStatus is the lifecycle state of a conversation.
type ConversationStatus string

// Conversation statuses. A done conversation reopens when the customer writes again.
const (
	StatusOpen ConversationStatus = "open"
	StatusDone ConversationStatus = "done"
)

// Conversation is one thread between a contact and a connection.
//
// There is at most one conversation per (connection, contact); marking it done and reopening it keeps
// the same row so the whole history stays in one thread. Summary fields (LastMessage*) are
// denormalized so the list never reads the messages table. Version is incremented by every update and
// checked by Tx.UpdateConversation (compare-and-set).
type Conversation struct {
	WorkspaceID  string
	ID           string
	ConnectionID string
	ChannelKind  Kind
	ContactID    string
	// IdentityID is the contact's identity on the connection (the provider user the thread is with).
	IdentityID string
	// ContactName is the customer's display name on this channel (denormalized for list and search).
	ContactName string
	// ContactPhone is the contact's phone in E.164 form, when known (denormalized for search).
	ContactPhone string

	Status ConversationStatus
	// AssigneeID is the user who owns the conversation, "" when nobody does.
	AssigneeID string
	// TeamID is the team the conversation belongs to, "" when none.
	TeamID string
	// RuleID is the assignment rule that distributed the conversation, "" when none.
	RuleID string
	// AwaitingClaim is true while a self-claim rule waits for a user to press "Nhận chat".
	AwaitingClaim bool
	// Claimed is true when the assignee took the conversation by claiming it: only they may reply.
	Claimed bool
	// Historical marks conversations synced from the provider from before the connection existed.
	Historical bool

	// CategoryID is the selected category node (any level; the leaf when the path is complete).
	CategoryID string
	// CategoryPath holds the ids from the root to CategoryID (at most three).
	CategoryPath     []string
	ClassificationID string
	Note             string
	// Referral keeps where the conversation came from (an ad, a post) when the provider says so.
	Referral string

	// LastSeq is the seq of the newest entry of the thread (messages and activity entries).
	LastSeq int64
	// InboundCount counts customer messages; unread = InboundCount − ReadState.InboundCount.
	InboundCount int64
	// RepliesSinceInbound counts agent messages sent since the last customer message
	// (for channels that cap replies inside the reply window).
	RepliesSinceInbound  int
	LastMessageText      string
	LastMessageAt        time.Time
	LastMessageDirection Direction
	// LastInboundAt is the time of the newest customer message (for messaging windows); on
	// channels whose window counts interactions (Capabilities.InteractionsOpenWindow) also the
	// time of a later follow or shared information. Reactions never move it.
	LastInboundAt time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// ReadState records how far a user has read a conversation.
type ReadState struct {
	WorkspaceID    string
	UserID         string
	ConversationID string
	// InboundCount is Conversation.InboundCount at the time the user last read the conversation.
	InboundCount int64
	// Seq is Conversation.LastSeq at the time the user last read the conversation.
	Seq    int64
	ReadAt time.Time
}
