package omnichannel

import (
	"errors"

	"github.com/dakenh/dakenh/model"
)

// Failure reasons (model.Failure…), re-exported.
const (
	FailureTokenMissing      = model.FailureTokenMissing
	FailureTokenExpired      = model.FailureTokenExpired
	FailureNeedsReconnect    = model.FailureNeedsReconnect
	FailureOutsideWindow     = model.FailureOutsideWindow
	FailureNotFollower       = model.FailureNotFollower
	FailureQuota             = model.FailureQuota
	FailureUnreachable       = model.FailureUnreachable
	FailureAttachmentExpired = model.FailureAttachmentExpired
	FailureTooLarge          = model.FailureTooLarge
	FailureRateLimited       = model.FailureRateLimited
	FailureUnsupported       = model.FailureUnsupported
	FailureInvalid           = model.FailureInvalid
	FailureDeliveryUnknown   = model.FailureDeliveryUnknown
	FailureProvider          = model.FailureProvider
	FailureNetwork           = model.FailureNetwork
)

// FailureReasonOf maps a send error to its stable failure reason: the adapter's
// ProviderError.Reason when set, otherwise one derived from the error's class.
func FailureReasonOf(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Reason != "" {
		return pe.Reason
	}
	switch {
	case errors.Is(err, ErrDeliveryUnknown):
		return FailureDeliveryUnknown
	case errors.Is(err, ErrOutsideWindow):
		return FailureOutsideWindow
	case errors.Is(err, ErrNeedsReconnect):
		return FailureNeedsReconnect
	case errors.Is(err, ErrTokenExpired):
		return FailureTokenExpired
	case errors.Is(err, ErrRateLimited):
		return FailureRateLimited
	case errors.Is(err, ErrUnsupported):
		return FailureUnsupported
	case errors.Is(err, ErrInvalid):
		return FailureInvalid
	case pe != nil:
		return FailureProvider
	}
	return FailureNetwork
}
