package omnichannel

import (
	"context"
	"time"
)

// Store persists everything the engine knows. Implementations live in store/memory, store/sqlite and
// store/postgres; store/storetest is the conformance suite every implementation must pass.
//
// All work happens inside transactions: Update runs fn in a read-write transaction and commits when
// fn returns nil (rolls back otherwise, returning fn's error unchanged); View runs fn in a read-only
// transaction. Implementations may run fn more than once when the database reports a serialization
// failure or deadlock, so fn must not have side effects outside tx. Every method of Tx is scoped to a
// workspace except the few documented as global (webhook entry, job queue, leases, OAuth state).
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// Tx is a transaction of a Store. A Tx must not be used after fn returns.
//
// A Tx stays usable after a method returns ErrNotFound, ErrDuplicate or ErrConflict; the failed call
// changed nothing (SQL stores use ON CONFLICT or savepoints). Ids are unique per workspace, except
// connection ids, which are unique across workspaces because webhooks find connections by id.
// Delete methods return ErrNotFound when the row is absent. Times are kept to the microsecond.
//
// Get methods return an error wrapping ErrNotFound when nothing matches. Insert methods return an
// error wrapping ErrDuplicate on a uniqueness violation and store the value as given (Version
// included). Put methods insert or replace by id.
type Tx interface {
	// Connections.

	PutConnection(c *Connection) error
	GetConnection(workspaceID, id string) (*Connection, error)
	// FindConnectionByID is global: the webhook URL carries the connection id before the workspace
	// is known.
	FindConnectionByID(id string) (*Connection, error)
	// FindConnectionByExternalID is global: it finds the non-disconnected connection of kind with the
	// provider account id.
	FindConnectionByExternalID(kind Kind, externalID string) (*Connection, error)
	ListConnections(workspaceID string) ([]*Connection, error)
	// UpdateConnection replaces c when the stored Version equals c.Version, and increments Version
	// (in c too). A mismatch returns an error wrapping ErrConflict.
	UpdateConnection(c *Connection) error

	// Contacts and identities.

	PutContact(c *Contact) error
	GetContact(workspaceID, id string) (*Contact, error)
	// InsertIdentity fails with ErrDuplicate when (ConnectionID, ExternalUserID) exists.
	InsertIdentity(i *Identity) error
	PutIdentity(i *Identity) error
	GetIdentity(workspaceID, id string) (*Identity, error)
	FindIdentity(workspaceID, connectionID, externalUserID string) (*Identity, error)
	ListIdentities(workspaceID, contactID string) ([]*Identity, error)
	// ListContactsByCRMRef returns the contacts linked to the host CRM customer crmRef
	// (Contact.CRMRef), ordered by id; none (and no error) when crmRef is "".
	ListContactsByCRMRef(workspaceID, crmRef string) ([]*Contact, error)

	// Conversations.

	// InsertConversation fails with ErrDuplicate when the (ConnectionID, IdentityID) thread exists.
	InsertConversation(c *Conversation) error
	GetConversation(workspaceID, id string) (*Conversation, error)
	FindConversation(workspaceID, connectionID, identityID string) (*Conversation, error)
	// UpdateConversation replaces c when the stored Version equals c.Version and increments Version
	// (in c too); a mismatch returns an error wrapping ErrConflict.
	UpdateConversation(c *Conversation) error
	// ListConversations returns one page of q's filter, newest LastMessageAt first (ties by id
	// descending), starting after q.After.
	ListConversations(q ConversationQuery) ([]*Conversation, error)
	// CountOpenAssigned returns, for each given user, their open conversations in the workspace.
	CountOpenAssigned(workspaceID string, userIDs []string) (map[string]int, error)
	// CountUnread returns how many conversations of q's filter have inbound messages userID has not
	// read (q.ReadState and paging fields are ignored).
	CountUnread(q ConversationQuery) (int, error)

	// Messages.

	// InsertMessage fails with ErrDuplicate when (ConnectionID, ProviderMessageID) or
	// (ConversationID, IdempotencyKey) exists (empty values never collide).
	InsertMessage(m *Message) error
	UpdateMessage(m *Message) error
	GetMessage(workspaceID, id string) (*Message, error)
	FindMessageByProviderID(workspaceID, connectionID, providerMessageID string) (*Message, error)
	FindMessageByIdempotencyKey(workspaceID, conversationID, key string) (*Message, error)
	// ListMessages returns up to limit entries with Seq < beforeSeq (all when beforeSeq ≤ 0),
	// in ascending Seq order, the newest ones.
	ListMessages(workspaceID, conversationID string, beforeSeq int64, limit int) ([]*Message, error)
	// FindEchoCandidate returns the oldest outgoing message of the conversation without a provider
	// message id, not failed, created at or after since, whose Text equals text; ErrNotFound if none.
	FindEchoCandidate(workspaceID, conversationID, text string, since time.Time) (*Message, error)

	// Read state.

	GetReadState(workspaceID, userID, conversationID string) (*ReadState, error)
	PutReadState(r *ReadState) error

	// Users, teams, rules and configuration.

	PutUser(u *User) error
	GetUser(workspaceID, id string) (*User, error)
	ListUsers(workspaceID string) ([]*User, error)
	PutTeam(t *Team) error
	GetTeam(workspaceID, id string) (*Team, error)
	ListTeams(workspaceID string) ([]*Team, error)
	PutRule(r *Rule) error
	GetRule(workspaceID, id string) (*Rule, error)
	ListRules(workspaceID string) ([]*Rule, error)
	DeleteRule(workspaceID, id string) error
	PutTemplate(t *Template) error
	GetTemplate(workspaceID, id string) (*Template, error)
	ListTemplates(workspaceID string) ([]*Template, error)
	DeleteTemplate(workspaceID, id string) error
	PutCategory(c *Category) error
	GetCategory(workspaceID, id string) (*Category, error)
	ListCategories(workspaceID string) ([]*Category, error)
	PutClassification(c *Classification) error
	GetClassification(workspaceID, id string) (*Classification, error)
	ListClassifications(workspaceID string) ([]*Classification, error)

	// NextRotation returns the next position of the named rotation (0, 1, 2, …): each call
	// increments a counter kept in the store, so concurrent callers and several engine processes
	// sharing the store get distinct values, in the order they are handed out. A store may take the
	// position outside the calling transaction, so that concurrent transactions do not queue on the
	// counter until they commit (store/postgres does): a position taken by a transaction that rolls
	// back is then skipped, which only moves the turn on by one.
	NextRotation(workspaceID, key string) (int64, error)

	// Jobs (global: the worker serves all workspaces).

	InsertJob(j *Job) error
	// ClaimJobs locks up to limit jobs with RunAt ≤ now whose lock is free or expired, oldest RunAt
	// first, setting LockedBy = owner and LockedUntil = now + lease. A job is never handed to two
	// owners while its lock holds, even by two Store values over one database.
	ClaimJobs(owner string, now time.Time, lease time.Duration, limit int) ([]*Job, error)
	// UpdateJob saves j (all fields, including a new RunAt or LockedUntil; setting LockedUntil ≤ now
	// releases the lock) when the stored job's LockedBy equals j.LockedBy, that is, nobody claimed it
	// since; ErrConflict otherwise (ErrNotFound if it was deleted).
	UpdateJob(j *Job) error
	// DeleteJob removes a finished job.
	DeleteJob(id string) error
	// NextJobTime returns the earliest RunAt of unlocked jobs, zero time when there is none. (Jobs
	// whose lock expires are found by the worker's periodic poll.)
	NextJobTime() (time.Time, error)

	// Leases (global): named locks that hold across engine processes sharing the store.

	// AcquireLease takes the lease key for owner until until, when it is free, expired, or already
	// held by owner. It reports whether owner holds it now.
	AcquireLease(key, owner string, now, until time.Time) (bool, error)
	// ReleaseLease frees key if owner holds it.
	ReleaseLease(key, owner string) error

	// OAuth states (global: the callback arrives before the session is known to the provider).

	InsertOAuthState(s *OAuthState) error
	// TakeOAuthState returns and deletes the state (single use); ErrNotFound if absent.
	TakeOAuthState(state string) (*OAuthState, error)
}

