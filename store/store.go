package store

import (
	"context"
	"time"

	"github.com/dakenh/dakenh/model"
)

// Store persists everything the engine knows. Implementations live in store/memory, store/sqlite and
// store/postgres; store/storetest is the conformance suite every implementation must pass.
//
// All work happens inside transactions: Update runs fn in a read-write transaction and commits when
// fn returns nil (rolls back otherwise, returning fn's error unchanged); View runs fn in a read-only
// transaction. Implementations may run fn more than once when the database reports a serialization
// failure or deadlock, so fn must not have side effects outside tx. Every method of Tx is scoped to a
// workspace except the few documented as global (webhook entry, job queue, leases, OAuth state).
//
// A transaction's methods run under the context given to Update or View: the transaction lives as
// long as that call, so its methods take no context of their own (the batched reads of
// BatchReader, which a store may run outside the call's goroutine, do).
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// Tx is a transaction of a Store: the union of the role interfaces below, each the part of the
// contract one concern of the engine uses (a Router sees only RoutingTx). A Tx must not be used
// after fn returns.
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
	BatchReader
	ConnectionTx
	ContactTx
	ConversationTx
	MessageTx
	ReadStateTx
	OrgTx
	WorkspaceTx
	RoutingTx
	JobTx
	LeaseTx
	OAuthStateTx
	DeleteTx
	FeedTx
	WebhookTx
}

// ConnectionTx stores the channel connections (one per provider account in a workspace).
type ConnectionTx interface {
	PutConnection(c *model.Connection) error
	GetConnection(workspaceID, id string) (*model.Connection, error)
	// FindConnectionByID is global: the webhook URL carries the connection id before the workspace
	// is known.
	FindConnectionByID(id string) (*model.Connection, error)
	// FindConnectionByExternalID is global: it finds the non-disconnected connection of kind with the
	// provider account id.
	FindConnectionByExternalID(kind model.Kind, externalID string) (*model.Connection, error)
	ListConnections(workspaceID string) ([]*model.Connection, error)
	// UpdateConnection replaces c when the stored Version equals c.Version, and increments Version
	// (in c too). A mismatch returns an error wrapping ErrConflict.
	UpdateConnection(c *model.Connection) error
}

// ContactTx stores customers (contacts) and their per-connection identities.
type ContactTx interface {
	PutContact(c *model.Contact) error
	GetContact(workspaceID, id string) (*model.Contact, error)
	// InsertIdentity fails with ErrDuplicate when (ConnectionID, ExternalUserID) exists.
	InsertIdentity(i *model.Identity) error
	PutIdentity(i *model.Identity) error
	GetIdentity(workspaceID, id string) (*model.Identity, error)
	FindIdentity(workspaceID, connectionID, externalUserID string) (*model.Identity, error)
	ListIdentities(workspaceID, contactID string) ([]*model.Identity, error)
	// ListContactsByCRMCustomer returns the contacts linked to the host CRM customer crmCustomerID
	// (Contact.CRMCustomerID), ordered by id; none (and no error) when crmCustomerID is "".
	ListContactsByCRMCustomer(workspaceID, crmCustomerID string) ([]*model.Contact, error)
}

// ConversationTx stores conversations (one thread per identity and connection) and answers lists.
type ConversationTx interface {
	// InsertConversation fails with ErrDuplicate when the (ConnectionID, IdentityID) thread exists.
	InsertConversation(c *model.Conversation) error
	GetConversation(workspaceID, id string) (*model.Conversation, error)
	FindConversation(workspaceID, connectionID, identityID string) (*model.Conversation, error)
	// UpdateConversation replaces c when the stored Version equals c.Version and increments Version
	// (in c too); a mismatch returns an error wrapping ErrConflict.
	UpdateConversation(c *model.Conversation) error
	// ListConversations returns one page of q's filter, newest LastMessageAt first (ties by id
	// descending), starting after q.After.
	ListConversations(q model.ConversationQuery) ([]*model.Conversation, error)
	// CountUnread returns how many conversations of q's filter have inbound messages userID has not
	// read (q.ReadState and paging fields are ignored).
	CountUnread(q model.ConversationQuery) (int, error)
}

// MessageTx stores the entries of conversations: messages and activity entries.
type MessageTx interface {
	// InsertMessage fails with ErrDuplicate when (ConnectionID, ProviderMessageID) or
	// (ConversationID, IdempotencyKey) exists (empty values never collide).
	InsertMessage(m *model.Message) error
	UpdateMessage(m *model.Message) error
	GetMessage(workspaceID, id string) (*model.Message, error)
	FindMessageByProviderID(workspaceID, connectionID, providerMessageID string) (*model.Message, error)
	FindMessageByIdempotencyKey(workspaceID, conversationID, key string) (*model.Message, error)
	// ListMessages returns up to limit entries with Seq < beforeSeq (all when beforeSeq ≤ 0),
	// in ascending Seq order, the newest ones.
	ListMessages(workspaceID, conversationID string, beforeSeq int64, limit int) ([]*model.Message, error)
	// FindEchoCandidate returns the oldest outgoing message of the conversation without a provider
	// message id, not failed, created at or after since, whose Text equals text; ErrNotFound if none.
	FindEchoCandidate(workspaceID, conversationID, text string, since time.Time) (*model.Message, error)
}

// ReadStateTx stores how far each user has read each conversation.
type ReadStateTx interface {
	GetReadState(workspaceID, userID, conversationID string) (*model.ReadState, error)
	PutReadState(r *model.ReadState) error
}

