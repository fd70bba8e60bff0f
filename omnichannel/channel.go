package omnichannel

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Channel is a channel adapter: it translates between one provider's HTTP API and the engine.
//
// The core is small; further abilities are optional interfaces found by type assertion (Connector,
// TokenRefresher, ProfileFetcher, MediaDownloader, HistorySyncer). Adapters make no network call while
// verifying or parsing webhooks, keep no per-conversation state, and must be safe for concurrent use.
// channels/channeltest checks an adapter against its provider emulator.
type Channel interface {
	// Kind is the adapter's channel kind; it is the webhook URL's first path segment.
	Kind() Kind
	// VerifyWebhook checks the request's signature over the raw body, before anything else is read
	// or looked up. It returns an error wrapping ErrBadSignature when the signature is missing,
	// malformed, stale or wrong. It must compare in constant time and never echo the secret or the
	// expected signature in the error.
	VerifyWebhook(h http.Header, body []byte) error
	// ParseWebhook turns a verified body into events. It returns an error wrapping ErrMalformed when
	// the body cannot be decoded. Event types the adapter does not know produce no event (the engine
	// answers 200 and ignores them).
	ParseWebhook(h http.Header, body []byte) ([]InboundEvent, error)
	// Send delivers one outgoing message for conn and returns the provider's message id. Failures are
	// classified *ProviderError values (or plain errors for network failures, treated as retryable).
	Send(ctx context.Context, conn *Connection, msg *OutboundMessage) (SendResult, error)
	// Capabilities describes what the channel accepts, so the engine refuses what the provider would
	// refuse before any network call.
	Capabilities() Capabilities
}

// Capabilities describe a channel's limits.
type Capabilities struct {
	// MaxTextLength is the longest text in characters (runes); 0 means unlimited.
	MaxTextLength int
	// MaxTextBytes is the longest text in bytes of UTF-8, for providers that count bytes
	// (Instagram: 1,000 bytes, so about 350 to 500 Vietnamese letters); 0 means unlimited. Both
	// limits apply when both are set.
	MaxTextBytes int
	// Images says whether images can be sent; ImageTypes lists accepted MIME types (empty: any
	// image/*) and MaxImageBytes the largest size (0: unlimited).
	Images        bool
	ImageTypes    []string
	MaxImageBytes int64
	// Files says whether documents can be sent; FileTypes lists accepted MIME types (empty: any) and
	// MaxFileBytes the largest size (0: unlimited).
	Files        bool
	FileTypes    []string
	MaxFileBytes int64
	// MaxAttachments per message (0: one).
	MaxAttachments int
	// NoCaption lists the attachment kinds that cannot carry text in the same message (the engine
	// refuses text with such an attachment before saving it; the agent sends them one after the other).
	NoCaption []MessageType
	// ReplyWindow is how long after the customer's last message the business may reply (0: always).
	ReplyWindow time.Duration
	// MaxRepliesInWindow caps business messages between two customer messages (0: no cap).
	MaxRepliesInWindow int
	// HumanAgentWindow, when longer than ReplyWindow, is how long after the customer's last message
	// a person may still reply under the provider's human-agent extension (Meta's HUMAN_AGENT tag:
	// 7 days, for apps with the Human Agent feature approved). Every engine send is an agent's, so
	// the engine accepts replies until then; the adapter sees OutboundMessage.LastInboundAt and
	// tags the late ones. 0: no extension.
	HumanAgentWindow time.Duration
	// Quotes says whether a reply can quote a customer message.
	Quotes bool
	// Echoes says whether the provider sends webhooks for the business's own messages; the engine
	// then matches them to its sends.
	Echoes bool
	// FreeReplyWindow is how long after the customer's last interaction replies cost the business
	// nothing (Zalo: 48 hours); later replies inside ReplyWindow are still sent, but billed. 0: no
	// such boundary. Engine.Window reports it as ReplyWindow.FreeUntil.
	FreeReplyWindow time.Duration
	// InteractionsOpenWindow says that the provider's window runs from the customer's last
	// interaction, not only their last message: following the account and sharing information
	// (InboundFollow, InboundInfoShared) then move Conversation.LastInboundAt forward too. Reactions
	// never do.
	InteractionsOpenWindow bool
	// InfoRequest says whether the channel can send a request for the customer's contact details
	// (Engine.RequestInfo; Zalo's request_user_info card).
	InfoRequest bool
}

