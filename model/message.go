package model

import "time"

// Direction says who wrote a thread entry.
type Direction string

// Directions of thread entries.
const (
	// DirectionIn is a message from the customer.
	DirectionIn Direction = "in"
	// DirectionOut is a message from the business (an agent, or the provider's own console).
	DirectionOut Direction = "out"
	// DirectionSystem is an activity entry: assignment, done, reopen, category change, …
	DirectionSystem Direction = "system"
)

// MessageType is the content kind of a message.
type MessageType string

// Message types. Adapters map provider types onto these; anything else becomes MessageOther with
// a readable text.
const (
	MessageText     MessageType = "text"
	MessageImage    MessageType = "image"
	MessageFile     MessageType = "file"
	MessageAudio    MessageType = "audio"
	MessageVideo    MessageType = "video"
	MessageSticker  MessageType = "sticker"
	MessageLink     MessageType = "link"
	MessageLocation MessageType = "location"
	MessageContact  MessageType = "contact"
	MessageActivity MessageType = "activity"
	// MessageInfoRequest is an agent's request for the customer's contact details (Zalo's
	// request_user_info card); it carries no text: the adapter supplies the card's wording.
	MessageInfoRequest MessageType = "info_request"
	MessageOther       MessageType = "other"
)

// MessageStatus is the delivery state of an outgoing message. Inbound messages are StatusReceived.
type MessageStatus string

// Delivery states. They only move forward: pending → sent → delivered → seen, or pending → failed.
const (
	MessagePending   MessageStatus = "pending"
	MessageSending   MessageStatus = "sending"
	MessageSent      MessageStatus = "sent"
	MessageDelivered MessageStatus = "delivered"
	MessageSeen      MessageStatus = "seen"
	MessageFailed    MessageStatus = "failed"
	MessageReceived  MessageStatus = "received"
)

// Rank orders delivery states so updates never move a message backwards.
func (s MessageStatus) Rank() int {
	switch s {
	case MessagePending:
		return 1
	case MessageSending:
		return 2
	case MessageSent:
		return 3
	case MessageDelivered:
		return 4
	case MessageSeen:
		return 5
	case MessageFailed:
		return 6
	}
	return 0
}

// Message is one entry of a conversation's thread.
//
// Seq is assigned by the engine, monotonic per conversation; threads are ordered by Seq, never by
// provider time. (ConnectionID, ProviderMessageID) is unique when ProviderMessageID is set, and
// (ConversationID, IdempotencyKey) is unique when IdempotencyKey is set.
type Message struct {
	WorkspaceID    string
	ID             string
	ConversationID string
	ConnectionID   string
	Seq            int64
	Direction      Direction
	Type           MessageType
	// SenderID is the user id for agent messages, the identity id for customer messages, and "" for
	// messages typed in the provider's own console or activity entries without an actor.
	SenderID   string
	SenderName string
	Text       string
	// Attachments of the message; blobs are kept in the engine's BlobStore.
	Attachments []Attachment
	// QuoteProviderMessageID is the provider id of the message this one replies to, if any.
	QuoteProviderMessageID string
	// TemplateID is the template an agent started from, if any.
	TemplateID        string
	ProviderMessageID string
	IdempotencyKey    string
	Status            MessageStatus
	// FailureCode and FailureReason explain a failed message (provider code and readable English
	// text); FailureReasonCode is its stable reason (the Failure* constants), which interfaces
	// translate. While a send waits for a retry, FailureReason says why and FailureReasonCode
	// gives the reason of that attempt.
	FailureCode       string
	FailureReason     string
	FailureReasonCode string
	Attempts          int
	// Activity is set on DirectionSystem entries.
	Activity *Activity
	// Reactions are the emoji reactions on the message, oldest first, at most one per reactor and
	// emoji. They never make the message unread, never move the conversation in the list and never
	// touch its reply window or reply count.
	Reactions []Reaction
	// ProviderTime is the time the provider reported, informational only.
	ProviderTime time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Reaction is one emoji reaction on a message.
type Reaction struct {
	// Emoji is the reaction as the provider names it, mapped to a Unicode emoji where the adapter
	// knows the mapping ("❤️", "👍"); otherwise the provider's own code, sanitized.
	Emoji string
	// Direction is DirectionIn for the customer's reaction, DirectionOut for the business's.
	Direction Direction
	// By is who reacted: the customer's identity id, an agent's user id, or "" (the provider's own
	// console, or an identity the engine does not have).
	By string
	// At is when the engine recorded the reaction.
	At time.Time
}

// Attachment is a file carried by a message.
type Attachment struct {
	// Kind is MessageImage, MessageFile, MessageAudio, MessageVideo or MessageSticker.
	Kind        MessageType
	Name        string
	ContentType string
	Size        int64
	// BlobKey names the content in the engine's BlobStore once it is kept there.
	BlobKey string
	// RemoteURL is where the provider serves the content (may expire; the engine copies it).
	RemoteURL string
	// ProviderRef is the provider's id for already-uploaded media (attachment_id, token, media id).
	ProviderRef string
}

// ActivityAction names a state change recorded in a conversation.
type ActivityAction string

// Activity actions. Each says what its entry's From and To hold ("" where there is none: no
// previous owner, a cleared value).
const (
	// ActivityOpened: a new conversation; no From or To.
	ActivityOpened ActivityAction = "opened"
	// ActivityAssigned: From is the previous assignee's user id, To the new one's.
	ActivityAssigned ActivityAction = "assigned"
	// ActivityUnassigned: From is the previous assignee's user id, To is "".
	ActivityUnassigned ActivityAction = "unassigned"
	// ActivityClaimed: From is the previous assignee's user id ("": a claim takes an unowned
	// conversation), To the claimer's.
	ActivityClaimed ActivityAction = "claimed"
	// ActivityAwaitingClaim: From is the previous assignee's user id, To is "".
	ActivityAwaitingClaim ActivityAction = "awaiting_claim"
	// ActivityDone: From and To are the statuses (open → done).
	ActivityDone ActivityAction = "done"
	// ActivityReopened: From and To are the statuses (done → open).
	ActivityReopened ActivityAction = "reopened"
	// ActivityCategory: From and To are the previous and new category ids (the chosen node; its
	// ancestors give the path).
	ActivityCategory ActivityAction = "category_changed"
	// ActivityClassification: From and To are the previous and new classification ids.
	ActivityClassification ActivityAction = "classification_changed"
	// ActivityNote: From and To are the previous and new note texts.
	ActivityNote ActivityAction = "note_changed"
	// ActivityLinked: To is the host CRM's customer id.
	ActivityLinked ActivityAction = "contact_linked"
	// ActivityTeam: From and To are the previous and new team ids.
	ActivityTeam ActivityAction = "team_changed"
	// ActivityInfoShared: the customer shared information through the provider (Zalo's
	// user_submit_info). To is the shared phone in E.164 ("" when none was shared) and Detail the
	// shared address as one line ("" when none).
	ActivityInfoShared ActivityAction = "info_shared"
)

// Activity is the who / what / from / to of a state change (the "when" is Message.CreatedAt).
type Activity struct {
	Action ActivityAction
	// ActorID is the user who made the change; "" for the system (routing, a customer message, a
	// connection joining a rule).
	ActorID string
	// From and To are the previous and new values, ids where the value is a user, team, category
	// or classification (the constants of ActivityAction say which).
	From string
	To   string
	// Detail is free text, e.g. the rule that picked an assignee.
	Detail string
}
