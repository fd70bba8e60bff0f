package inboxapi

// This file holds the JSON wire types of the API: every request and response body. Field names are
// camelCase, times are RFC 3339 strings (UTC, "" or absent when unknown), ids are strings. The
// structs are stable: new fields may be added, existing ones are never renamed.

// User is an agent or supervisor (GET /me, GET /users).
type User struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl"`
	// Role is "agent" or "supervisor".
	Role    string   `json:"role"`
	TeamIDs []string `json:"teamIds"`
	// Active is false for deactivated users (they keep their history).
	Active bool `json:"active"`
}

// Me is the answer of GET /me.
type Me struct {
	User        User   `json:"user"`
	WorkspaceID string `json:"workspaceId"`
}

// Conversation is one row of the inbox and the header of a conversation.
type Conversation struct {
	ID               string `json:"id"`
	ConnectionID     string `json:"connectionId"`
	Channel          string `json:"channel"`
	ContactID        string `json:"contactId"`
	ContactName      string `json:"contactName"`
	ContactPhone     string `json:"contactPhone"`
	ContactAvatarURL string `json:"contactAvatarUrl"`
	// Status is "open" or "done".
	Status        string `json:"status"`
	AssigneeID    string `json:"assigneeId"`
	TeamID        string `json:"teamId"`
	RuleID        string `json:"ruleId"`
	AwaitingClaim bool   `json:"awaitingClaim"`
	Claimed       bool   `json:"claimed"`
	Historical    bool   `json:"historical"`
	CategoryID    string `json:"categoryId"`
	// CategoryPath holds the category ids from the root to CategoryID (at most three).
	CategoryPath     []string `json:"categoryPath"`
	ClassificationID string   `json:"classificationId"`
	Note             string   `json:"note"`
	Referral         string   `json:"referral"`
	LastMessageText  string   `json:"lastMessageText"`
	LastMessageAt    string   `json:"lastMessageAt"`
	// LastMessageDirection is "in", "out" or "system".
	LastMessageDirection string `json:"lastMessageDirection"`
	LastInboundAt        string `json:"lastInboundAt"`
	// Unread counts the customer messages the calling user has not read.
	Unread  int64 `json:"unread"`
	Version int64 `json:"version"`
}

// Attachment is a file carried by a message, or an upload waiting to be sent.
type Attachment struct {
	ID string `json:"id"`
	// Kind is "image", "file", "video", "audio" or "sticker".
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	// URL is "/attachments/{id}" relative to the API root once the content is kept by the engine;
	// before that, the provider's URL when it is an https URL, "" otherwise (never another scheme
	// or a plain-http address).
	URL string `json:"url"`
}

// Activity is the who / what / from / to of a state change (messages with direction "system").
type Activity struct {
	// Kind is the engine's activity action: opened, assigned, unassigned, claimed, awaiting_claim,
	// done, reopened, category_changed, classification_changed, note_changed, contact_linked,
	// team_changed, info_shared.
	Kind string `json:"kind"`
	// ActorID is the user who made the change, "" for the system. The entry's time is the
	// message's createdAt.
	ActorID string `json:"actorId"`
	// FromUserID and ToUserID are the previous and new owners of the ownership kinds (assigned,
	// unassigned, claimed, awaiting_claim); "" for nobody.
	FromUserID string `json:"fromUserId"`
	ToUserID   string `json:"toUserId"`
	// FromTeamID and ToTeamID are the previous and new teams of team_changed.
	FromTeamID string `json:"fromTeamId"`
	ToTeamID   string `json:"toTeamId"`
	// From and To are the raw previous and new values, "" for none: user ids (ownership kinds),
	// team ids (team_changed), category ids (category_changed: the chosen node, whose ancestors in
	// GET /categories give the path), classification ids, the note texts (note_changed), the
	// statuses (done, reopened), the CRM customer id (contact_linked: To), the shared phone in E.164
	// (info_shared: To).
	From string `json:"from"`
	To   string `json:"to"`
	// Detail is free text: the routing reason, or the shared address (info_shared).
	Detail string `json:"detail"`
}