// ReadFilter restricts a list by the viewing user's read state.
type ReadFilter string

// Read filters.
const (
	ReadAny    ReadFilter = ""
	ReadUnread ReadFilter = "unread"
	ReadRead   ReadFilter = "read"
)

// Unassigned is the AssigneeIDs value that matches conversations without an owner.
const Unassigned = "-"

// ConversationQuery is the filter and page of a conversation list (SPEC A1, A3). Empty fields do not
// filter. Within a field the values are alternatives (OR); fields combine with AND.
type ConversationQuery struct {
	WorkspaceID  string
	ChannelKinds []Kind
	Statuses     []ConversationStatus
	// ReadState is evaluated for ViewerID.
	ReadState ReadFilter
	ViewerID  string
	// AssigneeIDs may contain Unassigned.
	AssigneeIDs []string
	// TeamIDs match the conversations a team handles: a conversation matches team T when its
	// TeamID is T, or when its TeamID is "" and its assignee is a member of T (T's
	// Team.MemberIDs in the query's workspace, as stored when the query runs; User.TeamIDs is not
	// consulted). A round-robin rule assigns a user and leaves TeamID empty, so a team's list
	// shows what its members got from rules as well as what was handed to the team. A
	// conversation with another team's TeamID does not match T, even when its assignee is a member
	// of T. The value "" matches the conversations whose TeamID is "".
	TeamIDs []string
	// CategoryIDs match a conversation whose category path contains any of them (any level).
	CategoryIDs       []string
	ClassificationIDs []string
	ConnectionIDs     []string
	// ContactIDs restricts to some customers (the interaction history of a contact).
	ContactIDs []string
	// AwaitingClaim, when true, lists only conversations waiting for a claim.
	AwaitingClaim bool
	// Search matches a substring of the contact name, ignoring case and accents: the name matches
	// when FoldSearch(Search) is a substring of FoldSearch(name) (lower case, Vietnamese and other
	// diacritics removed, đ as d), so "nguyen van", "NGUYỄN VĂN" and "Nguyễn Văn" find the same
	// rows and "bich" finds "Trần Thị Bích".
	Search string
	// SearchDigits, when set, also matches conversations whose ContactPhone (without "+") contains
	// it. The engine derives it from the user's search text ("0912 345" → "84912345").
	SearchDigits string
	// After continues after the last row of the previous page (keyset); nil starts at the newest.
	After *Cursor
	// Limit is the page size (the store may cap it; ≤ 0 means 50).
	Limit int
}

// FiltersOnlyByConnection reports whether q selects its workspace's conversations by nothing but
// ConnectionIDs: no channel, status, assignee, team, category, classification, contact, claim or
// search filter. ViewerID, ReadState and the paging fields (After, Limit) do not narrow the set of
// conversations and are not looked at: a caller that counts unread conversations evaluates them
// itself. Stores answer such a query's unread count from per-connection counters, so this is the
// one place that knows which fields are filters: a new filter field of ConversationQuery must be
// added here (storetest's Query/EveryField fails until it is).
func (q ConversationQuery) FiltersOnlyByConnection() bool {
	return len(q.ChannelKinds) == 0 && len(q.Statuses) == 0 && len(q.AssigneeIDs) == 0 && len(q.TeamIDs) == 0 &&
		len(q.CategoryIDs) == 0 && len(q.ClassificationIDs) == 0 && len(q.ContactIDs) == 0 && !q.AwaitingClaim &&
		q.Search == "" && q.SearchDigits == ""
}

// Cursor is a position in the conversation list: the sort key of the last row seen.
type Cursor struct {
	LastMessageAt  time.Time
	ConversationID string
}
