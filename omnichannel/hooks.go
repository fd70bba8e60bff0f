package omnichannel

import (
	"context"
	"io"
	"time"
)

// ContactDirectory is the host CRM's customer directory. The engine asks it for the customer with a
// phone number when one appears in a conversation.
type ContactDirectory interface {
	// FindByPhone returns the CRM customer with the E.164 phone, or an error wrapping ErrNotFound.
	FindByPhone(ctx context.Context, workspaceID, phoneE164 string) (*CRMCustomer, error)
}

// CRMCustomer is the host CRM's record of a customer.
type CRMCustomer struct {
	ID    string
	Name  string
	Email string
	Phone string
	// Attributes are extended data shown in the customer panel (status, interests, …).
	Attributes map[string]string
	// ProfileURL is the host's full profile page (the "eye" link).
	ProfileURL string
}

// InteractionSource supplies calls, transactions and other interactions the host CRM knows about a
// customer, for the interaction history.
type InteractionSource interface {
	Interactions(ctx context.Context, workspaceID, crmCustomerID string) ([]Interaction, error)
}

// Interaction is one item of a customer's history.
type Interaction struct {
	// Kind is e.g. "call", "transaction", "conversation".
	Kind    string
	Title   string
	Detail  string
	At      time.Time
	Channel Kind
	// ConversationID is set for conversations of this engine.
	ConversationID string
	URL            string
}

// BlobStore keeps attachment content. Keys are chosen by the store and are safe path segments.
type BlobStore interface {
	// Put stores r under a new key derived from workspaceID and the (untrusted) file name.
	Put(ctx context.Context, workspaceID, name, contentType string, r io.Reader) (key string, size int64, err error)
	// Open returns the content of key; ErrNotFound if absent.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob with key. A key that is absent (deleted already) is not an error,
	// so that an interrupted deletion can run again.
	Delete(ctx context.Context, key string) error
	// DeleteWorkspace removes every blob Put with workspaceID, including those no message refers
	// to (an upload never sent). Absent blobs are not an error.
	DeleteWorkspace(ctx context.Context, workspaceID string) error
}

// Action is something a user asks to do, checked by the Authorizer.
type Action string

// Actions.
const (
	ActionView     Action = "view"
	ActionSend     Action = "send"
	ActionClaim    Action = "claim"
	ActionReassign Action = "reassign"
	ActionDone     Action = "mark_done"
	ActionEdit     Action = "edit_details"
	ActionAdmin    Action = "administer"
)

// Authorizer decides who may do what. conv is nil for workspace-level actions (ActionAdmin).
// It returns nil to allow, or an error wrapping ErrForbidden (preferably *ForbiddenError).
type Authorizer interface {
	Authorize(ctx context.Context, user *User, action Action, conv *Conversation, conn *Connection) error
}