// Message is one entry of a conversation's thread.
type Message struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversationId"`
	Seq            int64  `json:"seq"`
	// Direction is "in" (customer), "out" (business) or "system" (activity entry).
	Direction   string       `json:"direction"`
	SenderID    string       `json:"senderId"`
	SenderName  string       `json:"senderName"`
	Type        string       `json:"type"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
	// Status is pending, sending, sent, delivered, seen or failed for outgoing messages, received
	// for the others.
	Status string `json:"status"`
	// FailureCode is the provider's own code of a failed message and FailureReason its English
	// explanation (for operators); FailureReasonCode is the stable reason (omnichannel's Failure*
	// codes: token_missing, not_follower, outside_window, …) an interface translates.
	FailureCode       string `json:"failureCode"`
	FailureReason     string `json:"failureReason"`
	FailureReasonCode string `json:"failureReasonCode"`
	// Retryable is true for a failed outgoing message (POST /messages/{id}/retry).
	Retryable bool `json:"retryable"`
	// QuoteMessageID is the id of the message this one replies to, when it is in the thread.
	QuoteMessageID string `json:"quoteMessageId"`
	TemplateID     string `json:"templateId"`
	CreatedAt      string `json:"createdAt"`
	// SentAt is when the provider accepted an outgoing message (or the provider's time of an
	// inbound one); "" before.
	SentAt    string    `json:"sentAt"`
	UpdatedAt string    `json:"updatedAt"`
	Activity  *Activity `json:"activity,omitempty"`
	// Reactions are the emoji reactions on the message, oldest first (never absent: [] when
	// none). Type "info_request" marks an agent's request for the customer's information (no text).
	Reactions []Reaction `json:"reactions"`
}

// Reaction is one emoji reaction on a message.
type Reaction struct {
	Emoji string `json:"emoji"`
	// Direction is "in" for the customer's reaction, "out" for the business's.
	Direction string `json:"direction"`
	// UserID is the agent who reacted (direction "out"), "" for the customer or the provider's
	// own console.
	UserID string `json:"userId"`
	At     string `json:"at"`
}

// ReactRequest is the body of POST /messages/{id}/reactions.
type ReactRequest struct {
	// Emoji is one of ConversationDetail.ReactionEmojis.
	Emoji string `json:"emoji"`
	// Remove withdraws the agent's reaction instead.
	Remove bool `json:"remove"`
}

// InfoRequestRequest is the body of POST /conversations/{id}/info-request.
type InfoRequestRequest struct {
	// IdempotencyKey is required: the same key returns the first request instead of sending twice.
	IdempotencyKey string `json:"idempotencyKey"`
}

// ConversationList is the answer of GET /conversations.
type ConversationList struct {
	Items []Conversation `json:"items"`
	// Next is the cursor of the following page ("" on the last page).
	Next string `json:"next"`
	// Unread counts the conversations of the same filter with unread customer messages.
	Unread int `json:"unread"`
}

// UnreadCount is the answer of GET /conversations/unread-count.
type UnreadCount struct {
	Count int `json:"count"`
}

// Window says whether a reply can be sent now.
type Window struct {
	Open bool `json:"open"`
	// ClosesAt is set on channels with a reply window.
	ClosesAt string `json:"closesAt,omitempty"`
	// RemainingReplies is set on channels that cap replies between two customer messages.
	RemainingReplies *int `json:"remainingReplies,omitempty"`
	// StandardClosesAt is set on channels with a human-agent extension (Messenger, Instagram):
	// when the standard window closes, before ClosesAt.
	StandardClosesAt string `json:"standardClosesAt,omitempty"`
	// HumanAgent is true when a reply sent now goes out under the human-agent extension.
	HumanAgent bool `json:"humanAgent,omitempty"`
	// FreeUntil is when replies stop being free of charge (Zalo: 48 hours after the customer's
	// last interaction; later replies are still sent while open, but billed); absent elsewhere.
	FreeUntil string `json:"freeUntil,omitempty"`
}

// Capabilities say what the conversation's channel accepts (sizes in bytes, 0: unlimited).
type Capabilities struct {
	MaxTextLength int `json:"maxTextLength"`
	// MaxTextBytes is the text limit in UTF-8 bytes (Instagram), 0: none.
	MaxTextBytes   int      `json:"maxTextBytes,omitempty"`
	Images         bool     `json:"images"`
	ImageTypes     []string `json:"imageTypes"`
	MaxImageBytes  int64    `json:"maxImageBytes"`
	Files          bool     `json:"files"`
	FileTypes      []string `json:"fileTypes"`
	MaxFileBytes   int64    `json:"maxFileBytes"`
	Quotes         bool     `json:"quotes"`
	MaxAttachments int      `json:"maxAttachments"`
	// NoCaption lists the attachment kinds that cannot be sent with text in the same message.
	NoCaption []string `json:"noCaption"`
	// InfoRequest says whether POST /conversations/{id}/info-request can ask the customer for
	// their contact details (Zalo's request_user_info card).
	InfoRequest bool `json:"infoRequest"`
	// ReactionEmojis are the reactions agents may send (POST /messages/{id}/reactions); empty on
	// channels that cannot send reactions.
	ReactionEmojis []string `json:"reactionEmojis"`
}

// ConversationDetail is the answer of GET /conversations/{id}.
type ConversationDetail struct {
	Conversation Conversation `json:"conversation"`
	Window       Window       `json:"window"`
	Capabilities Capabilities `json:"capabilities"`
	// CanClaim is true when the calling user may press "Nhận chat": the conversation is open and
	// has no owner (or waits for a claim), and the user is a supervisor or one of the users of the
	// conversation's rule (any user when it has no rule).
	CanClaim bool `json:"canClaim"`
	// ReplyBlocked is the error code a reply would get whatever its content, "" when the
	// conversation can be answered: "no_reply_route" for a Zalo anonymous customer whose
	// conversation id is not known yet (the reply box opens when they write again).
	ReplyBlocked string `json:"replyBlocked,omitempty"`
}

// ConversationResponse wraps one conversation (done, reopen, claim, assign, details).
type ConversationResponse struct {
	Conversation Conversation `json:"conversation"`
}

// MessageList is the answer of GET /conversations/{id}/messages, oldest first.
type MessageList struct {
	Items []Message `json:"items"`
	// More is true when older entries exist (ask again with before = the first item's seq).
	More bool `json:"more"`
}

// SendRequest is the body of POST /conversations/{id}/messages.
type SendRequest struct {
	Text string `json:"text"`
	// AttachmentIDs are ids returned by POST /attachments.
	AttachmentIDs  []string `json:"attachmentIds"`
	QuoteMessageID string   `json:"quoteMessageId"`
	// IdempotencyKey is required: the same key returns the first message instead of sending twice.
	IdempotencyKey string `json:"idempotencyKey"`
	TemplateID     string `json:"templateId"`
}

// MessageResponse wraps one message (send, retry).
type MessageResponse struct {
	Message Message `json:"message"`
}

// AttachmentResponse is the answer of POST /attachments.
type AttachmentResponse struct {
	Attachment Attachment `json:"attachment"`
}

// AssignRequest is the body of POST /conversations/{id}/assign: exactly one of UserID and TeamID.
type AssignRequest struct {
	UserID string `json:"userId"`
	TeamID string `json:"teamId"`
}

// DetailsRequest is the body of PATCH /conversations/{id}/details. Absent (or null) fields are left
// unchanged; "" clears a field.
type DetailsRequest struct {
	CategoryID       *string `json:"categoryId"`
	ClassificationID *string `json:"classificationId"`
	Note             *string `json:"note"`
}

// Identity is a customer's account on one connection.
type Identity struct {
	Channel        string `json:"channel"`
	ConnectionID   string `json:"connectionId"`
	ExternalUserID string `json:"externalUserId"`
	DisplayName    string `json:"displayName"`
	AvatarURL      string `json:"avatarUrl"`
	Phone          string `json:"phone"`
}

// Contact is the customer panel's data.
type Contact struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	AvatarURL string `json:"avatarUrl"`
	// Attributes are extended data (status, interests, …): the contact's, completed with the linked
	// CRM record's.
	Attributes map[string]string `json:"attributes"`
	// CRMCustomerID is the host CRM's customer id once linked, "" before.
	CRMCustomerID string `json:"crmCustomerId"`
	// ProfileURL is the host CRM's full profile page (the "eye" link), "" when unknown.
	ProfileURL string     `json:"profileUrl"`
	Identities []Identity `json:"identities"`
}

// HistoryItem is one entry of the customer's interaction history, newest first.
type HistoryItem struct {
	// Type is "conversation", "call", "transaction" or another kind the host supplies.
	Type           string `json:"type"`
	At             string `json:"at"`
	Title          string `json:"title"`
	Detail         string `json:"detail"`
	ConversationID string `json:"conversationId,omitempty"`
	Channel        string `json:"channel,omitempty"`
	URL            string `json:"url,omitempty"`
}

// Customer is the answer of GET /conversations/{id}/customer.
type Customer struct {
	Contact Contact       `json:"contact"`
	History []HistoryItem `json:"history"`
}

// Template is a canned reply.
type Template struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Body string `json:"body"`
	// ChannelKinds are the channels the template is offered on; empty means all.
	ChannelKinds []string `json:"channelKinds"`
}

// TemplateList is the answer of GET /conversations/{id}/templates.
type TemplateList struct {
	Items []Template `json:"items"`
}

// RenderedTemplate is the answer of POST /conversations/{id}/templates/{templateId}/render.
type RenderedTemplate struct {
	// Text is the template filled in for the conversation, for the agent to check and edit in the
	// composer; it holds no placeholder. An unknown customer name renders the workspace's neutral
	// form ("anh/chị" unless the host configured another).
	Text string `json:"text"`
	// Unknown lists the variables the template uses whose value is not known (customer_name,
	// customer_phone, …), so the composer can tell the agent; never null.
	Unknown []string `json:"unknown"`
}

// Category is a node of the three-level category tree; Level is 1, 2 or 3.
type Category struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
	Level    int    `json:"level"`
	Active   bool   `json:"active"`
}

// CategoryList is the answer of GET /categories, in display order.
type CategoryList struct {
	Items []Category `json:"items"`
}

// Classification is a conversation class (CSKH, Sale, Spam, …).
type Classification struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// ClassificationList is the answer of GET /classifications, in display order.
type ClassificationList struct {
	Items []Classification `json:"items"`
}

// UserList is the answer of GET /users.
type UserList struct {
	Items []User `json:"items"`
}

// Team is a group of users; a conversation handed to a team goes to a member by the team's method.
type Team struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// RuleID is the rule whose users are exactly the team's members (a rule made with
	// RuleRequest.TeamID), "" when none.
	RuleID    string   `json:"ruleId"`
	MemberIDs []string `json:"memberIds"`
	// Method is how the team picks a member: round_robin, claim or least_loaded.
	Method string `json:"method"`
}

// TeamList is the answer of GET /teams.
type TeamList struct {
	Items []Team `json:"items"`
}

// Connection is a connected provider account. Its credentials never leave the server.
type Connection struct {
	ID          string `json:"id"`
	Channel     string `json:"channel"`
	ExternalID  string `json:"externalId"`
	DisplayName string `json:"displayName"`
	AvatarURL   string `json:"avatarUrl"`
	// Status is "connected", "needs_reconnect" or "disconnected".
	Status string `json:"status"`
	// StatusReason explains needs_reconnect.
	StatusReason string `json:"statusReason"`
	OwnerID      string `json:"ownerId"`
	// Permission is "only_me" or "shared".
	Permission string `json:"permission"`
	RuleID     string `json:"ruleId"`
}

// ConnectionList is the answer of GET /connections.
type ConnectionList struct {
	Items []Connection `json:"items"`
}

// ConnectionResponse wraps one connection (PUT /connections/{id}/permission).
type ConnectionResponse struct {
	Connection Connection `json:"connection"`
}

// ConnectRequest is the body of POST /connections/{kind}/connect.
type ConnectRequest struct {
	// RedirectPath is a local path ("/settings") of the host app to return to after the consent,
	// instead of Config.AfterConnect.
	RedirectPath string `json:"redirectPath"`
	// Permission ("only_me", default, or "shared") and RuleID are the chat permission of the new
	// connection.
	Permission string `json:"permission"`
	RuleID     string `json:"ruleId"`
}

// ConnectURL is the answer of POST /connections/{kind}/connect: the provider's consent page.
type ConnectURL struct {
	URL string `json:"url"`
}

// PermissionRequest is the body of PUT /connections/{id}/permission.
type PermissionRequest struct {
	// Permission is "only_me" or "shared" (which needs RuleID).
	Permission string `json:"permission"`
	RuleID     string `json:"ruleId"`
}

// Rule is an assignment rule.
type Rule struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	SourceIDs []string `json:"sourceIds"`
	UserIDs   []string `json:"userIds"`
	// TeamID is the team whose members are exactly the rule's users, "" when none.
	TeamID string `json:"teamId"`
	// Method is "round_robin", "claim" or "least_loaded".
	Method string `json:"method"`
	// OldConversations is "none", "available" or "all".
	OldConversations string `json:"oldConversations"`
	CreatedAt        string `json:"createdAt"`
	UpdatedAt        string `json:"updatedAt"`
}

// RuleRequest is the body of POST /rules and PUT /rules/{id}.
type RuleRequest struct {
	Name      string   `json:"name"`
	SourceIDs []string `json:"sourceIds"`
	UserIDs   []string `json:"userIds"`
	// TeamID, when set, adds the team's members to UserIDs.
	TeamID           string `json:"teamId"`
	Method           string `json:"method"`
	OldConversations string `json:"oldConversations"`
}

// RuleList is the answer of GET /rules.
type RuleList struct {
	Items []Rule `json:"items"`
}

// RuleResponse wraps one rule (POST /rules, PUT /rules/{id}).
type RuleResponse struct {
	Rule Rule `json:"rule"`
}

// Event is the data of one Server-Sent Event of GET /events; the SSE event name is Kind.
type Event struct {
	// Kind is conversation.opened, conversation.updated, message.created, message.updated,
	// connection.updated, read.updated or conversation.deleted (ConversationID only: the
	// conversation was deleted for good, to every stream of the workspace).
	Kind           string        `json:"kind"`
	ConversationID string        `json:"conversationId"`
	MessageID      string        `json:"messageId"`
	ConnectionID   string        `json:"connectionId"`
	Conversation   *Conversation `json:"conversation,omitempty"`
	Message        *Message      `json:"message,omitempty"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error. Code is stable (see the package documentation); Message is
// readable English and never contains internals or secrets; Fields maps request fields to their
// problems in English. An interface translates Code, Reason and Problems, never Message.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Problems lists every problem of an invalid (or unsupported) request, coded.
	Problems []Problem `json:"problems,omitempty"`
	// Reason is the stable reason of a refusal: for forbidden, why the user may not act
	// (omnichannel's Deny* codes: not_in_rule, awaiting_claim, …); "" when there is none.
	Reason string `json:"reason,omitempty"`
	// ClaimedBy names the user holding the conversation (code already_claimed).
	ClaimedBy string `json:"claimedBy,omitempty"`
}

// Problem is one coded problem of a request: the Field it is about ("" for the whole request), a
// stable Code (omnichannel's Problem* codes, or the API's own: required, not_allowed, too_long,
// too_many, bad_number, bad_text, bad_cursor, expired_upload), the Params its translation fills in
// and the same in English (Message).
type Problem struct {
	Field   string            `json:"field"`
	Code    string            `json:"code"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message"`
}