// OrgTx stores the workspace's organisation and configuration: users, teams, rules, templates,
// categories and classifications.
type OrgTx interface {
	PutUser(u *model.User) error
	GetUser(workspaceID, id string) (*model.User, error)
	ListUsers(workspaceID string) ([]*model.User, error)
	// DeleteUser removes the user's record; what the user did (messages, activity entries) keeps
	// the id.
	DeleteUser(workspaceID, id string) error
	PutTeam(t *model.Team) error
	GetTeam(workspaceID, id string) (*model.Team, error)
	ListTeams(workspaceID string) ([]*model.Team, error)
	DeleteTeam(workspaceID, id string) error
	PutRule(r *model.Rule) error
	GetRule(workspaceID, id string) (*model.Rule, error)
	ListRules(workspaceID string) ([]*model.Rule, error)
	DeleteRule(workspaceID, id string) error
	PutTemplate(t *model.Template) error
	GetTemplate(workspaceID, id string) (*model.Template, error)
	ListTemplates(workspaceID string) ([]*model.Template, error)
	DeleteTemplate(workspaceID, id string) error
	PutCategory(c *model.Category) error
	GetCategory(workspaceID, id string) (*model.Category, error)
	ListCategories(workspaceID string) ([]*model.Category, error)
	PutClassification(c *model.Classification) error
	GetClassification(workspaceID, id string) (*model.Classification, error)
	ListClassifications(workspaceID string) ([]*model.Classification, error)
}

// WorkspaceTx stores the workspace records (global: a workspace is the scope, not in one).
type WorkspaceTx interface {
	// PutWorkspace inserts or replaces the workspace by id.
	PutWorkspace(w *model.Workspace) error
	GetWorkspace(id string) (*model.Workspace, error)
	// ListWorkspaces returns every workspace record ordered by id.
	ListWorkspaces() ([]*model.Workspace, error)
}

// RoutingTx is the part of the transaction a Router uses (routing.Router reads users through
// ReadBatch, turns a rotation and counts open conversations). What a Router reads and writes
// through it commits atomically with the assignment. A Router gets the conversation it routes in
// its request, never from the store (it may not be stored yet).
type RoutingTx interface {
	BatchReader
	// CountOpenAssigned returns, for each given user, their open conversations in the workspace.
	CountOpenAssigned(workspaceID string, userIDs []string) (map[string]int, error)
	// NextRotation returns the next position of the named rotation (0, 1, 2, …): each call
	// increments a counter kept in the store, so concurrent callers and several engine processes
	// sharing the store get distinct values, in the order they are handed out. A store may take the
	// position outside the calling transaction, so that concurrent transactions do not queue on the
	// counter until they commit (store/postgres does): a position taken by a transaction that rolls
	// back is then skipped, which only moves the turn on by one.
	NextRotation(workspaceID, key string) (int64, error)
}

// JobTx is the durable job queue (global: the worker serves all workspaces).
type JobTx interface {
	InsertJob(j *model.Job) error
	// ClaimJobs locks up to limit jobs with RunAt ≤ now whose lock is free or expired, oldest RunAt
	// first, setting LockedBy = owner and LockedUntil = now + lease. A job is never handed to two
	// owners while its lock holds, even by two Store values over one database.
	ClaimJobs(owner string, now time.Time, lease time.Duration, limit int) ([]*model.Job, error)
	// UpdateJob saves j (all fields, including a new RunAt or LockedUntil; setting LockedUntil ≤ now
	// releases the lock) when the stored job's LockedBy equals j.LockedBy, that is, nobody claimed it
	// since; ErrConflict otherwise (ErrNotFound if it was deleted).
	UpdateJob(j *model.Job) error
	// DeleteJob removes a finished job.
	DeleteJob(id string) error
	// NextJobTime returns the earliest RunAt of unlocked jobs, zero time when there is none. (Jobs
	// whose lock expires are found by the worker's periodic poll.)
	NextJobTime() (time.Time, error)
	// ClaimJobsOfKinds is ClaimJobs restricted to the jobs whose Kind is in kinds (exclude false)
	// or is not in kinds (exclude true), with the same order, locking and lease. The engine uses
	// it to give sends their own workers, so slow media downloads never hold a reply back.
	ClaimJobsOfKinds(owner string, now time.Time, lease time.Duration, limit int, kinds []model.JobKind, exclude bool) ([]*model.Job, error)
	// JobQueue counts, across every workspace, the jobs due at now (RunAt ≤ now, lock free or
	// expired) with the earliest RunAt among them, and the jobs whose lock holds at now. It is what
	// the engine's queue metrics observe.
	JobQueue(now time.Time) (model.JobQueue, error)
}

// LeaseTx holds named locks (global) that hold across engine processes sharing the store.
type LeaseTx interface {
	// AcquireLease takes the lease key for owner until until, when it is free, expired, or already
	// held by owner. It reports whether owner holds it now.
	AcquireLease(key, owner string, now, until time.Time) (bool, error)
	// ReleaseLease frees key if owner holds it.
	ReleaseLease(key, owner string) error
}

// OAuthStateTx keeps OAuth states (global: the callback arrives before the session is known to
// the provider).
type OAuthStateTx interface {
	InsertOAuthState(s *model.OAuthState) error
	// TakeOAuthState returns and deletes the state (single use); ErrNotFound if absent.
	TakeOAuthState(state string) (*model.OAuthState, error)
}