// OutboundMessage is what the engine asks an adapter to send.
type OutboundMessage struct {
	// ConversationID and MessageID are the engine's ids (for logs and idempotency).
	ConversationID string
	MessageID      string
	// RecipientID is the customer's provider user id on the connection.
	RecipientID string
	Text        string
	Attachments []OutboundAttachment
	// QuoteProviderMessageID is the provider id of the customer message being answered, if any.
	QuoteProviderMessageID string
	// LastInboundAt is when the customer last wrote (zero: never or unknown), for adapters whose
	// request depends on the reply window (Meta: a plain response inside 24 hours, the HUMAN_AGENT
	// tag after it).
	LastInboundAt time.Time
	// RecipientAnonymous and RecipientConversationID come from the customer's Identity: an
	// anonymous customer is addressed by the provider's conversation id as well (Zalo).
	RecipientAnonymous      bool
	RecipientConversationID string
	// InfoRequest asks the adapter to send its request for the customer's contact details
	// instead of Text (a message of type MessageInfoRequest; Capabilities.InfoRequest).
	InfoRequest bool
	// ConnectionAvatarURL is the account's avatar, which an info request card may show.
	ConnectionAvatarURL string
	// FirstReply is true when no earlier business message of the conversation was accepted by the
	// provider (TikTok asks its capability check as a STRANGER conversation then). It is set for
	// messages with attachments only, from the 200 entries before this one.
	FirstReply bool
}

