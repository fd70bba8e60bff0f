package omnichannel

import (
	"errors"
	"fmt"
	"time"

	"github.com/dakenh/dakenh/model"
)

// Sentinel errors. Errors returned by the engine and stores wrap these; test with errors.Is.
var (
	// ErrNotFound: the thing does not exist in this workspace.
	ErrNotFound = model.ErrNotFound
	// ErrDuplicate: a uniqueness constraint refused an insert.
	ErrDuplicate = model.ErrDuplicate
	// ErrConflict: a compare-and-set lost to a concurrent update.
	ErrConflict = model.ErrConflict
	// ErrBadSignature: a webhook's signature is missing, malformed, stale or wrong.
	ErrBadSignature = errors.New("omnichannel: bad webhook signature")
	// ErrMalformed: a webhook body could not be parsed.
	ErrMalformed = errors.New("omnichannel: malformed webhook body")
	// ErrForbidden: the user may not do this (see *ForbiddenError for the reason).
	ErrForbidden = errors.New("omnichannel: forbidden")
	// ErrAlreadyClaimed: another user claimed the conversation first (see *ClaimedError).
	ErrAlreadyClaimed = errors.New("omnichannel: conversation already claimed")
	// ErrInvalid: the request is invalid (see *ValidationError).
	ErrInvalid = model.ErrInvalid
	// ErrUnsupported: the channel cannot do this (e.g. send a file on TikTok).
	ErrUnsupported = model.ErrUnsupported
	// ErrOutsideWindow: the provider's reply window is closed for this conversation.
	ErrOutsideWindow = errors.New("omnichannel: outside the reply window")
	// ErrNoReplyRoute: the conversation cannot be answered because the engine lacks what the
	// provider needs to address the customer (a Zalo anonymous user whose conversation id was
	// never stored). It is returned before any provider call; the customer's next message brings
	// what is missing.
	ErrNoReplyRoute = errors.New("omnichannel: the customer cannot be addressed yet")
	// ErrRateLimited: the provider throttled the call; retry later.
	ErrRateLimited = errors.New("omnichannel: rate limited by provider")
	// ErrTokenExpired: the provider refused the access token; refreshing it may help.
	ErrTokenExpired = errors.New("omnichannel: access token expired")
	// ErrNeedsReconnect: the connection's grant is dead; an admin must reconnect it.
	ErrNeedsReconnect = errors.New("omnichannel: connection needs reconnect")
	// ErrDeliveryUnknown: the process stopped while a send was in flight, so the engine cannot know
	// whether the provider got it; the message is failed rather than risk a double send.
	ErrDeliveryUnknown = errors.New("omnichannel: delivery unknown after interrupted send")
	// ErrBadState: an OAuth state is unknown, used twice, expired or belongs to another user.
	ErrBadState = errors.New("omnichannel: invalid or expired OAuth state")
	// ErrUnavailable: the store cannot take writes for now (its disk is full, say); nothing was
	// written. Retry later: the webhook handler answers 503 so the provider redelivers.
	ErrUnavailable = model.ErrUnavailable
)

// ForbiddenError says why a user may not act on a conversation. It matches ErrForbidden.
type ForbiddenError struct {
	Action Action
	UserID string
	// Code is the stable reason (the Deny* constants) an interface translates; Reason says it in
	// English.
	Code   string
	Reason string
}

// Error says who may not do what, and why.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("omnichannel: user %s may not %s: %s", e.UserID, e.Action, e.Reason)
}

// Is reports whether target is ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// ClaimedError is returned to every user who loses a claim race. It matches ErrAlreadyClaimed.
type ClaimedError struct {
	ConversationID string
	// ClaimedBy is the user who holds the conversation.
	ClaimedBy string
}

// Error names the conversation and the user who holds it.
func (e *ClaimedError) Error() string {
	return fmt.Sprintf("omnichannel: conversation %s already claimed by %s", e.ConversationID, e.ClaimedBy)
}

// Is reports whether target is ErrAlreadyClaimed.
func (e *ClaimedError) Is(target error) bool { return target == ErrAlreadyClaimed }

// ValidationError lists every problem of a request or a config (see model.ValidationError). It
// matches ErrInvalid, and also ErrUnsupported when a problem is a channel limitation.
type ValidationError = model.ValidationError

// ProviderError is a classified failure of a provider call, returned by adapters.
//
// Class is one of ErrRateLimited, ErrTokenExpired, ErrOutsideWindow, ErrNeedsReconnect,
// ErrUnsupported, or nil for others; errors.Is(err, Class) holds. Retryable says whether the same
// call may succeed later (throttling, 5xx, timeouts). Whatever Retryable says, an error of Class
// ErrTokenExpired makes the engine refresh the connection's tokens (TokenRefresher) and retry the
// call once. Message is readable by an operator (English). Code is the provider's code. Reason is
// the stable failure reason (the Failure* constants) an interface translates; "" lets the engine
// derive it from Class (FailureReasonOf). Never put tokens or secrets in any field.
type ProviderError struct {
	Provider  Kind
	Code      string
	Message   string
	Reason    string
	Class     error
	Retryable bool
	// RetryAfter is the provider's hint, zero when none.
	RetryAfter time.Duration
}

// Error gives the provider, its code and its readable message (never a secret).
func (e *ProviderError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s error %s: %s", e.Provider, e.Code, e.Message)
	}
	return fmt.Sprintf("%s error: %s", e.Provider, e.Message)
}

// Is reports whether target is e.Class.
func (e *ProviderError) Is(target error) bool { return e.Class != nil && target == e.Class }

// IsRetryable reports whether err is worth retrying: a retryable *ProviderError, ErrRateLimited, or
// an error the adapter did not classify (a network failure). Validation problems, other classified
// provider errors and errors with a method Permanent() bool that returns true (the refusals of
// package guardedfetch: a blocked address, a bad scheme, a body too large) are final.
func IsRetryable(err error) bool {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Retryable || errors.Is(pe.Class, ErrRateLimited)
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return false
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrOutsideWindow) ||
		errors.Is(err, ErrNeedsReconnect) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNoReplyRoute) {
		return false
	}
	return true
}
