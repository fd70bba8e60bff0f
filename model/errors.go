package model

import "errors"

// Sentinel errors of the stores. Stores return errors wrapping them; test with errors.Is. The
// omnichannel package re-exports them under the same names.
var (
	// ErrNotFound: the thing does not exist in this workspace.
	ErrNotFound = errors.New("omnichannel: not found")
	// ErrDuplicate: a uniqueness constraint refused an insert.
	ErrDuplicate = errors.New("omnichannel: duplicate")
	// ErrConflict: a compare-and-set lost to a concurrent update.
	ErrConflict = errors.New("omnichannel: concurrent update")
	// ErrUnavailable: the store cannot take writes for now (its disk is full, say); nothing was
	// written. Retry later: the webhook handler answers 503 so the provider redelivers.
	ErrUnavailable = errors.New("omnichannel: store temporarily unavailable")
)