// OutboundAttachment is a file to upload and send.
type OutboundAttachment struct {
	Kind        MessageType
	Name        string
	ContentType string
	Size        int64
	// Open returns the content; the adapter closes it.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// SendResult is a successful send.
type SendResult struct {
	ProviderMessageID string
	// Status is MessageSent unless the provider already reports more.
	Status MessageStatus
}

// InboundType is the kind of an InboundEvent.
type InboundType string

// Inbound event types.
const (
	// InboundMessage is a message from the customer (Direction in) or an echo of a business message
	// (Direction out: typed in the provider's console, or our own send coming back).
	InboundMessage InboundType = "message"
	// InboundStatus reports delivery or seen states of business messages.
	InboundStatus InboundType = "status"
	// InboundFollow and InboundUnfollow report the customer following the account.
	InboundFollow   InboundType = "follow"
	InboundUnfollow InboundType = "unfollow"
	// InboundProfile carries profile data the customer shared (a phone number, a name).
	InboundProfile InboundType = "profile"
	// InboundReferral records where a conversation came from.
	InboundReferral InboundType = "referral"
	// InboundInfoShared is information the customer shared through the provider's own form (Zalo's
	// user_submit_info): Profile carries it (Phone; the address in Attributes "address", "ward",
	// "district", "city"). The engine applies it as InboundProfile does, then records an
	// ActivityInfoShared entry in the customer's conversation, opening (and routing) one when there
	// is none, so agents see it even when the customer wrote nothing. A ProviderMessageID, when the
	// adapter can derive a stable one, makes a repeated delivery change nothing.
	InboundInfoShared InboundType = "info_shared"
	// InboundReaction is an emoji reaction to an earlier message of the thread, by the customer
	// (Direction in) or by the business (Direction out: reacted in the provider's console). It is
	// never a new message: the engine adds (or, with ReactionRemoved, removes) the reaction on the
	// message whose provider id is ReactionTargetID in the same connection and emits
	// EventMessageUpdated; the conversation's unread count, list position, summary, reply window
	// and reply count stay as they are. A reaction to a message the engine does not have is logged
	// (once per connection) and acknowledged.
	InboundReaction InboundType = "reaction"
)

// InboundEvent is one thing a webhook said. ExternalAccountID identifies the connection (OA id,
// business id); ExternalUserID the customer.
type InboundEvent struct {
	Type              InboundType
	ExternalAccountID string
	ExternalUserID    string
	// Profile data known from the payload (display name, avatar, shared phone).
	Profile *Profile
	// Message fields (InboundMessage).
	Direction         Direction
	ProviderMessageID string
	MessageType       MessageType
	Text              string
	Attachments       []Attachment
	// QuoteProviderMessageID is the message this one replies to, if any.
	QuoteProviderMessageID string
	// EchoOf is, on an echo of our own send (Direction out), the engine message id the adapter
	// sent along with it and the provider returned (Meta's metadata); the engine matches the echo
	// to that message first, even before the send call returned.
	EchoOf string
	// ForeignEcho marks an echo the provider says another app or its own console sent (Meta's
	// app_id of the Page inbox): it joins the thread and is never matched to a pending send by
	// its text.
	ForeignEcho bool
	// Status fields (InboundStatus): the messages, or all business messages up to UpTo when
	// ProviderMessageIDs is empty.
	Status             MessageStatus
	ProviderMessageIDs []string
	UpTo               time.Time
	// Referral text (InboundReferral).
	Referral string
	// Reaction fields (InboundReaction): the provider id of the message reacted to, the emoji, and
	// whether the reaction was taken back.
	ReactionTargetID string
	Reaction         string
	ReactionRemoved  bool
	// Anonymous and ProviderConversationID describe an anonymous customer (Zalo
	// anonymous_send_*): the engine keeps them on the Identity so that replies can address them.
	Anonymous              bool
	ProviderConversationID string
	// NeedsFetch is set when the payload lacks the content and the adapter must fetch it (e.g. TikTok
	// EU events); the engine then calls ContentFetcher.
	NeedsFetch bool
	// Time is the provider's event time.
	Time time.Time
}

// Connector is implemented by adapters that connect accounts by OAuth.
type Connector interface {
	// AuthCodeURL returns the provider consent URL for state, PKCE verifier and redirect URI.
	AuthCodeURL(state, codeVerifier, redirectURI string) string
	// Exchange trades the callback's query for a connection (ExternalID, DisplayName, Credentials set;
	// the engine fills the rest). It returns an error (never containing secrets) when consent was
	// refused or incomplete.
	Exchange(ctx context.Context, callback CallbackParams) (*Connection, error)
}

// MultiConnector is implemented by Connectors whose one consent can grant several accounts (a
// Facebook login granting several Pages and their Instagram accounts, picked by the admin in the
// provider's dialog). CompleteConnect then calls ExchangeAll instead of Exchange and saves every
// connection returned, in one transaction, each with the flow's owner, permission and rule. A
// returned connection's Kind may name another registered adapter of the same provider (an
// Instagram account granted through the Messenger flow); an empty Kind means the flow's kind, and
// accounts of a kind the engine has no adapter for are left out. ExchangeAll returns at least one
// connection or an error.
type MultiConnector interface {
	Connector
	ExchangeAll(ctx context.Context, callback CallbackParams) ([]*Connection, error)
}

// WebhookHandshaker is implemented by adapters whose provider verifies the callback URL with a GET
// before posting to it (Meta: hub.mode, hub.verify_token, hub.challenge). The webhook handler
// answers GET only for adapters implementing it (405 for the others, as before).
type WebhookHandshaker interface {
	// AnswerHandshake checks the GET's query and returns the body to answer with 200 (the
	// challenge), or an error when the request is not the provider's (the handler answers 403).
	// It must compare secrets in constant time and never put them in the error.
	AnswerHandshake(query url.Values) (string, error)
}

// CallbackParams is what the provider's redirect brought back, with the flow's PKCE verifier.
type CallbackParams struct {
	Query        map[string][]string
	CodeVerifier string
	RedirectURI  string
}

// TokenRefresher is implemented by adapters whose access tokens expire.
type TokenRefresher interface {
	// RefreshTokens exchanges conn's refresh token for new credentials. An error wrapping
	// ErrNeedsReconnect means the grant is dead. The engine serializes calls per connection across
	// processes and saves the result before using it.
	RefreshTokens(ctx context.Context, conn *Connection) (Credentials, error)
	// RefreshSkew is how long before AccessExpiry the engine refreshes.
	RefreshSkew() time.Duration
}

// ProfileFetcher is implemented by adapters that can look a provider user up.
type ProfileFetcher interface {
	FetchProfile(ctx context.Context, conn *Connection, externalUserID string) (*Profile, error)
}

// MediaDownloader is implemented by adapters whose inbound media URLs need credentials or expire.
// Media URLs come from webhooks, that is from customers: fetch them through a guarded client
// (package guardedfetch) so they cannot reach the host's own network, and return its refusals as
// they are (they are final; the engine does not retry them).
type MediaDownloader interface {
	// DownloadMedia opens the attachment's content. The caller closes the reader; the engine stores
	// the content type it sniffs from the bytes, not the one returned.
	DownloadMedia(ctx context.Context, conn *Connection, att Attachment) (io.ReadCloser, string, error)
}

// HistorySyncer is implemented by adapters that can import conversations from before the
// connection. It calls fn for every message (oldest first per conversation) and must de-duplicate by
// provider message id itself or leave it to the engine (which ignores duplicates).
type HistorySyncer interface {
	SyncHistory(ctx context.Context, conn *Connection, fn func(InboundEvent) error) error
}

// Reactor is implemented by adapters that can send an emoji reaction to a message of the thread
// (Engine.React). Channels without it refuse reactions with ErrUnsupported.
type Reactor interface {
	// React sends r for conn. Errors are classified like Send's.
	React(ctx context.Context, conn *Connection, r OutboundReaction) error
	// ReactionEmojis lists the emoji the provider accepts, in the order an agent picks them.
	ReactionEmojis() []string
}

// OutboundReaction is a reaction the engine asks a Reactor to send.
type OutboundReaction struct {
	// RecipientID, RecipientAnonymous and RecipientConversationID address the customer as in
	// OutboundMessage.
	RecipientID             string
	RecipientAnonymous      bool
	RecipientConversationID string
	// ProviderMessageID is the message reacted to; Emoji one of ReactionEmojis; Remove withdraws
	// the business's reaction instead.
	ProviderMessageID string
	Emoji             string
	Remove            bool
}

// ContentFetcher is implemented by adapters whose webhooks may omit the content (NeedsFetch).
type ContentFetcher interface {
	FetchContent(ctx context.Context, conn *Connection, ev InboundEvent) (InboundEvent, error)
}
